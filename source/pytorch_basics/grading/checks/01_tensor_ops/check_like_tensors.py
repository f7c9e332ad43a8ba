"""like_tensors (2 points): ones of shape [5, 3] like x, and fresh standard-normal float32 samples
shaped like x, on x's device. Lazy replies considered: a fixed dtype, x changed in place
(`x.normal_()`), samples right only in mean and std (scaled uniform noise), the same draw on
every call, sorted draws."""
from __future__ import annotations

import torch

from autograder.checks import (
    Known, Tensor, Tuple, autocorrelation_bar, check, judge, ks_bar, ks_normal, lag1_autocorrelation,
)


def _like(nb, x: torch.Tensor, device: str, what: str, public: bool = False) -> torch.Tensor:
    """One call, judged for shapes, dtypes, device, the ones and (hidden checks) x left as it
    was; the noise."""
    ones, noise = judge(nb, "like_tensors", x, shown=what, names=("x",), keep_inputs=not public, returns=Tuple(
        Tensor(name="first result", shape=(5, 3), dtype=x.dtype, device=device,
               known=[Known("like_ones_default_dtype", torch.ones(5, 3), dtype=torch.get_default_dtype())]),
        Tensor(name="second result", shape=x.shape, dtype=torch.float32, device=device)))
    assert bool((ones.cpu() == 1).all()), f"like_tensors({what}), first result: expected all ones"
    return noise.detach().cpu().double()


def _judge_normal(noise: torch.Tensor, what: str) -> None:
    d, bar = ks_normal(noise), ks_bar(noise.numel())
    assert d <= bar, (
        f"{what}: expected standard-normal samples; the distribution of the {noise.numel()} values is "
        f"{d:.3f} away from N(0, 1) (Kolmogorov-Smirnov distance; chance allows {bar:.3f}), so they are not "
        "drawn from N(0, 1) even if their mean and std look right")
    r, rbar = lag1_autocorrelation(noise), autocorrelation_bar(noise.numel())
    assert abs(r) <= rbar, f"{what}: the samples are correlated with each other (each with the next: {r:.2f}); expected independent draws"


@check("check_like_tensors", points=1, public=True)
def test_like_tensors_public(nb, device):
    "like_tensors: the notebook's int64 zeros of shape [100, 100] and float64 zeros of shape [2, 2]"
    what = "int64 zeros of shape [100, 100]"
    noise = _like(nb, torch.zeros(100, 100, dtype=torch.int64, device=device), device, what, public=True)
    m, s = noise.mean().item(), noise.std().item()
    assert abs(m) < 0.15 and 0.85 < s < 1.15, (
        f"like_tensors({what}), second result: expected standard-normal samples (mean 0, std 1), "
        f"got mean {m:.2f} and std {s:.2f}")
    _like(nb, torch.zeros(2, 2, dtype=torch.float64, device=device), device, "float64 zeros of shape [2, 2]",
          public=True)


@check("check_like_tensors", points=1)
def test_like_tensors_dtypes(nb, device, gen):
    "like_tensors: keeps the dtype and device of x (int32, float16, float32, float64 inputs, one not contiguous); fresh standard-normal samples on every call, x unchanged"
    inputs = [
        (torch.randint(0, 9, (40, 30), generator=gen, dtype=torch.int32), "an int32 tensor of shape [40, 30]"),
        (torch.randn(3, 4, 5, generator=gen).half(), "a float16 tensor of shape [3, 4, 5]"),
        (torch.randn(7, generator=gen), "a float32 tensor of shape [7]"),
        (torch.randn(90, 120, generator=gen, dtype=torch.float64).t(), "a float64 tensor of shape [120, 90] (a transpose)"),
    ]
    pooled = []
    for x, what in inputs:
        first = _like(nb, x.to(device), device, what)
        again = _like(nb, x.to(device), device, what)
        assert x.numel() < 2 or not torch.equal(first, again), (
            f"like_tensors({what}), second result: two calls gave the same values; expected fresh random samples")
        assert x.dtype != torch.float32 or not torch.equal(first, x.double()), (
            f"like_tensors({what}), second result: returned x itself; expected standard-normal samples")
        if first.numel() >= 5000:
            _judge_normal(first, f"like_tensors({what}), second result")
        pooled += [first.reshape(-1), again.reshape(-1)]
    _judge_normal(torch.cat(pooled), "like_tensors, second results of all calls together")

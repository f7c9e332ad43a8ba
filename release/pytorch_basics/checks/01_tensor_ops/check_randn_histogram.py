"""Public checks of check_randn_histogram (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
from contextlib import contextmanager
import torch
from autograder.checks import (
    axes_bars, check, close, expect_handle, expect_tensor, expect_tuple, figure_axes, mistaken,
)


FIXED_RANGES = tuple((-r / 2, r / 2) for r in range(2, 21)) + ((0.0, 1.0),)


def _reference_samples(n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, generator=torch.Generator().manual_seed(seed))  # = torch.manual_seed(seed); torch.randn(n)


def _reference_counts(n: int, bins: int, seed: int) -> torch.Tensor:
    x = _reference_samples(n, seed)
    return torch.histc(x, bins=bins, min=x.min().item(), max=x.max().item())


def _over_a_fixed_range(c: torch.Tensor, n: int, bins: int, seed: int) -> bool:
    """Whether the counts are those of the same samples in bins over a fixed range (or one
    symmetric around 0 reaching the largest |sample|) instead of their minimum to maximum."""
    x = _reference_samples(n, seed)
    top = x.abs().max().item()
    for lo, hi in (*FIXED_RANGES, (-top, top)):
        if (torch.histc(x, bins=bins, min=lo, max=hi).double() - c).abs().sum().item() <= 2:
            return True
    return False


@contextmanager
def _range_mistake(c: torch.Tensor, n: int, bins: int, seed: int):
    """A failure of these counts names the fixed-range mistake when they are that histogram."""
    try:
        yield
    except AssertionError as e:
        right = (c - _reference_counts(n, bins, seed).double()).abs().sum().item() <= 2
        fixed = not right and _over_a_fixed_range(c, n, bins, seed)
        raise mistaken(e, "histogram_fixed_range" if fixed else "") from None


def _histogram(nb, n: int, bins: int, seed: int):
    what = f"randn_histogram({n}, {bins}, {seed})"
    counts, fig = expect_tuple(nb.call("randn_histogram", n, bins, seed), what, 2)
    counts = expect_tensor(counts, f"{what}, counts", shape=(bins,))
    c = counts.detach().cpu().double()
    with _range_mistake(c, n, bins, seed):
        assert bool((c >= 0).all()) and bool((c == c.round()).all()), f"{what}: the counts must be whole numbers >= 0"
        assert int(c.sum().item()) == n, f"{what}: the counts add up to {int(c.sum().item())}, expected {n}"
    return what, c, fig


def _judge_figure(what: str, fig, c: torch.Tensor, bins: int) -> dict:
    fig = expect_handle(fig, f"{what}, second value", "figure")
    axes = figure_axes(fig)
    assert len(axes) == 1, f"{what}: expected a Figure with a single Axes, got {len(axes)}"
    heights = axes_bars(axes[0])
    assert len(heights) == bins, f"{what}: expected {bins} bars in the Axes, got {len(heights)}"
    assert close(torch.tensor(heights, dtype=torch.float64), c, atol=1e-6), (
        f"{what}: the bar heights, left to right, are not the returned counts")
    return axes[0]


def _judge_shape_of_histogram(what: str, c: torch.Tensor, n: int, seed: int) -> None:
    with _range_mistake(c, n, c.numel(), seed):
        _judge_peak(what, c)


def _judge_peak(what: str, c: torch.Tensor) -> None:
    bins = c.numel()
    assert c[0] >= 1 and c[-1] >= 1, (
        f"{what}: the bins should go from the samples' minimum to their maximum, so the first and last are not empty")
    mid = slice(bins * 7 // 20, bins * 13 // 20)
    tails = c[: bins // 5].sum() + c[bins - bins // 5:].sum()
    assert c[mid].sum() > tails, f"{what}: a histogram of normal samples should be highest in the middle"


@check("check_randn_histogram", points=1, public=True)
def test_randn_histogram_public(nb):
    "randn_histogram: the notebook's example (1000 samples, 20 bins, seed 0): counts, seeds and bars"
    what, c, fig = _histogram(nb, 1000, 20, 0)
    _judge_shape_of_histogram(what, c, 1000, 0)
    _, again, _ = _histogram(nb, 1000, 20, 0)
    _, other, _ = _histogram(nb, 1000, 20, 1)
    assert torch.equal(c, again), f"{what}: two calls with the same seed gave different counts"
    assert not torch.equal(c, other), "randn_histogram: seeds 0 and 1 gave the same counts"
    _judge_figure(what, fig, c, 20)

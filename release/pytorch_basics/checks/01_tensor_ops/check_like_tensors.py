"""Public checks of check_like_tensors (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import Known, Tensor, Tuple, check, judge


def _like(nb, x: torch.Tensor, device: str, what: str, public: bool = False) -> torch.Tensor:
    """One call, judged for shapes, dtypes, device, the ones and (hidden checks) x left as it
    was; the noise."""
    ones, noise = judge(nb, "like_tensors", x, shown=what, names=("x",), keep_inputs=not public, returns=Tuple(
        Tensor(name="first result", shape=(5, 3), dtype=x.dtype, device=device,
               known=[Known("like_ones_default_dtype", torch.ones(5, 3), dtype=torch.get_default_dtype())]),
        Tensor(name="second result", shape=x.shape, dtype=torch.float32, device=device)))
    assert bool((ones.cpu() == 1).all()), f"like_tensors({what}), first result: expected all ones"
    return noise.detach().cpu().double()


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

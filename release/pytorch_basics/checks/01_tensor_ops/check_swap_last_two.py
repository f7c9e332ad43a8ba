"""Public checks of check_swap_last_two (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import KnownError, Tensor, check, judge


def _judge_swap(nb, x: torch.Tensor, device: str, what: str = "", public: bool = False) -> None:
    what = what or f"a tensor of shape {list(x.shape)}"
    t_on_nd = [KnownError("swap_last_two_t", "RuntimeError", ("t() expects a tensor with <= 2 dimensions",))]
    judge(nb, "swap_last_two", x, shown=what, keep_inputs=not public, names=("x",),
          raises=t_on_nd if x.dim() > 2 else [], returns=Tensor(
        x.cpu().transpose(-1, -2), device=device,
        wrong="the shape is right but the values are not x with its last two dimensions swapped"))


@check("check_swap_last_two", points=1, public=True)
def test_swap_last_two_public(nb, device):
    "swap_last_two: the notebook's examples of shape [2, 3, 4], [2, 3] and [1, 2, 3, 4]"
    _judge_swap(nb, torch.arange(24, device=device).reshape(2, 3, 4), device, public=True)
    _judge_swap(nb, torch.arange(6, device=device).reshape(2, 3), device, public=True)
    _judge_swap(nb, torch.zeros(1, 2, 3, 4, device=device), device, public=True)

"""swap_last_two (2 points): x with its last two dimensions swapped, for 2 or more dimensions.
Lazy replies considered: .t() (2-D only), permute(0, 2, 1) (3-D only), reshape (right shape,
wrong values); float64 and non-contiguous inputs."""
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


@check("check_swap_last_two", points=1)
def test_swap_last_two_dims(nb, device, gen):
    "swap_last_two: tensors of 2, 3 and 5 dimensions of other shapes and values, float64 and non-contiguous ones"
    for shape in ((3, 5), (4, 2, 6), (2, 1, 3, 2, 4)):
        _judge_swap(nb, torch.randn(*shape, generator=gen).to(device), device)
    x = torch.randn(3, 5, 2, 4, generator=gen, dtype=torch.float64).permute(0, 2, 3, 1)
    _judge_swap(nb, x.to(device), device, "a non-contiguous float64 tensor of shape [3, 2, 4, 5]")

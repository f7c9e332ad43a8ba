"""concat (2 points): a and b joined along dim 0 and along dim 1. Lazy replies considered: both
along dim 0, b before a, torch.stack; other dtypes and a non-contiguous input."""
from __future__ import annotations

import torch

from autograder.checks import Known, Tensor, Tuple, check, judge


def _judge_concat(nb, a: torch.Tensor, b: torch.Tensor, device: str, what: str, public: bool = False) -> None:
    along0 = torch.cat((a.cpu(), b.cpu()), dim=0)
    judge(nb, "concat", a, b, shown=what, keep_inputs=not public, names=("a", "b"), returns=Tuple(*(
        Tensor(torch.cat((a.cpu(), b.cpu()), dim=dim), name=f"joined along dim {dim}", device=device,
               wrong=f"the value joined along dim {dim} has the right shape but not a then b",
               known=[Known("concat_same_dim", along0)] if dim == 1 else [])
        for dim in (0, 1))))


@check("check_concat", points=1, public=True)
def test_concat_public(nb, device):
    "concat: the notebook's two 2x3 examples"
    a = torch.zeros(2, 3, device=device)
    b = torch.ones(2, 3, device=device)
    _judge_concat(nb, a, b, device, "the notebook's zeros and ones of shape [2, 3]", public=True)


@check("check_concat", points=1)
def test_concat_other(nb, device, gen):
    "concat: 3x4 float64 and int64 tensors, and a non-contiguous one"
    for dtype in (torch.float64, torch.int64):
        a = (torch.randn(3, 4, generator=gen) * 10).to(dtype).to(device)
        b = (torch.randn(3, 4, generator=gen) * 10).to(dtype).to(device)
        _judge_concat(nb, a, b, device, f"two {dtype} tensors of shape [3, 4]")
    a = torch.randn(2, 5, generator=gen).t().to(device)
    b = torch.randn(5, 2, generator=gen).to(device)
    _judge_concat(nb, a, b, device, "a transposed tensor and another one, both of shape [5, 2]")

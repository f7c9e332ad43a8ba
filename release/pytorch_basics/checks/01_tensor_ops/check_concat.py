"""Public checks of check_concat (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


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

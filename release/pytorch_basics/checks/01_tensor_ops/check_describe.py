"""Public checks of check_describe (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import Equal, Known, Number, Tuple, check, judge


def _judge_describe(nb, m: torch.Tensor, what: str, public: bool = False) -> None:
    judge(nb, "describe", m, shown=what, keep_inputs=not public, names=("m",), returns=Tuple(
        Equal(m.shape, torch.Size, name="size", wrong=f"expected the size {list(m.shape)}",
              known=[Known("describe_size_not_torch_size", list(m.shape))]),
        Number(m.numel(), name="number of elements", integer=True, tol=0,
               wrong=f"expected the number of elements {m.numel()} as an int"),
        Number(m.dim(), name="number of dimensions", integer=True, tol=0,
               wrong=f"expected the number of dimensions {m.dim()} as an int")))


@check("check_describe", points=1, public=True)
def test_describe_public(nb, device):
    "describe: the notebook's zeros of shape [2, 3, 4]"
    _judge_describe(nb, torch.zeros(2, 3, 4, device=device), "a tensor of shape [2, 3, 4]", public=True)

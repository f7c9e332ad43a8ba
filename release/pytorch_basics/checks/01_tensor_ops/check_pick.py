"""Public checks of check_pick (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import ANY, Known, Tensor, Tuple, check, judge


def _judge_pick(nb, m: torch.Tensor, device: str, what: str, public: bool = False) -> None:
    judge(nb, "pick", m, shown=what, keep_inputs=not public, names=("m",), returns=Tuple(
        Tensor(m[0, 2], name="element [0, 2]", device=device, wrong="the first value is not the element in row 0, column 2"),
        Tensor(m[:, 1], name="column 1", device=device, wrong="the second value is not column 1"),
        Tensor(m[1], name="row 1", device=device, wrong="the third value is not row 1"),
        known=[Known("pick_row_column_swapped", (ANY, m[1], m[:, 1]))]))


@check("check_pick", points=1, public=True)
def test_pick_public(nb, device):
    "pick: the notebook's 3x4 example"
    _judge_pick(nb, torch.arange(12, device=device).reshape(3, 4), device, "the notebook's 3x4 matrix", public=True)

"""pick (2 points): element [0, 2], column 1, row 1. Lazy replies considered: the notebook's
values as constants, rows and columns swapped, indexing the flat storage (wrong for a
non-contiguous matrix), a dtype change."""
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


@check("check_pick", points=1)
def test_pick_other(nb, device, gen):
    "pick: a non-square float64 matrix, an int64 matrix and a non-contiguous one"
    _judge_pick(nb, torch.randn(5, 7, generator=gen, dtype=torch.float64).to(device), device, "a float64 matrix of shape [5, 7]")
    _judge_pick(nb, torch.randint(-50, 50, (6, 3), generator=gen).to(device), device, "an int64 matrix of shape [6, 3]")
    _judge_pick(nb, torch.randn(4, 3, generator=gen).t().to(device), device, "a transposed matrix of shape [3, 4]")

"""transposes (2 points): the transpose three ways. Lazy replies considered: the notebook's
values, m itself for one of them; a non-contiguous input."""
from __future__ import annotations

import torch

from autograder.checks import Known, Tensor, Tuple, check, judge

WAYS = (".t()", ".transpose(0, 1)", ".permute(1, 0)")


def _judge_transposes(nb, m: torch.Tensor, device: str, what: str, public: bool = False) -> None:
    want = m.cpu().t()
    judge(nb, "transposes", m, shown=what, keep_inputs=not public, names=("m",), returns=Tuple(*(
        Tensor(want, name=f"value {i} ({how})", device=device, wrong=f"value {i} ({how}) is not the transpose of m",
               known=[Known("transposes_returns_input", m.cpu())] if not torch.equal(m.cpu(), want) else [])
        for i, how in enumerate(WAYS, 1))))


@check("check_transposes", points=1, public=True)
def test_transposes_public(nb, device):
    "transposes: the notebook's 2x3 example"
    _judge_transposes(nb, torch.arange(6, device=device).reshape(2, 3), device, "the notebook's 2x3 matrix", public=True)


@check("check_transposes", points=1)
def test_transposes_other(nb, device, gen):
    "transposes: a 4x7 float64 matrix, a 3x3 matrix and a non-contiguous one"
    _judge_transposes(nb, torch.randn(4, 7, generator=gen, dtype=torch.float64).to(device), device,
                      "a float64 matrix of shape [4, 7]")
    _judge_transposes(nb, torch.randn(3, 3, generator=gen).to(device), device, "a 3x3 matrix")
    _judge_transposes(nb, torch.randint(0, 9, (5, 2), generator=gen).t().to(device), device,
                      "a transposed int64 matrix of shape [2, 5]")

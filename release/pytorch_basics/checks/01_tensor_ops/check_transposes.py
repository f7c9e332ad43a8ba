"""Public checks of check_transposes (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


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

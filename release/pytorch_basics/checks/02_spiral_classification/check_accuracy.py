"""Public checks of check_accuracy (02_spiral_classification), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import Number, check, judge
from .. import public as P


def _judge_accuracy(nb, logits: torch.Tensor, Y: torch.Tensor, what: str, public: bool = False) -> None:
    want = P.accuracy(logits.cpu(), Y.cpu())
    got = judge(nb, "accuracy", logits, Y, what=what, names=("logits", "Y"), keep_inputs=not public,
                returns=Number())
    assert 0.0 <= got <= 1.0, f"{what}: returned {got:g}, expected a fraction between 0 and 1 (not a count)"
    assert abs(got - want) < 1e-6, f"{what}: returned {got:.4f}, which is not the fraction of rows whose argmax equals the label"


@check("check_accuracy", points=1, public=True)
def test_accuracy_public(nb, device):
    "accuracy: the notebook's 4-row example (0.75, and 1.0 when every row is right)"
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [0.0, 0.0, 1.0]], device=device)
    _judge_accuracy(nb, logits, torch.tensor([0, 1, 1, 2], device=device), "accuracy(the notebook's logits, labels)", public=True)
    _judge_accuracy(nb, logits, torch.tensor([0, 1, 2, 2], device=device),
                    "accuracy(the notebook's logits, labels that are all right)", public=True)

"""Public checks of check_accuracy (02_spiral_classification), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import Known, KnownError, Number, check, judge, mistaken, recognise
from .. import public as P


def _mistakes(logits: torch.Tensor, Y: torch.Tensor, want: float) -> tuple[list, list]:
    """What the known mistakes reply for these inputs: their values, and the errors they raise."""
    known = [Known("accuracy_count_not_fraction", float((logits.argmax(dim=1) == Y).sum())),
             Known("accuracy_argmax_wrong_dim", (logits.argmax() == Y).double().mean().item())]
    try:  # argmax over the rows: a value where the shapes broadcast, else the error it raises
        known.append(Known("accuracy_argmax_wrong_dim", (logits.argmax(dim=0) == Y).double().mean().item()))
        raises = []
    except RuntimeError:
        raises = [KnownError("accuracy_argmax_wrong_dim", "RuntimeError", ("must match the size of tensor",))]
    return [k for k in known if abs(k.value - want) > 1e-6], raises


def _judge_accuracy(nb, logits: torch.Tensor, Y: torch.Tensor, what: str, public: bool = False) -> None:
    want = P.accuracy(logits.cpu(), Y.cpu())
    known, raises = _mistakes(logits.cpu(), Y.cpu(), want)
    got = judge(nb, "accuracy", logits, Y, what=what, names=("logits", "Y"), keep_inputs=not public,
                returns=Number(), raises=raises)
    try:
        assert 0.0 <= got <= 1.0, f"{what}: returned {got:g}, expected a fraction between 0 and 1 (not a count)"
        assert abs(got - want) < 1e-6, (
            f"{what}: returned {got:.4f}, which is not the fraction of rows whose argmax equals the label")
    except AssertionError as e:
        raise mistaken(e, recognise(got, known)) from None


@check("check_accuracy", points=1, public=True)
def test_accuracy_public(nb, device):
    "accuracy: the notebook's 4-row example (0.75, and 1.0 when every row is right)"
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [0.0, 0.0, 1.0]], device=device)
    _judge_accuracy(nb, logits, torch.tensor([0, 1, 1, 2], device=device), "accuracy(the notebook's logits, labels)", public=True)
    _judge_accuracy(nb, logits, torch.tensor([0, 1, 2, 2], device=device),
                    "accuracy(the notebook's logits, labels that are all right)", public=True)

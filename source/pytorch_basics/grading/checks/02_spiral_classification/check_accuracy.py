"""accuracy (3 points): the fraction of rows whose argmax equals the label, as a Python float.
Lazy replies considered: a count instead of a fraction, rounding, a tie counted right whatever
class the label names (argmax takes the first of tied maxima), a tensor instead of a float,
logits changed in place (softmax_); float64 logits and a single row. Known mistakes (their
hints): the count of right rows instead of the fraction, argmax over the wrong dimension."""
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


@check("check_accuracy", points=2)
def test_accuracy_random(nb, device, gen):
    "accuracy: random logits and labels, all right and all wrong; tied logits (the first maximum is the argmax), float64, one row, as many classes as rows"
    square = torch.randn(6, 6, generator=gen)
    _judge_accuracy(nb, square.to(device), torch.randint(0, 6, (6,), generator=gen).to(device),
                    "accuracy(logits of shape [6, 6], labels)")
    logits = torch.randn(257, 5, generator=gen)
    Y = torch.randint(0, 5, (257,), generator=gen)
    _judge_accuracy(nb, logits.to(device), Y.to(device), "accuracy(random logits of shape [257, 5], labels)")
    right = logits.argmax(1)
    _judge_accuracy(nb, logits.to(device), right.to(device), "accuracy(logits, labels that are all right)")
    _judge_accuracy(nb, logits.to(device), ((right + 1) % 5).to(device), "accuracy(logits, labels that are all wrong)")
    tied = torch.randint(0, 3, (301, 4), generator=gen).float()
    _judge_accuracy(nb, tied.to(device), torch.randint(0, 4, (301,), generator=gen).to(device),
                    "accuracy(logits with many ties, labels)")
    _judge_accuracy(nb, logits.double().to(device), Y.to(device), "accuracy(float64 logits, labels)")
    _judge_accuracy(nb, logits[:1].to(device), Y[:1].to(device), "accuracy(one row of logits, its label)")

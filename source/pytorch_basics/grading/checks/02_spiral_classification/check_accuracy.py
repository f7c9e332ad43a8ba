"""accuracy (3 points): the fraction of rows whose argmax equals the label, as a Python float.
Lazy replies considered: a count instead of a fraction, rounding, a tie counted right whatever
class the label names (argmax takes the first of tied maxima), a tensor instead of a float,
logits changed in place (softmax_); float64 logits and a single row."""
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


@check("check_accuracy", points=2)
def test_accuracy_random(nb, device, gen):
    "accuracy: random logits and labels, all right and all wrong; tied logits (the first maximum is the argmax), float64, one row"
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

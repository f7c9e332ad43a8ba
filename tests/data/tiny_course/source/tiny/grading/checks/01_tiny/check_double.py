"""double (2 points)."""
import torch

from autograder.checks import Tensor, check, judge

from .. import reference


@check("check_double", points=1, public=True)
def test_double_public(nb):
    "double: the notebook's arange(3)"
    x = torch.arange(3)
    judge(nb, "double", x, shown="arange(3)", keep_inputs=False, returns=Tensor(torch.tensor([0, 2, 4])))


@check("check_double", points=1)
def test_double_other(nb, gen):
    "double: float64 input, left as it was; the helpers are this assignment's own"
    assert reference.ASSIGNMENT == "tiny", f"the tiny assignment got {reference.ASSIGNMENT}'s helper module"
    x = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    judge(nb, "double", x, shown="a float64 tensor of shape [4, 3]", returns=Tensor(reference.double(x)))

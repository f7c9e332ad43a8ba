"""Public checks of check_double (01_tiny), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


import torch
from autograder.checks import Tensor, check, judge


@check("check_double", points=1, public=True)
def test_double_public(nb):
    "double: the notebook's arange(3)"
    x = torch.arange(3)
    judge(nb, "double", x, shown="arange(3)", keep_inputs=False, returns=Tensor(torch.tensor([0, 2, 4])))

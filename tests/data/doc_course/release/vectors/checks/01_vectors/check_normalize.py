"""Public checks of check_normalize (01_vectors), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


import torch
from autograder.checks import Tensor, check, judge


@check("check_normalize", points=1, public=True)
def test_normalize_public(nb):
    "normalize: the notebook's [3., 4.]"
    v = torch.tensor([3.0, 4.0])
    judge(nb, "normalize", v, shown="the notebook's [3., 4.]", keep_inputs=False,
          returns=Tensor(torch.tensor([0.6, 0.8])))

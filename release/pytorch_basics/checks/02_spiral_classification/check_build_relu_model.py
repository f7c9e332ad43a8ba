"""Public checks of check_build_relu_model (02_spiral_classification), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
from autograder.checks import check
from ..public import judge_structure


@check("check_build_relu_model", points=1, public=True)
def test_build_relu_model_public(nb):
    "build_relu_model: the notebook's sizes D=2, H=100, C=3 give Linear(2, 100), ReLU, Linear(100, 3)"
    judge_structure(nb, "build_relu_model", ["Linear", "ReLU", "Linear"])

"""build_linear_model (3 points): Linear(D, H) then Linear(H, C), nothing between. Lazy replies
considered: the notebook's sizes hard-coded, an activation between, a model that ignores its input,
frozen or float64 parameters."""
from __future__ import annotations

from autograder.checks import check

from ..models import judge_two_layer
from ..public import judge_structure


@check("check_build_linear_model", points=1, public=True)
def test_build_linear_model_public(nb):
    "build_linear_model: the notebook's sizes D=2, H=100, C=3 give Linear(2, 100), Linear(100, 3)"
    judge_structure(nb, "build_linear_model", ["Linear", "Linear"])


@check("check_build_linear_model", points=2)
def test_build_linear_model_other(nb, gen):
    "build_linear_model: other sizes; computes Linear2(Linear1(x)), an affine function, with trainable float32 parameters"
    judge_two_layer(nb, "build_linear_model", 5, 7, 4, relu=False, gen=gen)
    judge_two_layer(nb, "build_linear_model", 3, 1, 6, relu=False, gen=gen)

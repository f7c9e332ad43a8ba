"""build_relu_model (3 points): Linear(D, H), ReLU, Linear(H, C). Lazy replies considered: the
ReLU forgotten, the notebook's sizes hard-coded, another activation, frozen or float64
parameters."""
from __future__ import annotations

from autograder.checks import check

from ..models import judge_two_layer
from ..public import judge_structure


@check("check_build_relu_model", points=1, public=True)
def test_build_relu_model_public(nb):
    "build_relu_model: the notebook's sizes D=2, H=100, C=3 give Linear(2, 100), ReLU, Linear(100, 3)"
    judge_structure(nb, "build_relu_model", ["Linear", "ReLU", "Linear"])


@check("check_build_relu_model", points=2)
def test_build_relu_model_other(nb, gen):
    "build_relu_model: other sizes; computes Linear2(ReLU(Linear1(x))), not an affine function, with trainable float32 parameters"
    judge_two_layer(nb, "build_relu_model", 6, 9, 5, relu=True, gen=gen)
    judge_two_layer(nb, "build_relu_model", 4, 12, 2, relu=True, gen=gen)

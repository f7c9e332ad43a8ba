"""Public checks of check_gradient_norms (03_activations_and_optimizers), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
from autograder.checks import KnownMistake, check, expect_list_of_numbers


def _norms(nb, depth: int, activation: str, seed: int) -> list[float]:
    what = f"gradient_norms({depth}, {activation!r}, {seed})"
    vals = expect_list_of_numbers(nb.call("gradient_norms", depth, activation, seed), what, depth, item="norm",
                                  items="norms (one per Linear layer)")
    assert all(v > 0 for v in vals), f"{what}: every gradient norm must be a positive number"
    return vals


def _judge_pattern(s: list[float], r: list[float], d: int, seed: int, sigmoid_max: float, relu_min: float) -> None:
    rs, rr = s[0] / s[-1], r[0] / r[-1]
    if not rs < sigmoid_max and 1 / rs < sigmoid_max and relu_min < 1 / rr < 1:  # the pattern, last layer first
        raise KnownMistake("gradient_norms_reversed", (
            f"gradient_norms({d}, 'sigmoid', {seed}): the first layer's norm is {rs:.1e} times the last's; with "
            f"sigmoid it should vanish (well below {sigmoid_max:.0e}). Are the norms first layer first?"))
    assert rs < sigmoid_max, (
        f"gradient_norms({d}, 'sigmoid', {seed}): the first layer's norm is {rs:.1e} times the last's; with "
        f"sigmoid it should vanish (well below {sigmoid_max:.0e}). Are the norms first layer first?")
    assert relu_min < rr < 1, (
        f"gradient_norms({d}, 'relu', {seed}): the first layer's norm is {rr:.1e} times the last's; with "
        f"relu it should stay between {relu_min:.0e} and 1")


@check("check_gradient_norms", points=1, public=True)
def test_gradient_norms_public(nb):
    "gradient_norms: the notebook's example: 4 positive floats, the same for the same seed; depth 10 pattern for seed 0"
    a = _norms(nb, 4, "relu", 0)
    assert a == _norms(nb, 4, "relu", 0), "gradient_norms(4, 'relu', 0): two calls with the same seed gave different norms"
    _judge_pattern(_norms(nb, 10, "sigmoid", 0), _norms(nb, 10, "relu", 0), 10, 0, 1e-5, 1e-5)

"""gradient_norms (3 points): the weight-gradient norm of every layer of a seeded depth-layer
MLP after one batch. The contract's recipe is run here too (torch 2.13, same seed) and the
values compared closely; the six orders of drawing the model, the inputs and the targets after
seeding are all accepted. Lazy replies considered: constants with the right first/last ratio,
the seed or the depth ignored, the norms last layer first (a known mistake, with its hint), biases'
norms."""
from __future__ import annotations

import math

from autograder.checks import KnownMistake, check, expect_list_of_numbers, mistaken, reference

from .. import reference as R

REL_TOL = 1e-3  # float32 sums in another order: a few 1e-6 apart (measure_reference.py gradient_norms)


def _norms(nb, depth: int, activation: str, seed: int) -> list[float]:
    what = f"gradient_norms({depth}, {activation!r}, {seed})"
    vals = expect_list_of_numbers(nb.call("gradient_norms", depth, activation, seed), what, depth, item="norm",
                                  items="norms (one per Linear layer)")
    assert all(v > 0 for v in vals), f"{what}: every gradient norm must be a positive number"
    return vals


@reference
def _readings(depth: int, activation: str, seed: int) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(R.gradient_norms(depth, activation, seed, order)) for order in R.DRAW_ORDERS)


def _recipe(got: list[float], depth: int, activation: str, seed: int) -> bool:
    return any(all(math.isclose(g, w, rel_tol=REL_TOL) for g, w in zip(got, want))
               for want in _readings(depth, activation, seed))


def _judge_values(nb, depth: int, activation: str, seed: int) -> list[float]:
    got = _norms(nb, depth, activation, seed)
    if not _recipe(got, depth, activation, seed):
        reversed_ = depth > 1 and _recipe(got[::-1], depth, activation, seed)
        raise mistaken(AssertionError(
            f"gradient_norms({depth}, {activation!r}, {seed}): the norms are not those of the contract's network: "
            f"seed with torch.manual_seed({seed}), build {depth} Linear layers of width 32 (the last one 32 -> 10) "
            f"with {activation} between them and PyTorch's default init, draw 64 standard-normal inputs of size 32 "
            "and 64 targets in 0..9, one cross-entropy backward pass; the norm of each layer's weight gradient, "
            "first layer first"), "gradient_norms_reversed" if reversed_ else "")
    return got


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


@check("check_gradient_norms", points=1)
def test_gradient_norms_shape(nb):
    "gradient_norms: one norm per layer for depths 1, 3 and 12, equal to the contract's recipe run by the grader; the same seed gives the same norms"
    for depth, activation, seed in ((1, "relu", 3), (3, "relu", 3), (12, "relu", 3), (3, "sigmoid", 5)):
        _judge_values(nb, depth, activation, seed)
    a = _norms(nb, 4, "sigmoid", 17)
    b = _norms(nb, 4, "sigmoid", 17)
    assert a == b, "gradient_norms(4, 'sigmoid', 17): two calls with the same seed gave different norms"


@check("check_gradient_norms", points=1)
def test_gradient_norms_pattern(nb, assignment):
    "gradient_norms: at depth 10 the first layer's gradient vanishes with sigmoid, not with relu (other seeds), as the grader's own run of the recipe"
    cfg = assignment["gradient_norms"]
    for seed in cfg["seeds"]:
        s = _judge_values(nb, cfg["depth"], "sigmoid", seed)
        r = _judge_values(nb, cfg["depth"], "relu", seed)
        _judge_pattern(s, r, cfg["depth"], seed, cfg["sigmoid_ratio_max"], cfg["relu_ratio_min"])

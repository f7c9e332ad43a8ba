"""Public checks of check_make_spiral (02_spiral_classification), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import (
    check, close, device_matches, expect_tensor, expect_tuple, mistaken, recognise,
)
from .. import public as P


def _spiral(nb, what: str, n: int, c: int, device: str, **kw):
    out = expect_tuple(nb.call("make_spiral", n_per_class=n, n_classes=c, device=device, **kw), what, 2)
    on_cpu = all(isinstance(t, torch.Tensor) and device_matches(t, "cpu") for t in out) and device != "cpu"
    try:
        X = expect_tensor(out[0], f"{what}, X", shape=(n * c, 2), dtype=torch.float32, device=device)
    except AssertionError as e:
        raise mistaken(e, "device_left_on_cpu" if on_cpu else "") from None
    Y = expect_tensor(out[1], f"{what}, Y", shape=(n * c,), dtype=torch.int64, device=device)
    want = torch.arange(c).repeat_interleave(n)
    assert torch.equal(Y.cpu(), want), (
        f"{what}: Y must hold label c in rows c*N to (c+1)*N (class 0 first, then class 1, ...)")
    return X.detach().cpu().double(), Y.cpu()


def _radius_ok(X: torch.Tensor, n: int, c: int) -> bool:
    radius = X.norm(dim=1).reshape(c, n)
    return close(radius, torch.linspace(0, 1, n, dtype=torch.float64).expand(c, n), rtol=0, atol=1e-5)


def _angle_residual(X: torch.Tensor, n: int, c: int) -> torch.Tensor:
    keep = X.norm(dim=1) > 0.05  # the angle of a point at the origin is undefined
    return P.wrap_angle(torch.atan2(X[:, 0], X[:, 1]) - P.spiral_angle_law(n, c))[keep]


RADIUS_MSG = ("make_spiral: the distance of each class's points from the origin must be t = linspace(0, 1, N) "
              "(the noise only changes the angle)")


def _judge_law(X0: torch.Tensor, n: int, c: int, tol: float) -> None:
    """Noise-free points on the contract's law; the known mistakes' laws are named."""
    try:
        assert _angle_residual(X0, n, c).abs().max().item() < tol, ANGLE_MSG
    except AssertionError as e:
        raise mistaken(e, recognise(X0, _law_mistakes(n, c) or [])) from None


def _law_mistakes(n: int, c: int) -> list:
    return None  # grader-only (see @grader_only): not run from the release


ANGLE_MSG = ("make_spiral: with noise=0 the points do not follow the law: class c's angle must run "
             "linspace(2πc/C, 2π(c+2)/C, N) and each point be t·(sin(angle), cos(angle))")


@check("check_make_spiral", points=1, public=True)
def test_make_spiral_public(nb, device):
    "make_spiral: the notebook's example (50 per class, 4 classes): shapes, labels, radius, angle, seeds, device"
    X, _ = _spiral(nb, "make_spiral(n_per_class=50, n_classes=4, seed=1)", 50, 4, "cpu", noise=0.2, seed=1)
    assert _radius_ok(X, 50, 4), RADIUS_MSG
    X0, _ = _spiral(nb, "make_spiral(n_per_class=50, n_classes=4, noise=0.0, seed=1)", 50, 4, "cpu", noise=0.0, seed=1)
    _judge_law(X0, 50, 4, 1e-3)
    again, _ = _spiral(nb, "make_spiral(n_per_class=50, n_classes=4, seed=1)", 50, 4, "cpu", noise=0.2, seed=1)
    other, _ = _spiral(nb, "make_spiral(n_per_class=50, n_classes=4, seed=2)", 50, 4, "cpu", noise=0.2, seed=2)
    assert torch.equal(X, again), "make_spiral: two calls with the same seed gave different data"
    assert not torch.equal(X, other), "make_spiral: seeds 1 and 2 gave the same data"
    _spiral(nb, f"make_spiral(n_per_class=10, device={device!r})", 10, 3, device)

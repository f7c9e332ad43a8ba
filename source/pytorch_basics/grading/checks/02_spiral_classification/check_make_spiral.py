"""make_spiral (6 points): the contract's spiral, vectorised, seeded, on the requested device.
Lazy replies considered: a wrong angle law, the noise level or class count ignored, noise right
only in mean and std (scaled uniform noise: Kolmogorov-Smirnov against N(0, 1)), noise that is
normal but correlated from point to point (sorted), a Python loop over points, the seed ignored.
Known mistakes (their hints): sin and cos swapped, arms that turn through 2π/C, data left on the CPU."""
from __future__ import annotations

import torch

from autograder.checks import (
    CallTimeout, Known, autocorrelation_bar, check, close, device_matches, expect_tensor, expect_tuple, grader_only,
    ks_bar, ks_normal, lag1_autocorrelation, mistaken, recognise,
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


@grader_only
def _law_mistakes(n: int, c: int) -> list:
    """The known mistakes' laws (the grader's reference.spiral_points, not released)."""
    from .. import reference as R

    return [Known("spiral_sin_cos_swapped", R.spiral_points(n, c, sin_first=False)),
            Known("spiral_arm_too_short", R.spiral_points(n, c, turn=1.0))]


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


@check("check_make_spiral", points=1)
def test_make_spiral_layout(nb, device):
    "make_spiral: other sizes and class counts, on the grading device; same seed same data, other seed other data"
    for n, c in ((7, 2), (33, 5)):
        _spiral(nb, f"make_spiral(n_per_class={n}, n_classes={c})", n, c, device, noise=0.1, seed=7)
    a, _ = _spiral(nb, "make_spiral(n_per_class=100, seed=21)", 100, 3, device, noise=0.2, seed=21)
    b, _ = _spiral(nb, "make_spiral(n_per_class=100, seed=21)", 100, 3, device, noise=0.2, seed=21)
    d, _ = _spiral(nb, "make_spiral(n_per_class=100, seed=22)", 100, 3, device, noise=0.2, seed=22)
    assert torch.equal(a, b), "make_spiral: two calls with the same seed gave different data"
    assert not torch.equal(a, d), "make_spiral: two different seeds gave the same data"


@check("check_make_spiral", points=1)
def test_make_spiral_radius(nb, device):
    "make_spiral: the radius of class c's points is t = linspace(0, 1, N)"
    for n, c, noise in ((200, 5, 0.3), (64, 2, 1.0)):
        X, _ = _spiral(nb, f"make_spiral(n_per_class={n}, n_classes={c}, noise={noise})", n, c, device,
                       noise=noise, seed=3)
        assert _radius_ok(X, n, c), RADIUS_MSG


@check("check_make_spiral", points=1)
def test_make_spiral_angle(nb, device, assignment):
    "make_spiral: the angle is linspace(2πc/C, 2π(c+2)/C, N) plus noise·randn (independent standard-normal draws), point = t·(sin, cos)"
    cfg = assignment["make_spiral"]
    n, c = 300, 3
    X, _ = _spiral(nb, f"make_spiral(n_per_class={n}, noise=0)", n, c, device, noise=0.0, seed=5)
    _judge_law(X, n, c, cfg["angle_tol_noise_free"])
    n = 2000
    for noise in cfg["noise_levels"]:
        X, _ = _spiral(nb, f"make_spiral(n_per_class={n}, noise={noise})", n, c, device, noise=noise, seed=8)
        resid = _angle_residual(X, n, c)
        mean, std = resid.mean().item(), resid.std().item()
        rel = cfg["noise_std_rel_tol"]
        assert abs(mean) < cfg["noise_mean_tol_rel"] * noise and abs(std / noise - 1) < rel, (
            f"make_spiral: with noise={noise} the angles should scatter around the law as noise·randn "
            f"(mean 0, std {noise}); they scatter with mean {mean:.3f} and std {std:.3f}")
        d, bar = ks_normal(resid / noise), ks_bar(resid.numel(), cfg["noise_ks_alpha"])
        assert d <= bar, (
            f"make_spiral: with noise={noise} the angles scatter around the law with the right mean and std, but "
            f"not as noise·randn: their distribution is {d:.3f} away from a normal one (Kolmogorov-Smirnov; "
            f"chance allows {bar:.3f}); draw the noise with torch.randn")
        r, rbar = lag1_autocorrelation(resid), autocorrelation_bar(resid.numel())
        assert abs(r) <= rbar, (
            f"make_spiral: with noise={noise} the noise of each point is correlated with the next one's ({r:.2f}); "
            "draw independent noise for every point with torch.randn")


@check("check_make_spiral", points=2)
def test_make_spiral_vectorised(nb, assignment):
    "make_spiral: vectorised (no Python loop over points)"
    cfg = assignment["make_spiral"]
    small, big = cfg["vector_n_small"], cfg["vector_n_big"]
    points = 3 * big

    def cpu(n: int) -> float:
        # CPU seconds of the worker, read by the grader from /proc: unlike wall time, they do
        # not grow when other gradings share the machine (a loaded grader must not fail a
        # vectorised spiral), and the submission cannot forge them.
        c0 = nb.cpu_seconds()
        try:
            nb.call("make_spiral", n_per_class=n, n_classes=3, noise=0.2, seed=1, device="cpu",
                    timeout=cfg["vector_timeout_s"])
        except CallTimeout:
            raise AssertionError(
                f"make_spiral: {points} points took longer than {cfg['vector_timeout_s']} s; build them with "
                "tensor operations on whole classes (linspace, randn, sin, cos), not a Python loop over points"
            ) from None
        return nb.cpu_seconds() - c0

    c_small = min(cpu(small) for _ in range(cfg["vector_repeats"]))
    c_big = min(cpu(big) for _ in range(cfg["vector_repeats"]))
    extra = c_big - c_small
    assert extra < cfg["vector_max_extra_cpu_s"], (
        f"make_spiral: {points} points took {extra:.2f} s of CPU more than {3 * small}; a vectorised version "
        f"needs a few hundredths of a second. Build the points with tensor operations on whole classes "
        "(linspace, randn, sin, cos), not a Python loop over points")

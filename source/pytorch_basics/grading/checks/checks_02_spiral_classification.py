"""Checks of notebook 2, `02_spiral_classification` (40 points).

Training and held-out spirals are drawn here, by the grader's own `make_spiral`, from seeds in
assignment.toml that appear nowhere in the release. Models stay in the worker as handles: they are
judged by the predictions they return for inputs the grader chose, and every accuracy is computed
here with labels the worker never sees.
"""
from __future__ import annotations

import math
import functools
import statistics
import time

import torch

import reference as R
from autograder.engine import check
from autograder.sandbox import CallTimeout, StudentError, SubmissionFault
from reference import close, expect_handle, expect_number, expect_tensor, expect_tuple, type_name

# ------------------------------------------------------------------------------------------------
# make_spiral (6)
# ------------------------------------------------------------------------------------------------


def _spiral(nb02, what: str, n: int, c: int, device: str, **kw):
    out = expect_tuple(nb02.call("make_spiral", n_per_class=n, n_classes=c, device=device, **kw), what, 2)
    X = expect_tensor(out[0], f"{what}, X", shape=(n * c, 2), dtype=torch.float32, device=device)
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
    return R.wrap_angle(torch.atan2(X[:, 0], X[:, 1]) - R.spiral_angle_law(n, c))[keep]


RADIUS_MSG = ("make_spiral: the distance of each class's points from the origin must be t = linspace(0, 1, N) "
              "(the noise only changes the angle)")
ANGLE_MSG = ("make_spiral: with noise=0 the points do not follow the law: class c's angle must run "
             "linspace(2πc/C, 2π(c+2)/C, N) and each point be t·(sin(angle), cos(angle))")


@check("check_make_spiral", points=1, public=True)
def test_make_spiral_public(nb02, device):
    "make_spiral: the notebook's example (50 per class, 4 classes): shapes, labels, radius, angle, seeds, device"
    X, _ = _spiral(nb02, "make_spiral(n_per_class=50, n_classes=4, seed=1)", 50, 4, "cpu", noise=0.2, seed=1)
    assert _radius_ok(X, 50, 4), RADIUS_MSG
    X0, _ = _spiral(nb02, "make_spiral(n_per_class=50, n_classes=4, noise=0.0, seed=1)", 50, 4, "cpu", noise=0.0, seed=1)
    assert _angle_residual(X0, 50, 4).abs().max().item() < 1e-3, ANGLE_MSG
    again, _ = _spiral(nb02, "make_spiral(n_per_class=50, n_classes=4, seed=1)", 50, 4, "cpu", noise=0.2, seed=1)
    other, _ = _spiral(nb02, "make_spiral(n_per_class=50, n_classes=4, seed=2)", 50, 4, "cpu", noise=0.2, seed=2)
    assert torch.equal(X, again), "make_spiral: two calls with the same seed gave different data"
    assert not torch.equal(X, other), "make_spiral: seeds 1 and 2 gave the same data"
    _spiral(nb02, f"make_spiral(n_per_class=10, device={device!r})", 10, 3, device)


@check("check_make_spiral", points=1)
def test_make_spiral_layout(nb02, device):
    "make_spiral: other sizes and class counts, on the grading device; same seed same data, other seed other data"
    for n, c in ((7, 2), (33, 5)):
        _spiral(nb02, f"make_spiral(n_per_class={n}, n_classes={c})", n, c, device, noise=0.1, seed=7)
    a, _ = _spiral(nb02, "make_spiral(n_per_class=100, seed=21)", 100, 3, device, noise=0.2, seed=21)
    b, _ = _spiral(nb02, "make_spiral(n_per_class=100, seed=21)", 100, 3, device, noise=0.2, seed=21)
    d, _ = _spiral(nb02, "make_spiral(n_per_class=100, seed=22)", 100, 3, device, noise=0.2, seed=22)
    assert torch.equal(a, b), "make_spiral: two calls with the same seed gave different data"
    assert not torch.equal(a, d), "make_spiral: two different seeds gave the same data"


@check("check_make_spiral", points=1)
def test_make_spiral_radius(nb02, device):
    "make_spiral: the radius of class c's points is t = linspace(0, 1, N)"
    for n, c, noise in ((200, 5, 0.3), (64, 2, 1.0)):
        X, _ = _spiral(nb02, f"make_spiral(n_per_class={n}, n_classes={c}, noise={noise})", n, c, device,
                       noise=noise, seed=3)
        assert _radius_ok(X, n, c), RADIUS_MSG


@check("check_make_spiral", points=1)
def test_make_spiral_angle(nb02, device, assignment):
    "make_spiral: the angle is linspace(2πc/C, 2π(c+2)/C, N) plus noise·randn, point = t·(sin, cos)"
    cfg = assignment["make_spiral"]
    n, c = 300, 3
    X, _ = _spiral(nb02, f"make_spiral(n_per_class={n}, noise=0)", n, c, device, noise=0.0, seed=5)
    assert _angle_residual(X, n, c).abs().max().item() < cfg["angle_tol_noise_free"], ANGLE_MSG
    n = 2000
    for noise in cfg["noise_levels"]:
        X, _ = _spiral(nb02, f"make_spiral(n_per_class={n}, noise={noise})", n, c, device, noise=noise, seed=8)
        resid = _angle_residual(X, n, c)
        mean, std = resid.mean().item(), resid.std().item()
        rel = cfg["noise_std_rel_tol"]
        assert abs(mean) < cfg["noise_mean_tol_rel"] * noise and abs(std / noise - 1) < rel, (
            f"make_spiral: with noise={noise} the angles should scatter around the law as noise·randn "
            f"(mean 0, std {noise}); they scatter with mean {mean:.3f} and std {std:.3f}")


@check("check_make_spiral", points=2)
def test_make_spiral_vectorised(nb02, assignment):
    "make_spiral: vectorised (no Python loop over points)"
    cfg = assignment["make_spiral"]
    small, big = cfg["vector_n_small"], cfg["vector_n_big"]
    points = 3 * big

    def timed(n: int) -> float:
        t0 = time.perf_counter()
        try:
            nb02.call("make_spiral", n_per_class=n, n_classes=3, noise=0.2, seed=1, device="cpu",
                      timeout=cfg["vector_timeout_s"])
        except CallTimeout:
            raise AssertionError(
                f"make_spiral: {points} points took longer than {cfg['vector_timeout_s']} s; build them with "
                "tensor operations on whole classes (linspace, randn, sin, cos), not a Python loop over points"
            ) from None
        return time.perf_counter() - t0

    # min over repetitions: scheduling noise only ever adds time
    t_small = min(timed(small) for _ in range(cfg["vector_repeats"]))
    t_big = min(timed(big) for _ in range(cfg["vector_repeats"]))
    extra = t_big - t_small
    assert extra < cfg["vector_max_extra_s"], (
        f"make_spiral: {points} points took {extra:.2f} s more than {3 * small}; a vectorised version needs "
        f"a few hundredths of a second. Build the points with tensor operations on whole classes "
        "(linspace, randn, sin, cos), not a Python loop over points")


# ------------------------------------------------------------------------------------------------
# build_linear_model (3), build_relu_model (3)
# ------------------------------------------------------------------------------------------------


def _linear_weights(sd: dict, D: int, H: int, C: int, what: str):
    """Find W1 [H, D], b1 [H], W2 [C, H], b2 [C] by shape (D, H, C are distinct)."""
    assert isinstance(sd, dict), f"{what}: could not read the model's parameters"
    by_shape: dict[tuple, list] = {}
    for v in sd.values():
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            by_shape.setdefault(tuple(v.shape), []).append(v.detach().cpu().double())
    n_params = sum(v.numel() for vs in by_shape.values() for v in vs)
    want = D * H + H + H * C + C
    assert n_params == want, (
        f"{what}: expected {want} parameters (Linear({D}, {H}) and Linear({H}, {C}), both with bias), "
        f"got {n_params}")
    out = []
    for shape in ((H, D), (H,), (C, H), (C,)):
        vs = by_shape.get(shape, [])
        assert len(vs) == 1, (
            f"{what}: expected Linear({D}, {H}) followed by Linear({H}, {C}), both with bias")
        out.append(vs[0])
    return out


def _judge_two_layer(nb02, fn: str, D: int, H: int, C: int, relu: bool, gen) -> None:
    what = f"{fn}({D}, {H}, {C})"
    m = expect_handle(nb02.call(fn, D, H, C), what, "module")
    W1, b1, W2, b2 = _linear_weights(R.expect_state_dict(nb02.state_dict(m), what), D, H, C, what)
    x1 = torch.randn(32, D, generator=gen) * 2
    x2 = torch.randn(32, D, generator=gen) * 2
    a = 0.3
    outs = []
    for x in (x1, x2, a * x1 + (1 - a) * x2):
        y = expect_tensor(nb02.forward(m, x), f"{what}: the model's output for a batch of 32", shape=(32, C))
        outs.append(y.detach().cpu().double())
    affine = close(outs[2], a * outs[0] + (1 - a) * outs[1], rtol=1e-4, atol=1e-4)
    if relu:
        assert not affine, (
            f"{what}: the model computes an affine function of its input; expected a ReLU between the two Linear layers")
    else:
        assert affine, f"{what}: the model is not affine; expected Linear then Linear with nothing between"
    x = x1.double()
    h = x @ W1.T + b1
    if relu:
        h = h.clamp_min(0)
    want = h @ W2.T + b2
    assert close(outs[0], want, rtol=1e-4, atol=1e-4), (
        f"{what}: the output is not {'Linear2(ReLU(Linear1(x)))' if relu else 'Linear2(Linear1(x))'} "
        "computed with the model's own weights")


def _judge_structure(nb02, fn: str, kinds: list[str]) -> None:
    what = f"{fn}(2, 100, 3)"
    m = expect_handle(nb02.call(fn, 2, 100, 3), what, "module")
    leaves = [e for e in m.summary.get("modules", []) if isinstance(e, dict)]
    got = [R._short_type(e.get("type")) for e in leaves]
    assert got == kinds, f"{what}: expected the layers {', '.join(kinds)}, got {', '.join(got) or 'none'}"
    linears = [e for e in leaves if R._short_type(e.get("type")) == "Linear"]
    assert (linears[0].get("in_features"), linears[0].get("out_features")) == (2, 100), (
        f"{what}: the first layer should be Linear(D=2, H=100)")
    assert (linears[-1].get("in_features"), linears[-1].get("out_features")) == (100, 3), (
        f"{what}: the last layer should be Linear(H=100, C=3)")
    expect_tensor(nb02.forward(m, torch.zeros(5, 2)), f"{what}: the output for a [5, 2] input", shape=(5, 3))


@check("check_build_linear_model", points=1, public=True)
def test_build_linear_model_public(nb02):
    "build_linear_model: the notebook's sizes D=2, H=100, C=3 give Linear(2, 100), Linear(100, 3)"
    _judge_structure(nb02, "build_linear_model", ["Linear", "Linear"])


@check("check_build_linear_model", points=2)
def test_build_linear_model_other(nb02, gen):
    "build_linear_model: other sizes; computes Linear2(Linear1(x)), an affine function"
    _judge_two_layer(nb02, "build_linear_model", 5, 7, 4, relu=False, gen=gen)
    _judge_two_layer(nb02, "build_linear_model", 3, 1, 6, relu=False, gen=gen)


@check("check_build_relu_model", points=1, public=True)
def test_build_relu_model_public(nb02):
    "build_relu_model: the notebook's sizes D=2, H=100, C=3 give Linear(2, 100), ReLU, Linear(100, 3)"
    _judge_structure(nb02, "build_relu_model", ["Linear", "ReLU", "Linear"])


@check("check_build_relu_model", points=2)
def test_build_relu_model_other(nb02, gen):
    "build_relu_model: other sizes; computes Linear2(ReLU(Linear1(x))), not an affine function"
    _judge_two_layer(nb02, "build_relu_model", 6, 9, 5, relu=True, gen=gen)
    _judge_two_layer(nb02, "build_relu_model", 4, 12, 2, relu=True, gen=gen)


# ------------------------------------------------------------------------------------------------
# make_optimizer (3)
# ------------------------------------------------------------------------------------------------


def _grader_model(nb02, sizes, relu: bool, seed: int, device: str):
    """The grader's own model (Linear[-ReLU]-Linear...), built from torch.manual_seed(seed) here and
    sent to the worker with its weights: a handle there, an identical copy here."""
    torch.manual_seed(seed)
    model = R.mlp(sizes, relu=relu)
    handle = nb02.build_module(R.layer_spec(model), state_dict=model.state_dict(), device=device)
    return model.to(device), handle


def _judge_optimizer(nb02, device: str, name: str, sizes=(3, 5, 2), **hyper) -> None:
    _, model = _grader_model(nb02, list(sizes), relu=True, seed=1, device=device)  # model: the handle
    args = ", ".join([repr(name)] + [f"{k}={v}" for k, v in hyper.items()])
    what = f"make_optimizer(model, {args})"
    opt = expect_handle(nb02.call("make_optimizer", model, name, **hyper), what, "optimizer")
    cls = R.optimizer_class(opt)
    want_cls = {"sgd": "SGD", "adam": "Adam"}[name]
    assert cls == want_cls, f"{what}: returned a {cls} optimizer, expected torch.optim.{want_cls}"
    groups = R.optimizer_groups(opt)
    lr = hyper.get("lr", 1e-3)
    wd = hyper.get("weight_decay", 1e-5)
    for g in groups:
        assert math.isclose(R.summary_number(g.get("lr")), lr, rel_tol=1e-9), (
            f"{what}: the optimizer's learning rate is {g.get('lr')}, expected {lr}")
        assert math.isclose(R.summary_number(g.get("weight_decay")), wd, rel_tol=1e-9, abs_tol=1e-15), (
            f"{what}: the optimizer's weight_decay is {g.get('weight_decay')}, expected {wd}")
    covered = R.optimizer_param_ids(opt)
    wanted = R.module_param_ids(model)
    assert wanted, "the grader's model has no parameter ids in its summary"
    assert set(wanted) <= set(covered), (
        f"{what}: the optimizer does not update all of the model's parameters (pass model.parameters())")


def _judge_unknown(nb02, model, bad: str) -> None:
    try:
        out = nb02.call("make_optimizer", model, bad)
    except StudentError as e:
        assert e.exc_type == "ValueError", f"make_optimizer(model, {bad!r}): raised {e.exc_type}, expected ValueError"
        return
    raise AssertionError(f"make_optimizer(model, {bad!r}): returned a {type_name(out)}, expected it to raise ValueError")


@check("check_make_optimizer", points=1, public=True)
def test_make_optimizer_public(nb02, device):
    "make_optimizer: the notebook's 'sgd' and 'adam' with lr=0.05, weight_decay=1e-4, the defaults, and 'rmsprop'"
    for name in ("sgd", "adam"):
        _judge_optimizer(nb02, device, name, sizes=(2, 10, 3), lr=0.05, weight_decay=1e-4)
    _judge_optimizer(nb02, device, "adam", sizes=(2, 10, 3))
    _, model = _grader_model(nb02, [2, 10, 3], relu=True, seed=1, device=device)
    _judge_unknown(nb02, model, "rmsprop")


@check("check_make_optimizer", points=1)
def test_make_optimizer_hyper(nb02, device):
    "make_optimizer: other lr and weight_decay, the SGD defaults, covering all the model's parameters"
    _judge_optimizer(nb02, device, "sgd")
    _judge_optimizer(nb02, device, "adam", sizes=(5, 3, 4, 2), lr=0.02, weight_decay=0.003)
    _judge_optimizer(nb02, device, "sgd", sizes=(4, 6, 3), lr=0.5, weight_decay=0.0)


@check("check_make_optimizer", points=1)
def test_make_optimizer_unknown(nb02, device):
    "make_optimizer: ValueError for other names ('adamw', 'momentum')"
    _, model = _grader_model(nb02, [3, 5, 2], relu=True, seed=1, device=device)
    for bad in ("adamw", "momentum"):
        _judge_unknown(nb02, model, bad)


# ------------------------------------------------------------------------------------------------
# accuracy (3)
# ------------------------------------------------------------------------------------------------


def _judge_accuracy(nb02, logits: torch.Tensor, Y: torch.Tensor, what: str) -> None:
    got = expect_number(nb02.call("accuracy", logits, Y), what)
    assert 0.0 <= got <= 1.0, f"{what}: returned {got:g}, expected a fraction between 0 and 1 (not a count)"
    want = R.accuracy(logits.cpu(), Y.cpu())
    assert abs(got - want) < 1e-6, f"{what}: returned {got:.4f}, which is not the fraction of rows whose argmax equals the label"


@check("check_accuracy", points=1, public=True)
def test_accuracy_public(nb02, device):
    "accuracy: the notebook's 4-row example (0.75, and 1.0 when every row is right)"
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [0.0, 0.0, 1.0]], device=device)
    _judge_accuracy(nb02, logits, torch.tensor([0, 1, 1, 2], device=device), "accuracy(the notebook's logits, labels)")
    _judge_accuracy(nb02, logits, torch.tensor([0, 1, 2, 2], device=device),
                    "accuracy(the notebook's logits, labels that are all right)")


@check("check_accuracy", points=2)
def test_accuracy_random(nb02, device, gen):
    "accuracy: random logits (no ties) and labels, all right and all wrong"
    logits = torch.randn(257, 5, generator=gen)
    Y = torch.randint(0, 5, (257,), generator=gen)
    _judge_accuracy(nb02, logits.to(device), Y.to(device), "accuracy(random logits of shape [257, 5], labels)")
    right = logits.argmax(1)
    _judge_accuracy(nb02, logits.to(device), right.to(device), "accuracy(logits, labels that are all right)")
    _judge_accuracy(nb02, logits.to(device), ((right + 1) % 5).to(device), "accuracy(logits, labels that are all wrong)")


# ------------------------------------------------------------------------------------------------
# train (6)
# ------------------------------------------------------------------------------------------------


def _judge_train(nb02, device: str, kind: str, hyper: dict, epochs: int, seed: int, part: str,
                 tol: float = 1e-4) -> None:
    X, Y = R.make_spiral(60, 3, 0.2, seed=seed, device=device)
    model, handle = _grader_model(nb02, [2, 16, 3], relu=True, seed=seed, device=device)
    opt = nb02.build_optimizer(handle, R.TORCH_OPTIMIZERS[kind], **hyper)
    what = f"train(model, X, Y, {R.optimizer_display(kind, hyper)}, epochs={epochs})"
    losses = nb02.call("train", handle, X, Y, opt, epochs)
    assert isinstance(losses, (list, tuple)), f"{what}: returned a {type_name(losses)}, expected a list of floats"
    assert len(losses) == epochs, f"{what}: expected {epochs} losses (one per epoch), got {len(losses)}"
    got = [expect_number(v, f"{what}, loss of epoch {i + 1}") for i, v in enumerate(losses)]
    want = R.train_reference(model, X, Y, R.make_torch_optimizer(model, kind, **hyper), epochs)
    if part in ("losses", "all"):
        for i, (g, w) in enumerate(zip(got, want)):
            assert math.isclose(g, w, rel_tol=tol, abs_tol=tol), (
                f"{what}: the loss of epoch {i + 1} ({g:.5f}) differs from the reference loop's (the cross-entropy "
                "of the full batch before that epoch's step; each epoch: zero the gradients, forward, backward, step)")
    if part in ("weights", "all"):
        sd = R.expect_state_dict(nb02.state_dict(handle), what)
        for k, v in model.state_dict().items():
            got_v = expect_tensor(sd.get(k), f"{what}: the model's {k}", shape=v.shape, device=device)
            assert close(got_v, v, rtol=tol, atol=tol), (
                f"{what}: after training, the model's weights differ from {epochs} epochs of full-batch training "
                "(zero the gradients every epoch, then forward, backward, step)")


@check("check_train", points=1, public=True)
def test_train_public(nb02, device):
    "train: the notebook's example (SGD lr 0.5, 30 epochs): 30 float losses, the first before any step, going down"
    X, Y = R.make_spiral(20, 3, 0.2, seed=3, device=device)
    model, handle = _grader_model(nb02, [2, 16, 3], relu=True, seed=0, device=device)
    opt = nb02.build_optimizer(handle, "SGD", lr=0.5)
    what = "train(model, X, Y, torch.optim.SGD(lr=0.5), epochs=30)"
    losses = nb02.call("train", handle, X, Y, opt, 30)
    assert isinstance(losses, list), f"{what}: returned a {type_name(losses)}, expected a list of floats"
    assert len(losses) == 30, f"{what}: expected 30 losses (one per epoch), got {len(losses)}"
    got = [expect_number(v, f"{what}, loss of epoch {i + 1}") for i, v in enumerate(losses)]
    with torch.no_grad():
        initial = torch.nn.functional.cross_entropy(model(X), Y).item()
    assert abs(got[0] - initial) < 1e-5, (
        f"{what}: the first loss should be the loss of the untrained model ({initial:.4f}), got {got[0]:.4f}: "
        "record each epoch's loss before its step")
    assert got[-1] < got[0], f"{what}: the loss should go down during training"
    sd = R.expect_state_dict(nb02.state_dict(handle), what)
    changed = any(not close(expect_tensor(sd.get(k), f"{what}: the model's {k}", shape=v.shape), v, rtol=0, atol=0)
                  for k, v in model.state_dict().items())
    assert changed, f"{what}: the model's parameters did not change; train should update them"


@check("check_train", points=2)
def test_train_sgd_losses(nb02, device, assignment):
    "train: the losses of SGD training match the reference loop from the same weights"
    cfg = assignment["train"]
    _judge_train(nb02, device, "sgd", {"lr": cfg["sgd_lr"], "weight_decay": cfg["weight_decay"]},
                 epochs=cfg["epochs"], seed=cfg["seeds"][0], part="losses", tol=cfg["tol"])


@check("check_train", points=1)
def test_train_sgd_weights(nb02, device, assignment):
    "train: the weights after SGD training match the reference loop from the same weights"
    cfg = assignment["train"]
    _judge_train(nb02, device, "sgd", {"lr": cfg["sgd_lr"], "weight_decay": cfg["weight_decay"]},
                 epochs=cfg["epochs"], seed=cfg["seeds"][1], part="weights", tol=cfg["tol"])


@check("check_train", points=2)
def test_train_adam(nb02, device, assignment):
    "train: the losses and weights of Adam training match the reference loop from the same weights"
    cfg = assignment["train"]
    _judge_train(nb02, device, "adam", {"lr": cfg["adam_lr"], "weight_decay": cfg["weight_decay"]},
                 epochs=cfg["epochs"], seed=cfg["seeds"][2], part="all", tol=cfg["tol"])


# ------------------------------------------------------------------------------------------------
# fit_spiral (10)
# ------------------------------------------------------------------------------------------------


def _fit(nb02, X: torch.Tensor, Y: torch.Tensor, device: str, budget: float, what: str):
    t0 = time.perf_counter()
    try:
        model = nb02.call("fit_spiral", X, Y, device, timeout=budget)
    except CallTimeout:
        raise AssertionError(
            f"{what}: training took longer than the time budget of {budget:g} s, so it gets no points; "
            "train for fewer epochs or use a smaller model") from None
    elapsed = time.perf_counter() - t0
    expect_handle(model, what, "module")
    devices = {str(d).split(":")[0] for d in model.summary.get("param_devices", [])}
    assert devices <= {device}, (
        f"{what}: the model's parameters are on {', '.join(sorted(devices))}; build it on the given device ({device})")
    return model, elapsed


def _heldout_accuracy(nb02, model, seed: int, cfg: dict, device: str, what: str) -> float:
    Xh, Yh = R.make_spiral(cfg["n_heldout_per_class"], 3, cfg["noise"], seed=seed, device=device)
    logits = expect_tensor(nb02.forward(model, Xh), f"{what}: the model's output for [n, 2] inputs",
                           shape=(Xh.shape[0], 3), device=device)
    assert logits.is_floating_point(), f"{what}: the model's output has dtype {logits.dtype}, expected float logits"
    return R.accuracy(logits.detach().cpu(), Yh.cpu())


def _credit(credit, accs: list[float], times: list[float], cfg: dict, where: str) -> None:
    med = statistics.median(accs)
    low, high = cfg["low_bar"], cfg["high_bar"]
    frac = R.linear_partial_credit(med, low, high)
    # The message quotes the published bars, not the grader's more lenient ones: whoever is
    # short of full points here is short of the published bar too.
    each = f" (each {', '.join(f'{a:.3f}' for a in accs)})" if len(accs) > 1 else ""
    if frac < 1.0:
        credit.set(frac, f"fit_spiral: {'median ' if len(accs) > 1 else ''}held-out accuracy {med:.3f} {where}{each}, "
                         f"training took at most {max(times):.1f} s; the notebook's bar: full points at "
                         f"{cfg['published_high_bar']:.2f}, partial credit above {cfg['published_low_bar']:.2f}")


@check("check_fit_spiral", points=2, public=True)
def test_fit_spiral_public(nb02, device, assignment, credit):
    "fit_spiral: the notebook's example: trained on spiral seed 7, accuracy on held-out spiral seed 8"
    cfg = assignment["fit_spiral"]
    X, Y = R.make_spiral(cfg["n_per_class"], 3, cfg["noise"], seed=7, device=device)
    what = "fit_spiral(the spiral of seed 7)"
    model, elapsed = _fit(nb02, X, Y, device, cfg["time_budget_s"], what)
    acc = _heldout_accuracy(nb02, model, 8, cfg, device, what)
    _credit(credit, [acc], [elapsed], cfg, "on the spiral of seed 8")
    try:
        credit.details.update(_boundary_picture(nb02, model, cfg, device))
    except (AssertionError, SubmissionFault):
        pass  # the picture is a courtesy for the feedback page; it never costs points


@functools.lru_cache(maxsize=1)
def _reference_model_for_seed_7(n_per_class: int, noise: float) -> torch.nn.Module:
    # The classic ReLU + Adam model of the notebook, trained once per grading process (about 2 s).
    X, Y = R.make_spiral(n_per_class, 3, noise, seed=7, device="cpu")
    return R.fit_reference(X, Y)


def _boundary_picture(nb02, model, cfg: dict, device: str) -> dict:
    """The student's and the reference model's decision regions over the notebook's public
    held-out spiral (seed 8), for the feedback page. The hidden seeds' data is never drawn."""
    from autograder.reporters.html.plots import boundary_details, grid_points

    Xh, Yh = R.make_spiral(cfg["n_heldout_per_class"], 3, cfg["noise"], seed=8, device="cpu")
    grid, extent = grid_points(Xh)
    grid = torch.from_numpy(grid)
    student = expect_tensor(nb02.forward(model, grid.to(device)), "fit_spiral: the model's output on a grid",
                            shape=(grid.shape[0], 3)).detach().cpu()
    ref_model = _reference_model_for_seed_7(cfg["n_per_class"], cfg["noise"])  # trains: grad on
    with torch.no_grad():
        reference = ref_model(grid)
    return boundary_details(student, reference, Xh, Yh, extent,
                            caption="trained on the notebook's spiral (seed 7), shown on the spiral of seed 8")


@check("check_fit_spiral", points=8)
def test_fit_spiral_heldout(nb02, device, assignment, credit):
    "fit_spiral: median accuracy on held-out spirals, trained on spirals the grader draws with hidden seeds"
    cfg = assignment["fit_spiral"]
    accs, times = [], []
    for seed, held_seed in zip(cfg["seeds"], cfg["heldout_seeds"]):
        X, Y = R.make_spiral(cfg["n_per_class"], 3, cfg["noise"], seed=seed, device=device)
        what = "fit_spiral(a spiral drawn by the grader)"
        model, elapsed = _fit(nb02, X, Y, device, cfg["time_budget_s"], what)
        times.append(elapsed)
        accs.append(_heldout_accuracy(nb02, model, held_seed, cfg, device, what))
    _credit(credit, accs, times, cfg, f"over {len(accs)} hidden spirals")


# ------------------------------------------------------------------------------------------------
# plot_decision_boundary (6)
# ------------------------------------------------------------------------------------------------


def _plot(nb02, device: str, n: int, classes: int, hidden: int, seed: int, model_seed: int):
    X, Y = R.make_spiral(n, classes, 0.2, seed=seed, device=device)
    model, handle = _grader_model(nb02, [2, hidden, classes], relu=True, seed=model_seed, device=device)
    what = f"plot_decision_boundary(model, X, Y) with {n * classes} points of {classes} classes"
    fig = expect_handle(nb02.call("plot_decision_boundary", handle, X, Y), what, "figure")
    return what, X.cpu(), model, handle, fig


def _judge_untouched(nb02, what: str, model, handle, device: str) -> None:
    sd = R.expect_state_dict(nb02.state_dict(handle), what)
    for k, v in model.state_dict().items():
        got = expect_tensor(sd.get(k), f"{what}: the model's {k} afterwards", shape=v.shape)
        assert R.device_matches(got, device), (
            f"{what}: the model was moved to {got.device.type}; it must stay on {device} "
            "(move the grid of points to the model's device instead)")
        assert close(got, v, rtol=0, atol=0), f"{what}: the model's weights changed; plotting must not train or modify it"


@check("check_plot_decision_boundary", points=1, public=True)
def test_plot_decision_boundary_public(nb02, device):
    "plot_decision_boundary: the notebook's example: a Figure with filled regions, all points, the model untouched"
    what, X, model, handle, fig = _plot(nb02, device, 30, 3, 8, seed=4, model_seed=0)
    n = R.scatter_points(fig)
    assert n == X.shape[0], f"{what}: expected a scatter of all {X.shape[0]} points, found {n}"
    ok, why = R.has_filled_regions(fig, X)
    assert ok, f"{what}: {why}"
    _judge_untouched(nb02, what, model, handle, device)


@check("check_plot_decision_boundary", points=2)
def test_plot_decision_boundary_regions(nb02, device):
    "plot_decision_boundary: filled decision regions (contourf, pcolormesh or imshow) over the data's bounding box"
    for n, classes, seed in ((40, 4, 9), (25, 2, 10)):
        what, X, *_, fig = _plot(nb02, device, n, classes, 24, seed=seed, model_seed=seed)
        ok, why = R.has_filled_regions(fig, X)
        assert ok, f"{what}: {why}"


@check("check_plot_decision_boundary", points=2)
def test_plot_decision_boundary_points(nb02, device):
    "plot_decision_boundary: every data point drawn on top (a scatter of all N points)"
    for n, classes, seed in ((70, 3, 11), (40, 4, 9)):
        what, X, *_, fig = _plot(nb02, device, n, classes, 24, seed=seed, model_seed=seed)
        got = R.scatter_points(fig)
        assert got == X.shape[0], f"{what}: expected a scatter of all {X.shape[0]} points, found {got}"


@check("check_plot_decision_boundary", points=1)
def test_plot_decision_boundary_model_untouched(nb02, device):
    "plot_decision_boundary: leaves another model as it was, on its device"
    what, _, model, handle, _ = _plot(nb02, device, 50, 3, 32, seed=12, model_seed=12)
    _judge_untouched(nb02, what, model, handle, device)

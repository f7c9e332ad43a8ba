"""Checks of notebook 3, `03_activations_and_optimizers` (17 code points; the short answers are
graded elsewhere).

The oracles are torch's own functions (torch.sigmoid, torch.tanh, torch.optim.SGD/Adam, ...),
run here in the grader on the same inputs the worker got.
"""
from __future__ import annotations

import math

import torch

import reference as R
from autograder.engine import check
from reference import close, expect_handle, expect_number, expect_tensor, type_name

# ------------------------------------------------------------------------------------------------
# activations (5): sigmoid, tanh_via_sigmoid, relu, leaky_relu, sigmoid_grad
# ------------------------------------------------------------------------------------------------


def _inputs(gen, device: str) -> list[tuple[torch.Tensor, str]]:
    """Other shapes and dtypes than the notebook's, with extreme values."""
    extreme = torch.tensor([-1000.0, -100.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 100.0, 1000.0])
    a = torch.cat((extreme, torch.randn(27, generator=gen) * 4)).reshape(4, 9)
    b = torch.cat((extreme.double(), torch.randn(31, generator=gen, dtype=torch.float64) * 6)).reshape(2, 5, 4)
    c = torch.randn(3, generator=gen) * 0.5
    return [(a.to(device), "a float32 tensor of shape [4, 9] with values up to ±1000"),
            (b.to(device), "a float64 tensor of shape [2, 5, 4] with values up to ±1000"),
            (c.to(device), "a float32 tensor of shape [3]")]


def _judge_elementwise(nb03, fn: str, oracle, x: torch.Tensor, what: str, device: str, *args,
                       rtol: float = 1e-5, atol: float = 1e-6) -> None:
    call = f"{fn}({what}{''.join(', ' + repr(a) for a in args)})"
    y = expect_tensor(nb03.call(fn, x, *args), call, shape=x.shape, dtype=x.dtype, device=device, finite=False)
    assert bool(torch.isfinite(y.cpu()).all()), (
        f"{call}: the result has nan or inf values; it must stay finite for inputs as large as ±1000 "
        "(avoid exp of a large positive number)")
    want = oracle(x.cpu())
    assert close(y, want, rtol=rtol, atol=atol), f"{call}: the values differ from the mathematical {fn}"


def _sigmoid_grad(x):
    s = torch.sigmoid(x)
    return s * (1 - s)


ORACLES = {
    "sigmoid": torch.sigmoid,
    "tanh_via_sigmoid": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda x, slope=0.01: torch.where(x >= 0, x, x * slope),
    "sigmoid_grad": _sigmoid_grad,
}


@check("check_activations", points=1, public=True)
def test_activations_public(nb03, device):
    "sigmoid, tanh_via_sigmoid, relu, leaky_relu, sigmoid_grad: the notebook's example tensor"
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], device=device)
    for fn, oracle in ORACLES.items():
        _judge_elementwise(nb03, fn, oracle, x, "the notebook's tensor [-2, -0.5, 0, 0.5, 2]", device)


@check("check_activations", points=1)
def test_sigmoid(nb03, device, gen):
    "sigmoid: float32 and float64 inputs of other shapes, finite at ±1000"
    for x, what in _inputs(gen, device):
        _judge_elementwise(nb03, "sigmoid", torch.sigmoid, x, what, device)


@check("check_activations", points=1)
def test_tanh_via_sigmoid(nb03, device, gen):
    "tanh_via_sigmoid: equals torch.tanh on float32 and float64 inputs, finite at ±1000"
    for x, what in _inputs(gen, device):
        _judge_elementwise(nb03, "tanh_via_sigmoid", torch.tanh, x, what, device)


@check("check_activations", points=1)
def test_relu_leaky_relu(nb03, device, gen):
    "relu, leaky_relu: other shapes and dtypes, the default slope and another one"
    for x, what in _inputs(gen, device):
        _judge_elementwise(nb03, "relu", torch.relu, x, what, device, rtol=0, atol=0)
        _judge_elementwise(nb03, "leaky_relu", ORACLES["leaky_relu"], x, what, device)
        _judge_elementwise(nb03, "leaky_relu", lambda t: ORACLES["leaky_relu"](t, 0.2), x, what, device, 0.2)


@check("check_activations", points=1)
def test_sigmoid_grad(nb03, device, gen):
    "sigmoid_grad: σ(x)(1 − σ(x)) on float32 and float64 inputs, finite at ±1000"
    for x, what in _inputs(gen, device):
        _judge_elementwise(nb03, "sigmoid_grad", _sigmoid_grad, x, what, device)


# ------------------------------------------------------------------------------------------------
# collapse_linear (3)
# ------------------------------------------------------------------------------------------------


def _judge_collapse(nb03, sizes: list[int], seed: int, device: str) -> None:
    gen = torch.Generator().manual_seed(seed)
    model = R.mlp(sizes, relu=False)
    with torch.no_grad():  # weights of a moderate scale, so products of 5 matrices stay O(1)
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[-1]))
    handle = nb03.build_module(R.layer_spec(model), state_dict=model.state_dict(), device=device)
    arch = " -> ".join(f"Linear({a}, {b})" for a, b in zip(sizes[:-1], sizes[1:]))
    what = f"collapse_linear(a Sequential of {len(sizes) - 1} Linear layers)"
    out = expect_handle(nb03.call("collapse_linear", handle), what, "module")
    layers = R.module_leaf_types(out)
    assert layers == ["Linear"], (
        f"{what}: expected a single nn.Linear({sizes[0]}, {sizes[-1]}), got {' -> '.join(layers) or 'no layer'}")
    x = torch.randn(17, sizes[0], generator=gen)
    with torch.no_grad():
        want = model.double()(x.double())
    y = expect_tensor(nb03.forward(out, x.to(device)), f"{what}: the output of the collapsed layer",
                      shape=(17, sizes[-1]), device=device)
    assert close(y, want, rtol=1e-4, atol=1e-5), (
        f"{what}: the single Linear layer does not compute the same function as {arch} "
        "(W = W_k···W_2·W_1, b = W_k···W_2·b_1 + ... + b_k)")


@check("check_collapse_linear", points=1, public=True)
def test_collapse_linear_public(nb03, device):
    "collapse_linear: two Linear layers, as in the notebook"
    _judge_collapse(nb03, [3, 4, 2], seed=0, device=device)


@check("check_collapse_linear", points=2)
def test_collapse_linear_depths(nb03, device, assignment):
    "collapse_linear: 1 to 5 Linear layers of random widths and weights"
    gen = torch.Generator().manual_seed(assignment["collapse_linear"]["seed"])
    for depth in (1, 3, 5, 4, 2):
        sizes = torch.randint(1, 9, (depth + 1,), generator=gen).tolist()
        _judge_collapse(nb03, sizes, seed=int(torch.randint(0, 2**31, (1,), generator=gen)), device=device)


# ------------------------------------------------------------------------------------------------
# gradient_norms (3)
# ------------------------------------------------------------------------------------------------


def _norms(nb03, depth: int, activation: str, seed: int) -> list[float]:
    what = f"gradient_norms({depth}, {activation!r}, {seed})"
    out = nb03.call("gradient_norms", depth, activation, seed)
    assert isinstance(out, (list, tuple)), f"{what}: returned a {type_name(out)}, expected a list of floats"
    assert len(out) == depth, f"{what}: expected {depth} norms (one per Linear layer), got {len(out)}"
    vals = [expect_number(v, f"{what}, norm {i + 1}") for i, v in enumerate(out)]
    assert all(v > 0 for v in vals), f"{what}: every gradient norm must be a positive number"
    return vals


@check("check_gradient_norms", points=1, public=True)
def test_gradient_norms_public(nb03):
    "gradient_norms: the notebook's depth 5 with both activations gives 5 positive floats"
    for act in ("sigmoid", "relu"):
        _norms(nb03, 5, act, 0)


@check("check_gradient_norms", points=1)
def test_gradient_norms_shape(nb03):
    "gradient_norms: one norm per layer for depths 1, 3 and 12; the same seed gives the same norms"
    for depth in (1, 3, 12):
        _norms(nb03, depth, "relu", 3)
    a = _norms(nb03, 4, "sigmoid", 17)
    b = _norms(nb03, 4, "sigmoid", 17)
    assert a == b, "gradient_norms(4, 'sigmoid', 17): two calls with the same seed gave different norms"


@check("check_gradient_norms", points=1)
def test_gradient_norms_pattern(nb03, assignment):
    "gradient_norms: at depth 10 the first layer's gradient vanishes with sigmoid, not with relu"
    cfg = assignment["gradient_norms"]
    d = cfg["depth"]
    for seed in cfg["seeds"]:
        s = _norms(nb03, d, "sigmoid", seed)
        r = _norms(nb03, d, "relu", seed)
        rs, rr = s[0] / s[-1], r[0] / r[-1]
        assert rs < cfg["sigmoid_ratio_max"], (
            f"gradient_norms({d}, 'sigmoid', {seed}): the first layer's norm is {rs:.1e} times the last's; with "
            f"sigmoid it should vanish (well below {cfg['sigmoid_ratio_max']:.0e}). Are the norms first layer first?")
        assert rr > cfg["relu_ratio_min"], (
            f"gradient_norms({d}, 'relu', {seed}): the first layer's norm is {rr:.1e} times the last's; with "
            f"relu it should stay well above {cfg['relu_ratio_min']:.0e}")


# ------------------------------------------------------------------------------------------------
# sgd_step (3), adam_step (3)
# ------------------------------------------------------------------------------------------------


def _judge_sgd(nb03, param: torch.Tensor, grads: list[torch.Tensor], lr: float, wd: float, device: str,
               what: str) -> None:
    want = R.torch_optimizer_steps("sgd", param, grads, lr=lr, weight_decay=wd)
    p = param.to(device)
    for i, (g, w) in enumerate(zip(grads, want), 1):
        call = f"sgd_step({what}, lr={lr}, weight_decay={wd}), step {i}"
        p = expect_tensor(nb03.call("sgd_step", p, g.to(device), lr, wd), call, shape=param.shape,
                          dtype=param.dtype, device=device)
        assert close(p, w, rtol=1e-5, atol=1e-6), (
            f"{call}: the new parameter differs from torch.optim.SGD's step "
            "(param − lr·(grad + weight_decay·param))")


@check("check_sgd_step", points=1, public=True)
def test_sgd_step_public(nb03, device):
    "sgd_step: the notebook's example, one step without weight decay"
    _judge_sgd(nb03, torch.tensor([1.0, -2.0, 3.0]), [torch.tensor([0.5, 0.5, -1.0])], 0.1, 0.0, device,
               "the notebook's param, grad")


@check("check_sgd_step", points=1)
def test_sgd_step_plain(nb03, device, gen):
    "sgd_step: five steps on a [4, 3] parameter without weight decay, as torch.optim.SGD"
    param = torch.randn(4, 3, generator=gen)
    grads = [torch.randn(4, 3, generator=gen) for _ in range(5)]
    _judge_sgd(nb03, param, grads, 0.05, 0.0, device, "a [4, 3] float32 parameter")


@check("check_sgd_step", points=1)
def test_sgd_step_weight_decay(nb03, device, gen):
    "sgd_step: five steps with weight decay (float64), as torch.optim.SGD"
    param = torch.randn(6, generator=gen, dtype=torch.float64)
    grads = [torch.randn(6, generator=gen, dtype=torch.float64) for _ in range(5)]
    _judge_sgd(nb03, param, grads, 0.1, 0.3, device, "a [6] float64 parameter")


def _judge_adam(nb03, param: torch.Tensor, grads: list[torch.Tensor], device: str, what: str,
                keys: bool = False, **hyper) -> None:
    want = R.torch_optimizer_steps("adam", param, grads, **hyper)
    got, state = R.adam_sequence(nb03, param.to(device), [g.to(device) for g in grads], **hyper)
    shown = ", ".join(f"{k}={v}" for k, v in hyper.items())
    for i, (g, w) in enumerate(zip(got, want), 1):
        call = f"adam_step({what}, state, {shown}), step {i}"
        g = expect_tensor(g, call, shape=param.shape, dtype=param.dtype, device=device)
        assert close(g, w, rtol=1e-5, atol=1e-7), (
            f"{call}: the new parameter differs from torch.optim.Adam's step (keep step, exp_avg and exp_avg_sq "
            "in state from one call to the next, and correct both moments' bias)")
    if keys:
        assert isinstance(state, dict), "adam_step: the state dict the grader passed in could not be read back"
        missing = [k for k in ("step", "exp_avg", "exp_avg_sq") if k not in state]
        assert not missing, (
            f"adam_step: after {len(grads)} steps the state dict has no {', '.join(repr(k) for k in missing)}; "
            "keep step, exp_avg and exp_avg_sq in it")


@check("check_adam_step", points=1, public=True)
def test_adam_step_public(nb03, device):
    "adam_step: the notebook's example, two steps from an empty state"
    param = torch.tensor([1.0, -2.0, 3.0])
    grads = [torch.tensor([0.5, 0.5, -1.0]), torch.tensor([0.1, -0.3, 0.2])]
    _judge_adam(nb03, param, grads, device, "the notebook's param, grad", lr=0.1)


@check("check_adam_step", points=1)
def test_adam_step_plain(nb03, device, gen):
    "adam_step: six steps on a [3, 5] parameter with other lr and betas, as torch.optim.Adam"
    param = torch.randn(3, 5, generator=gen)
    grads = [torch.randn(3, 5, generator=gen) * 0.1 for _ in range(6)]
    _judge_adam(nb03, param, grads, device, "a [3, 5] float32 parameter", keys=True, lr=0.01, betas=(0.8, 0.95), eps=1e-6)


@check("check_adam_step", points=1)
def test_adam_step_weight_decay(nb03, device, gen):
    "adam_step: six steps with weight decay (float64), as torch.optim.Adam"
    param = torch.randn(7, generator=gen, dtype=torch.float64)
    grads = [torch.randn(7, generator=gen, dtype=torch.float64) for _ in range(6)]
    _judge_adam(nb03, param, grads, device, "a [7] float64 parameter", lr=0.05, weight_decay=0.1)

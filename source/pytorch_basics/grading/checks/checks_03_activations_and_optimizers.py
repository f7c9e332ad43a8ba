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
    want = oracle(x)  # torch's own function, here in the grader, on the same device
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
    "sigmoid, tanh_via_sigmoid, relu, leaky_relu, sigmoid_grad: the notebook's examples, and ±1000"
    x32 = torch.linspace(-10, 10, 101, device=device)
    for x, what in ((x32, "linspace(-10, 10, 101)"), (x32.double(), "linspace(-10, 10, 101) in float64"),
                    (x32.reshape(1, 101), "linspace(-10, 10, 101) of shape [1, 101]")):
        atol = 1e-6 if x.dtype == torch.float32 else 1e-12
        for fn in ("sigmoid", "tanh_via_sigmoid", "relu"):
            _judge_elementwise(nb03, fn, ORACLES[fn], x, what, device, rtol=0, atol=atol)
    small = torch.tensor([-2.0, 0.0, 3.0], device=device)
    _judge_elementwise(nb03, "leaky_relu", ORACLES["leaky_relu"], small, "[-2, 0, 3]", device)
    _judge_elementwise(nb03, "leaky_relu", lambda t: ORACLES["leaky_relu"](t, 0.2), small, "[-2, 0, 3]", device, 0.2)
    _judge_elementwise(nb03, "sigmoid_grad", _sigmoid_grad, x32, "linspace(-10, 10, 101)", device)
    big = torch.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0], device=device)
    for fn, oracle in ORACLES.items():
        _judge_elementwise(nb03, fn, oracle, big, "[-1000, -100, 0, 100, 1000]", device)


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


def _judge_collapse(nb03, sizes: list[int], seed: int, device: str, default_init: bool = False) -> None:
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = R.mlp(sizes, relu=False)
    if not default_init:
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
    leaf = out.summary["modules"][0]
    assert (leaf.get("in_features"), leaf.get("out_features")) == (sizes[0], sizes[-1]), (
        f"{what}: expected nn.Linear({sizes[0]}, {sizes[-1]}), got nn.Linear({leaf.get('in_features')}, "
        f"{leaf.get('out_features')})")
    devices = {str(d).split(":")[0] for d in out.summary.get("param_devices", [])}
    assert devices <= {device}, (
        f"{what}: the collapsed layer is on {', '.join(sorted(devices))}; build it on the model's device ({device})")
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
    "collapse_linear: the notebook's 4 -> 8 -> 16 -> 3 stack and a stack of one Linear(5, 2)"
    _judge_collapse(nb03, [4, 8, 16, 3], seed=0, device=device, default_init=True)
    _judge_collapse(nb03, [5, 2], seed=0, device=device, default_init=True)


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


def _judge_pattern(nb03, d: int, seed: int, sigmoid_max: float, relu_min: float) -> None:
    s = _norms(nb03, d, "sigmoid", seed)
    r = _norms(nb03, d, "relu", seed)
    rs, rr = s[0] / s[-1], r[0] / r[-1]
    assert rs < sigmoid_max, (
        f"gradient_norms({d}, 'sigmoid', {seed}): the first layer's norm is {rs:.1e} times the last's; with "
        f"sigmoid it should vanish (well below {sigmoid_max:.0e}). Are the norms first layer first?")
    assert relu_min < rr < 1, (
        f"gradient_norms({d}, 'relu', {seed}): the first layer's norm is {rr:.1e} times the last's; with "
        f"relu it should stay between {relu_min:.0e} and 1")


@check("check_gradient_norms", points=1, public=True)
def test_gradient_norms_public(nb03):
    "gradient_norms: the notebook's example: 4 positive floats, the same for the same seed; depth 10 pattern for seed 0"
    a = _norms(nb03, 4, "relu", 0)
    assert a == _norms(nb03, 4, "relu", 0), "gradient_norms(4, 'relu', 0): two calls with the same seed gave different norms"
    _judge_pattern(nb03, 10, 0, 1e-5, 1e-5)


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
    "gradient_norms: at depth 10 the first layer's gradient vanishes with sigmoid, not with relu (other seeds)"
    cfg = assignment["gradient_norms"]
    for seed in cfg["seeds"]:
        _judge_pattern(nb03, cfg["depth"], seed, cfg["sigmoid_ratio_max"], cfg["relu_ratio_min"])


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
    "sgd_step: the notebook's example: a new tensor, as torch.optim.SGD, with and without weight decay"
    torch.manual_seed(0)
    param, grad = torch.randn(3, 4), torch.randn(3, 4)
    what = "sgd_step(the notebook's param, grad, lr=0.1, weight_decay=0.01)"
    new, kept = R.call_keeping_inputs(nb03, "sgd_step", param.to(device), grad.to(device), lr=0.1, weight_decay=0.01)
    expect_tensor(new, what, shape=param.shape, dtype=param.dtype, device=device)
    assert kept, f"{what}: param or grad was modified in place; return a new tensor and leave the inputs as they were"
    _judge_sgd(nb03, param, [grad], 0.1, 0.01, device, "the notebook's param, grad")
    _judge_sgd(nb03, param, [grad], 0.5, 0.0, device, "the notebook's param, grad")


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
                public: bool = False, **hyper) -> None:
    p = torch.nn.Parameter(param.clone())
    opt = torch.optim.Adam([p], **hyper)
    steps = R.adam_sequence(nb03, param.to(device), [g.to(device) for g in grads], **hyper)
    shown = ", ".join(f"{k}={v}" for k, v in hyper.items())
    for i, (step, g) in enumerate(zip(steps, grads), 1):
        call = f"adam_step({what}, state, {shown}), call {i}"
        p.grad = g.clone()
        opt.step()
        new = expect_tensor(step["param"], call, shape=param.shape, dtype=param.dtype, device=device)
        if public:
            assert step["inputs_kept"], (
                f"{call}: param or grad was modified in place; return a new tensor and leave the inputs as they were")
        assert close(new, p.detach(), rtol=1e-5, atol=1e-7), (
            f"{call}: the new parameter differs from torch.optim.Adam's step (weight decay added to the gradient, "
            "both moments kept in state from one call to the next, bias correction, eps outside the square root)")
        state = step["state"]
        assert isinstance(state, dict), f"{call}: the state dict could not be read back"
        missing = [k for k in ("step", "exp_avg", "exp_avg_sq") if k not in state]
        assert not missing, f"{call}: state has no {', '.join(repr(k) for k in missing)}; keep step, exp_avg and exp_avg_sq in it"
        st = state["step"]
        st = st.item() if isinstance(st, torch.Tensor) and st.numel() == 1 else st
        assert isinstance(st, (int, float)) and int(st) == i, f"{call}: state['step'] should be {i}, got {st!r}"
        for key, atol in (("exp_avg", 1e-7), ("exp_avg_sq", 1e-9)):
            v = expect_tensor(state[key], f"{call}: state[{key!r}]", shape=param.shape)
            assert close(v, opt.state[p][key], rtol=1e-5, atol=atol), (
                f"{call}: state[{key!r}] differs from torch.optim.Adam's {'first' if key == 'exp_avg' else 'second'} moment")


@check("check_adam_step", points=1, public=True)
def test_adam_step_public(nb03, device):
    "adam_step: the notebook's example: three calls with weight decay, as torch.optim.Adam, state and inputs checked"
    torch.manual_seed(0)
    param = torch.randn(3, 4)
    grads = [torch.randn(3, 4) for _ in range(3)]
    _judge_adam(nb03, param, grads, device, "the notebook's param, grad", public=True,
                lr=0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.1)


@check("check_adam_step", points=1)
def test_adam_step_plain(nb03, device, gen):
    "adam_step: six calls on a [3, 5] parameter with other lr, betas and eps, no weight decay, as torch.optim.Adam"
    param = torch.randn(3, 5, generator=gen)
    grads = [torch.randn(3, 5, generator=gen) * 0.1 for _ in range(6)]
    _judge_adam(nb03, param, grads, device, "a [3, 5] float32 parameter", lr=0.01, betas=(0.8, 0.95), eps=1e-6)


@check("check_adam_step", points=1)
def test_adam_step_weight_decay(nb03, device, gen):
    "adam_step: six calls with weight decay on a float64 parameter, default betas, as torch.optim.Adam"
    param = torch.randn(7, generator=gen, dtype=torch.float64)
    grads = [torch.randn(7, generator=gen, dtype=torch.float64) for _ in range(6)]
    _judge_adam(nb03, param, grads, device, "a [7] float64 parameter", lr=0.05, weight_decay=0.1)

"""sigmoid, tanh_via_sigmoid, relu, leaky_relu, sigmoid_grad (5 points): element-wise, written
from tensor arithmetic (the contract), finite at ±1000. The oracles are torch's own functions,
run here on the same inputs; how each function is written is read from the notebook's source
(never run) with the check library's `forbidden_calls`. Lazy replies considered: torch.sigmoid &
co. under any alias or method name, through a helper or a dynamic lookup; inputs changed in
place (`x.clamp_(min=0)`); 0-d, non-contiguous, 3-D and float64 inputs; overflow at ±1000. Known
mistakes (their hints): a sigmoid that overflows, tanh as 2σ(x) − 1, leaky_relu with another slope."""
from __future__ import annotations

import torch
from torch.nn.modules import activation as torch_activations

from autograder.checks import CallRule, Known, KnownMistake, Tensor, check, forbidden_calls, judge

GRADED = ("sigmoid", "tanh_via_sigmoid", "relu", "leaky_relu", "sigmoid_grad")

# torch's activation functions (and their module classes), under whatever they are reached
# through: torch.x, torch.nn.functional.x, x.method(), torch.special, numpy, math ...
ACTIVATIONS = frozenset({
    "sigmoid", "sigmoid_", "tanh", "tanh_", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "expit",
    "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "silu", "mish", "gelu", "elu", "elu_", "selu", "selu_",
    "celu", "celu_", "rrelu", "rrelu_", "prelu", "threshold", "threshold_", "softplus", "softsign", "tanhshrink",
    "logsigmoid", "log_sigmoid", "softmax", "log_softmax", "softmin", "glu", "_softmax", "_log_softmax",
}) | frozenset(torch_activations.__all__)

RULE = CallRule(
    names=ACTIVATIONS,
    modules=frozenset({"torch", "torch.nn", "torch.autograd", "torch.autograd.functional", "torch.func",
                       "torch.linalg", "math", "numpy"}),
    why=("written from tensor arithmetic (torch.exp, +, -, *, /, torch.where, clamp, ...), not torch.sigmoid, "
         "torch.tanh, torch.relu or torch.nn.functional (see the assignment)"),
)


def _judge_source(source, fn: str) -> None:
    found = forbidden_calls(source, [fn], RULE, judged_apart=GRADED)
    assert not found, found[0].message(RULE)


def _inputs(gen, device: str) -> list[tuple[torch.Tensor, str]]:
    """Other shapes and dtypes than the notebook's, with extreme values; a 0-d and a
    non-contiguous tensor."""
    extreme = torch.tensor([-1000.0, -100.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 100.0, 1000.0])
    a = torch.cat((extreme, torch.randn(27, generator=gen) * 4)).reshape(4, 9)
    b = torch.cat((extreme.double(), torch.randn(31, generator=gen, dtype=torch.float64) * 6)).reshape(2, 5, 4)
    c = torch.randn(3, generator=gen) * 0.5
    d = torch.tensor(-2.5)
    e = (torch.randn(6, 5, generator=gen) * 3).t()
    return [(a.to(device), "a float32 tensor of shape [4, 9] with values up to ±1000"),
            (b.to(device), "a float64 tensor of shape [2, 5, 4] with values up to ±1000"),
            (c.to(device), "a float32 tensor of shape [3]"),
            (d.to(device), "a 0-d tensor"),
            (e.to(device), "a non-contiguous float32 tensor of shape [5, 6]")]


def _judge_elementwise(nb, fn: str, oracle, x: torch.Tensor, what: str, device: str, *args,
                       rtol: float = 1e-5, atol: float = 1e-6, public: bool = False) -> None:
    shown = what + "".join(", " + repr(a) for a in args)
    call = f"{fn}({shown})"
    y = judge(nb, fn, x, *args, shown=shown, names=("x",), keep_inputs=not public,
              returns=Tensor(shape=x.shape, dtype=x.dtype, device=device, finite=False))
    want = oracle(x)  # torch's own function, here in the grader, on the same device
    if not bool(torch.isfinite(y.cpu()).all()):
        wrong = (f"{call}: the result has nan or inf values; it must stay finite for inputs as large as ±1000 "
                 "(avoid exp of a large positive number)")
        raise KnownMistake("sigmoid_overflow", wrong) if _overflows(fn, x, y, want) else AssertionError(wrong)
    Tensor(want, rtol=rtol, atol=atol, wrong=f"the values differ from the mathematical {fn}",
           known=_known(fn, x, y, args)).judge(y, call)


def _overflows(fn: str, x: torch.Tensor, y: torch.Tensor, want: torch.Tensor) -> bool:
    """nan or inf only where exp of |x| overflows, and right everywhere else: the known mistake of
    a sigmoid computed with exp of a large positive number."""
    x, y, want = x.cpu().double(), y.cpu().double(), want.cpu().double()
    bad = ~torch.isfinite(y)
    big = x.abs() > 80  # exp overflows float32 from 88.7 on (float64 from 709.8)
    good = ~bad
    return (fn in ("sigmoid", "tanh_via_sigmoid", "sigmoid_grad") and bool(bad.any()) and bool((big | ~bad).all())
            and bool(torch.allclose(y[good], want[good], rtol=1e-4, atol=1e-5)))


def _known(fn: str, x: torch.Tensor, y: torch.Tensor, args: tuple) -> list[Known]:
    """What the known mistakes of `fn` give for x."""
    x = x.cpu().double()
    if fn == "tanh_via_sigmoid":
        return [Known("tanh_missing_double", torch.tanh(x / 2))]
    if fn == "leaky_relu":
        neg = x < 0
        ratios = y.cpu().double()[neg] / x[neg] if bool(neg.any()) else torch.empty(0)
        asked = args[0] if args else 0.01
        if ratios.numel() and bool(torch.isfinite(ratios).all()):
            slope = ratios.median().item()
            if abs(slope - asked) > 1e-6 * max(1.0, abs(asked)):
                return [Known("leaky_relu_other_slope", _leaky(x, slope))]
    return []


def _sigmoid_grad(x):
    # by autograd, not the formula the exercise asks for (public checks are released)
    with torch.enable_grad():
        t = x.detach().clone().requires_grad_(True)
        torch.sigmoid(t).sum().backward()
    return t.grad


def _leaky(x, slope=0.01):
    return torch.where(x >= 0, x, x * slope)


ORACLES = {
    "sigmoid": torch.sigmoid,
    "tanh_via_sigmoid": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": _leaky,
    "sigmoid_grad": _sigmoid_grad,
}


@check("check_activations", points=1, public=True)
def test_activations_public(nb, device):
    "sigmoid, tanh_via_sigmoid, relu, leaky_relu, sigmoid_grad: the notebook's examples, and ±1000"
    x32 = torch.linspace(-10, 10, 101, device=device)
    for x, what in ((x32, "linspace(-10, 10, 101)"), (x32.double(), "linspace(-10, 10, 101) in float64"),
                    (x32.reshape(1, 101), "linspace(-10, 10, 101) of shape [1, 101]")):
        atol = 1e-6 if x.dtype == torch.float32 else 1e-12
        for fn in ("sigmoid", "tanh_via_sigmoid", "relu"):
            _judge_elementwise(nb, fn, ORACLES[fn], x, what, device, rtol=0, atol=atol, public=True)
    small = torch.tensor([-2.0, 0.0, 3.0], device=device)
    _judge_elementwise(nb, "leaky_relu", _leaky, small, "[-2, 0, 3]", device, public=True)
    _judge_elementwise(nb, "leaky_relu", lambda t: _leaky(t, 0.2), small, "[-2, 0, 3]", device, 0.2, public=True)
    _judge_elementwise(nb, "sigmoid_grad", _sigmoid_grad, x32, "linspace(-10, 10, 101)", device, public=True)
    big = torch.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0], device=device)
    for fn, oracle in ORACLES.items():
        _judge_elementwise(nb, fn, oracle, big, "[-1000, -100, 0, 100, 1000]", device, public=True)


def _judge_function(nb, source, device: str, gen, fn: str) -> None:
    _judge_source(source, fn)
    for x, what in _inputs(gen, device):
        _judge_elementwise(nb, fn, ORACLES[fn], x, what, device)


@check("check_activations", points=1)
def test_sigmoid(nb, source, device, gen):
    "sigmoid: written from tensor arithmetic; float32, float64, 0-d and non-contiguous inputs, finite at ±1000"
    _judge_function(nb, source, device, gen, "sigmoid")


@check("check_activations", points=1)
def test_tanh_via_sigmoid(nb, source, device, gen):
    "tanh_via_sigmoid: written from tensor arithmetic; equals torch.tanh on float32, float64, 0-d and non-contiguous inputs, finite at ±1000"
    _judge_function(nb, source, device, gen, "tanh_via_sigmoid")


@check("check_activations", points=1)
def test_relu_leaky_relu(nb, source, device, gen):
    "relu, leaky_relu: written from tensor arithmetic; other shapes and dtypes, the default slope and another one"
    _judge_source(source, "relu")
    _judge_source(source, "leaky_relu")
    for x, what in _inputs(gen, device):
        _judge_elementwise(nb, "relu", torch.relu, x, what, device, rtol=0, atol=0)
        _judge_elementwise(nb, "leaky_relu", _leaky, x, what, device)
        _judge_elementwise(nb, "leaky_relu", lambda t: _leaky(t, 0.2), x, what, device, 0.2)


@check("check_activations", points=1)
def test_sigmoid_grad(nb, source, device, gen):
    "sigmoid_grad: written from tensor arithmetic; σ(x)(1 − σ(x)) on float32, float64, 0-d and non-contiguous inputs, finite at ±1000"
    _judge_function(nb, source, device, gen, "sigmoid_grad")

"""Public checks of check_activations (03_activations_and_optimizers), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import Known, KnownMistake, Tensor, check, judge


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

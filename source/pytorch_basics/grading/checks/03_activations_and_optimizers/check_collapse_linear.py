"""collapse_linear (3 points): one nn.Linear computing what a Sequential of Linear layers
computes. Lazy replies considered: folding only two layers, the stack's layers changed in place
(weights folded into the first layer and that layer returned), a float32 layer for a float64
model, layers without bias assumed to have one, the layer built on another device. Known mistakes
(their hints): only the first two layers folded, the earlier layers' biases lost, the layer left
on the CPU."""
from __future__ import annotations

import copy
import math

import torch

from autograder.checks import (
    Known, KnownMistake, Tensor, check, close, expect_handle, expect_state_dict, expect_tensor, module_devices, module_leaf_types,
    module_leaves, module_parameters, worker_helper,
)

from .. import public as P

CAST = """
def _autograder_cast(module, dtype):
    return module.to(dtype)
"""


def _judge_collapse(nb, sizes: list[int], seed: int, device: str, default_init: bool = False,
                    bias=True, dtype: torch.dtype = torch.float32, untouched: bool = False) -> None:
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = P.mlp(sizes, relu=False, bias=bias)
    if not default_init:
        with torch.no_grad():  # weights of a moderate scale, so products of 5 matrices stay O(1)
            for p in model.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[-1]))
    handle = nb.build_module(P.layer_spec(model), state_dict=model.state_dict(), device=device)
    if dtype != torch.float32:
        handle = nb.call(worker_helper(nb, "_autograder_cast", CAST), handle, dtype)
        model = model.to(dtype)
    arch = " -> ".join(f"Linear({a}, {b})" for a, b in zip(sizes[:-1], sizes[1:]))
    kinds = "" if dtype == torch.float32 else f" {dtype}"
    nobias = "" if bias is True else " (some without bias)"
    what = f"collapse_linear(a{kinds} Sequential of {len(sizes) - 1} Linear layers{nobias})"
    out = expect_handle(nb.call("collapse_linear", handle), what, "module")
    layers = module_leaf_types(out)
    assert layers == ["Linear"], (
        f"{what}: expected a single nn.Linear({sizes[0]}, {sizes[-1]}), got {' -> '.join(layers) or 'no layer'}")
    leaf = module_leaves(out)[0]
    got = (leaf.get("in_features"), leaf.get("out_features"))
    if got != (sizes[0], sizes[-1]):
        wrong = f"{what}: expected nn.Linear({sizes[0]}, {sizes[-1]}), got nn.Linear({got[0]}, {got[1]})"
        two = len(sizes) > 3 and got == (sizes[0], sizes[2]) and sizes[2] != sizes[-1]
        raise KnownMistake("collapse_first_two_only", wrong) if two else AssertionError(wrong)
    devices = module_devices(out)
    if not devices <= {device}:
        raise KnownMistake("device_left_on_cpu" if devices == {"cpu"} else "", (
            f"{what}: the collapsed layer is on {', '.join(sorted(devices))}; build it on the model's device ({device})"))
    dtypes = {p.get("dtype") for p in module_parameters(out)}
    assert dtypes <= {dtype}, (
        f"{what}: the collapsed layer's parameters are {', '.join(sorted(map(str, dtypes)))}; give it the model's "
        f"dtype ({dtype})")
    x = torch.randn(17, sizes[0], generator=gen)
    with torch.no_grad():
        want = copy.deepcopy(model).double()(x.double())
    y = expect_tensor(nb.forward(out, x.to(dtype).to(device)), f"{what}: the output of the collapsed layer",
                      shape=(17, sizes[-1]), device=device)
    Tensor(want, dtype=None, rtol=1e-4, atol=1e-5, known=_known(model, x, want), wrong=(
        f"the single Linear layer does not compute the same function as {arch} "
        "(W = W_k···W_2·W_1, b = W_k···W_2·b_1 + ... + b_k)")).judge(y, what)
    if untouched:
        _judge_untouched(nb, what, handle, model)


def _known(model, x: torch.Tensor, want: torch.Tensor) -> list[Known]:
    """What a single layer whose bias is the last layer's alone computes (earlier biases lost)."""
    layers = [m for m in model if isinstance(m, torch.nn.Linear)]
    W = torch.eye(layers[0].in_features, dtype=torch.float64)
    for layer in layers:
        W = layer.weight.detach().double().cpu() @ W
    last = layers[-1].bias
    lost = x.double() @ W.T + (last.detach().double().cpu() if last is not None else 0.0)
    return [Known("collapse_earlier_biases_lost", lost)] if not close(lost, want, rtol=1e-4, atol=1e-5) else []


def _judge_untouched(nb, what: str, handle, model) -> None:
    sd = expect_state_dict(nb.state_dict(handle), what)
    for k, v in model.state_dict().items():
        got = sd.get(k)
        assert isinstance(got, torch.Tensor) and got.shape == v.shape and close(got, v, rtol=0, atol=0), (
            f"{what}: the model's {k} changed; collapse_linear must leave the model it is given as it was "
            "(build a new layer)")
    assert set(sd) == set(model.state_dict()), f"{what}: the model's parameters changed; leave the model as it was"


@check("check_collapse_linear", points=1, public=True)
def test_collapse_linear_public(nb, device):
    "collapse_linear: the notebook's 4 -> 8 -> 16 -> 3 stack, a stack of one Linear(5, 2) and a float64 stack"
    _judge_collapse(nb, [4, 8, 16, 3], seed=0, device=device, default_init=True)
    _judge_collapse(nb, [5, 2], seed=0, device=device, default_init=True)
    _judge_collapse(nb, [3, 3, 2], seed=0, device=device, default_init=True, dtype=torch.float64)


@check("check_collapse_linear", points=2)
def test_collapse_linear_depths(nb, device, assignment):
    "collapse_linear: 1 to 5 Linear layers of random widths and weights, some without bias, float64 too; the model left as it was"
    gen = torch.Generator().manual_seed(assignment["collapse_linear"]["seed"])
    for depth in (1, 3, 5, 4, 2):
        sizes = torch.randint(1, 9, (depth + 1,), generator=gen).tolist()
        _judge_collapse(nb, sizes, seed=int(torch.randint(0, 2**31, (1,), generator=gen)), device=device,
                        untouched=True)
    for depth, bias, dtype in ((3, [False, True, False], torch.float32), (2, [True, False], torch.float64),
                               (4, True, torch.float64), (1, [False], torch.float32)):
        sizes = torch.randint(1, 9, (depth + 1,), generator=gen).tolist()
        _judge_collapse(nb, sizes, seed=int(torch.randint(0, 2**31, (1,), generator=gen)), device=device,
                        bias=bias, dtype=dtype, untouched=True)

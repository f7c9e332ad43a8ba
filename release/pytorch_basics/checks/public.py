"""What the public checks of pytorch_basics use, released with them (release/pytorch_basics/checks/):
the grader's own models sent to a worker, torch's optimizers as the oracle of the hand-written
steps, the spiral's angle law the notebook states, and the spirals of the notebook's examples as
data (public_spirals.pt: the grader's spirals for those seeds, written by
reference.write_public_spirals). Nothing here is an answer key or a hidden input: the grader's
spiral generator, training loop and hidden seeds stay in reference.py and assignment.toml."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn

from autograder.checks import KnownMistake, close, expect_handle, expect_tensor, module_leaves, short_type

SPIRALS = Path(__file__).with_name("public_spirals.pt")
# (n_per_class, n_classes, noise, seed) of the spirals the public checks use
PUBLISHED_SPIRALS = ((20, 3, 0.2, 3), (30, 3, 0.2, 4), (1000, 3, 0.2, 7), (1000, 3, 0.2, 8))
_spirals: dict | None = None


def spiral(n_per_class: int, n_classes: int, noise: float, seed: int,
           device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """The grader's spiral for one of PUBLISHED_SPIRALS (the notebook's examples), from the data file."""
    global _spirals
    key = f"{n_per_class}-{n_classes}-{noise:g}-{seed}"
    if _spirals is None:
        _spirals = torch.load(SPIRALS, weights_only=True)
    if key not in _spirals:
        raise LookupError(f"no published spiral {key}: PUBLISHED_SPIRALS and public_spirals.pt list those there are")
    X = _spirals[key].clone()
    return X.to(device), torch.arange(n_classes).repeat_interleave(n_per_class).to(device)


def spiral_angle_law(n_per_class: int, n_classes: int) -> torch.Tensor:
    """The noise-free angle of every row, shape [C*N] (float64)."""
    k = torch.arange(n_classes, dtype=torch.float64)[:, None]
    frac = torch.linspace(0, 1, n_per_class, dtype=torch.float64)[None, :]
    return (2 * math.pi * (k + 2 * frac) / n_classes).reshape(-1)

def wrap_angle(a: torch.Tensor) -> torch.Tensor:
    """Into (-π, π]."""
    return torch.remainder(a + math.pi, 2 * math.pi) - math.pi

def mlp(sizes: Sequence[int], relu: bool, bias: bool | Sequence[bool] = True) -> nn.Sequential:
    """Linear(s0, s1) [ReLU] Linear(s1, s2) ... the grader's own module (`bias`: for every
    layer, or one flag per layer)."""
    biases = [bias] * (len(sizes) - 1) if isinstance(bias, bool) else list(bias)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i and relu:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(a, b, bias=biases[i]))
    return nn.Sequential(*layers)

def layer_spec(model: nn.Sequential) -> list:
    """The description `Sandbox.build_module` takes for a Sequential of Linear/ReLU layers."""
    spec: list = []
    for m in model:
        if isinstance(m, nn.Linear):
            spec.append(("Linear", m.in_features, m.out_features, m.bias is not None))
        elif isinstance(m, nn.ReLU):
            spec.append(("ReLU",))
        else:  # pragma: no cover - grader's own models only
            raise TypeError(type(m).__name__)
    return spec

def make_torch_optimizer(model: nn.Module, kind: str, **hyper: Any) -> torch.optim.Optimizer:
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[kind]
    return cls(model.parameters(), **hyper)

def accuracy(logits: torch.Tensor, Y: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == Y).double().mean().item()

def linear_partial_credit(value: float, low: float, high: float) -> float:
    if value >= high:
        return 1.0
    if value <= low:
        return 0.0
    return (value - low) / (high - low)

def torch_optimizer_steps(kind: str, param: torch.Tensor, grads: Sequence[torch.Tensor],
                          **hyper: Any) -> list[torch.Tensor]:
    """torch.optim's own SGD/Adam on one parameter: the parameter after every step."""
    p = nn.Parameter(param.detach().clone())
    opt = make_torch_optimizer(nn.ParameterList([p]), kind, **hyper)
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad = g.detach().clone()
        opt.step()
        out.append(p.detach().clone())
    return out

def adam_steps(param: torch.Tensor, grads: Sequence[torch.Tensor], lr: float, betas=(0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 0.0, bias_correction: bool = True, eps_inside_sqrt: bool = False
               ) -> list[torch.Tensor]:
    """Adam written out, with or without a known mistake (no bias correction; eps inside the
    square root): the parameter after every step."""
    b1, b2 = betas
    p = param.detach().clone()
    m, v = torch.zeros_like(p), torch.zeros_like(p)
    out = []
    for step, g in enumerate(grads, 1):
        g = g + weight_decay * p if weight_decay else g
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        c1, c2 = (1 - b1 ** step, 1 - b2 ** step) if bias_correction else (1.0, 1.0)
        denom = (v / c2 + eps).sqrt() if eps_inside_sqrt else (v / c2).sqrt() + eps
        p = p - lr * (m / c1) / denom
        out.append(p.clone())
    return out


def grader_model(box: Any, sizes: Sequence[int], relu: bool, seed: int, device: str,
                 bias: bool | Sequence[bool] = True):
    """The grader's own model (Linear[-ReLU]-Linear...), built from torch.manual_seed(seed) here and
    sent to the worker with its weights: (an identical copy here, the handle there)."""
    model = seeded_model(sizes, relu, seed, bias)
    handle = box.build_module(layer_spec(model), state_dict=model.state_dict(), device=device)
    return model.to(device), handle


def seeded_model(sizes: Sequence[int], relu: bool, seed: int, bias: bool | Sequence[bool] = True) -> nn.Sequential:
    """The grader's model of `grader_model`, here only (another copy with the same weights)."""
    torch.manual_seed(seed)
    return mlp(sizes, relu=relu, bias=bias)


TORCH_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}


def judge_structure(nb, fn: str, kinds: list[str]) -> None:
    what = f"{fn}(2, 100, 3)"
    m = expect_handle(nb.call(fn, 2, 100, 3), what, "module")
    leaves = module_leaves(m)
    got = [short_type(e.get("type")) for e in leaves]
    if got != kinds:
        wrong = f"{what}: expected the layers {', '.join(kinds)}, got {', '.join(got) or 'none'}"
        if "ReLU" in kinds and _computes_affine(nb, m):
            raise KnownMistake("relu_model_affine", wrong)
        raise AssertionError(wrong)
    linears = [e for e in leaves if short_type(e.get("type")) == "Linear"]
    assert (linears[0].get("in_features"), linears[0].get("out_features")) == (2, 100), (
        f"{what}: the first layer should be Linear(D=2, H=100)")
    assert (linears[-1].get("in_features"), linears[-1].get("out_features")) == (100, 3), (
        f"{what}: the last layer should be Linear(H=100, C=3)")
    expect_tensor(nb.forward(m, torch.zeros(5, 2)), f"{what}: the output for a [5, 2] input", shape=(5, 3))


def affine_outputs(nb, m, x1: torch.Tensor, x2: torch.Tensor, what: str, out_dim: int | None = None,
                   device: str = "cpu") -> tuple[bool, list[torch.Tensor]]:
    """Whether the model's outputs for x1, x2 and a mix of them are those of an affine function
    (f(a·x1 + (1−a)·x2) = a·f(x1) + (1−a)·f(x2)); and the three outputs (float64, CPU)."""
    a = 0.3
    outs = []
    for x in (x1, x2, a * x1 + (1 - a) * x2):
        y = expect_tensor(nb.forward(m, x.to(device)), f"{what}: the model's output for a batch of {len(x)}",
                          shape=(len(x), out_dim) if out_dim is not None else None)
        outs.append(y.detach().cpu().double())
    scale = max(1.0, max(o.abs().max().item() for o in outs))
    return close(outs[2], a * outs[0] + (1 - a) * outs[1], rtol=1e-4, atol=1e-4 * scale), outs


def _computes_affine(nb, m) -> bool:
    """Whether a model of 2 inputs computes an affine function that is not constant (judged on its
    outputs; a model whose outputs cannot be read is not called affine)."""
    gen = torch.Generator().manual_seed(5)
    try:
        affine, outs = affine_outputs(nb, m, torch.randn(32, 2, generator=gen) * 2,
                                      torch.randn(32, 2, generator=gen) * 2, "the model")
    except AssertionError:
        return False
    return affine and not close(outs[0], outs[1])

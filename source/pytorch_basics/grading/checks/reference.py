"""The grader's own reference implementations for `pytorch_basics`: the assignment's oracles.

Everything here runs in the grader process only. Validating what came back from a worker, and
reading handle summaries, is the engine's check library (`autograder.checks`); this module holds
what is particular to this assignment: its spiral, its models, its training loop, its optimizer
steps, and the grader-side copies of models it sends to workers.
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import torch
from torch import nn

# ---------------------------------------------------------------------------------------------
# Notebook 2: the spiral, models, training
# ---------------------------------------------------------------------------------------------


def make_spiral(n_per_class: int = 1000, n_classes: int = 3, noise: float = 0.2, seed: int = 0,
                device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """The grader's spiral: the contract's formula, in float32, with the noise drawn class by class
    from a private CPU generator, so the same seed gives the same data on every device (and the
    same data as the answer key's make_spiral)."""
    g = torch.Generator().manual_seed(int(seed))
    n, c = n_per_class, n_classes
    t = torch.linspace(0, 1, n)
    angle = torch.stack([
        torch.linspace(2 * math.pi * k / c, 2 * math.pi * (k + 2) / c, n) + noise * torch.randn(n, generator=g)
        for k in range(c)
    ])
    x = torch.stack((t * torch.sin(angle), t * torch.cos(angle)), dim=-1).reshape(c * n, 2)
    y = torch.arange(c).repeat_interleave(n)
    return x.to(device), y.to(device)


def spiral_points(n_per_class: int, n_classes: int, sin_first: bool = True, turn: float = 2.0) -> torch.Tensor:
    """Noise-free spiral points [C*N, 2] (float64): the contract's law, or a known mistake's (sin and
    cos swapped; each arm turning through 2π·turn/C instead of 4π/C)."""
    k = torch.arange(n_classes, dtype=torch.float64)[:, None]
    t = torch.linspace(0, 1, n_per_class, dtype=torch.float64)[None, :]
    angle = 2 * math.pi * (k + turn * t) / n_classes
    first, second = (torch.sin(angle), torch.cos(angle)) if sin_first else (torch.cos(angle), torch.sin(angle))
    return torch.stack((t * first, t * second), dim=-1).reshape(-1, 2)


def blobs(n_per_class: int, seed: int, spread: float = 0.3) -> tuple[torch.Tensor, torch.Tensor]:
    """Three well-separated clusters (at (3, 0), (-3, 0), (0, 3)): a model's loss gets small fast."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    y = torch.arange(3).repeat_interleave(n_per_class)
    return centres[y] + spread * torch.randn(3 * n_per_class, 2, generator=g), y


def spiral_angle_law(n_per_class: int, n_classes: int) -> torch.Tensor:
    """The noise-free angle of every row, shape [C*N] (float64)."""
    k = torch.arange(n_classes, dtype=torch.float64)[:, None]
    frac = torch.linspace(0, 1, n_per_class, dtype=torch.float64)[None, :]
    return (2 * math.pi * (k + 2 * frac) / n_classes).reshape(-1)


def wrap_angle(a: torch.Tensor) -> torch.Tensor:
    """Into (-π, π]."""
    return torch.remainder(a + math.pi, 2 * math.pi) - math.pi


def mlp(sizes: Sequence[int], relu: bool, bias: bool | Sequence[bool] = True,
        generator: torch.Generator | None = None) -> nn.Sequential:
    """Linear(s0, s1) [ReLU] Linear(s1, s2) ... the grader's own module (`bias`: for every
    layer, or one flag per layer). With a `generator`, PyTorch's default initialisation is drawn
    from it instead of the global RNG (the same weights as torch.manual_seed(s) with a generator
    seeded s), so that a reference can be built in a thread of its own."""
    biases = [bias] * (len(sizes) - 1) if isinstance(bias, bool) else list(bias)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i and relu:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(a, b, bias=biases[i], device=None if generator is None else "meta"))
    model = nn.Sequential(*layers)
    if generator is not None:
        model = model.to_empty(device="cpu")
        for m in model:
            if isinstance(m, nn.Linear):  # nn.Linear.reset_parameters, drawn from `generator`
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                if m.bias is not None:
                    bound = 1 / math.sqrt(m.in_features)
                    nn.init.uniform_(m.bias, -bound, bound, generator=generator)
    return model


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


def train_reference(model: nn.Module, X: torch.Tensor, Y: torch.Tensor,
                    optimizer: torch.optim.Optimizer, epochs: int, zero_grad: bool = True) -> list[float]:
    """The contract's loop: zero the gradients, forward, backward, step; the loss before each step
    (`zero_grad=False`: the known mistake of a loop that never clears the gradients)."""
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        if zero_grad:
            optimizer.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def accuracy(logits: torch.Tensor, Y: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == Y).double().mean().item()


def fit_reference(X: torch.Tensor, Y: torch.Tensor, epochs: int = 1000, hidden: int = 100,
                  seed: int = 0) -> nn.Module:
    """The notebook's classic ReLU model with Adam: the figure the fit_spiral bars are set from.
    The global RNG is not used (the initial weights are those of torch.manual_seed(seed))."""
    model = mlp([X.shape[1], hidden, int(Y.max()) + 1], relu=True,
                generator=torch.Generator().manual_seed(seed)).to(X.device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    train_reference(model, X, Y, opt, epochs)
    return model


def fit_key(X: torch.Tensor, Y: torch.Tensor, epochs: int = 1000, hidden: int = 64) -> nn.Module:
    """The answer key's fit_spiral (two hidden ReLU layers, Adam lr 1e-2, cosine schedule)."""
    torch.manual_seed(0)
    model = mlp([X.shape[1], hidden, hidden, int(Y.max()) + 1], relu=True).to(X.device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        opt.zero_grad()
        loss_fn(model(X), Y).backward()
        opt.step()
        sched.step()
    return model


def linear_partial_credit(value: float, low: float, high: float) -> float:
    if value >= high:
        return 1.0
    if value <= low:
        return 0.0
    return (value - low) / (high - low)


# ---------------------------------------------------------------------------------------------
# Notebook 3: gradients through deep MLPs, optimizer steps
# ---------------------------------------------------------------------------------------------


DRAW_ORDERS = tuple(itertools.permutations(("model", "inputs", "targets")))


def gradient_norms(depth: int, activation: str, seed: int,
                   order: Sequence[str] = ("model", "inputs", "targets")) -> list[float]:
    """The contract's recipe, torch 2.13 on the CPU: seed, build the depth-layer MLP of width 32
    (default init), draw 64 standard-normal inputs and 64 targets in 0..9, cross-entropy, one
    backward; the weight-gradient norm of every Linear layer, first first. `order` is the order
    of the three draws after seeding (the contract does not fix it: all six are accepted)."""
    torch.manual_seed(seed)
    act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[activation]
    drawn: dict[str, Any] = {}
    for what in order:
        if what == "model":
            layers: list[nn.Module] = []
            for i in range(depth):
                last = i == depth - 1
                layers.append(nn.Linear(32, 10 if last else 32))
                if not last:
                    layers.append(act())
            drawn["model"] = nn.Sequential(*layers)
        elif what == "inputs":
            drawn["inputs"] = torch.randn(64, 32)
        else:
            drawn["targets"] = torch.randint(0, 10, (64,))
    model = drawn["model"]
    nn.functional.cross_entropy(model(drawn["inputs"]), drawn["targets"]).backward()
    return [m.weight.grad.norm().item() for m in model if isinstance(m, nn.Linear)]


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


def torch_adam_states(param: torch.Tensor, grads: Sequence[torch.Tensor], **hyper: Any) -> list[dict]:
    """torch.optim.Adam's state after every step, as plain data (step as int)."""
    p = nn.Parameter(param.detach().clone())
    opt = torch.optim.Adam([p], **hyper)
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad = g.detach().clone()
        opt.step()
        st = opt.state[p]
        out.append({"step": int(st["step"]), "exp_avg": st["exp_avg"].clone(),
                    "exp_avg_sq": st["exp_avg_sq"].clone()})
    return out



# ---------------------------------------------------------------------------------------------
# Models the grader sends to a worker
# ---------------------------------------------------------------------------------------------


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


def optimizer_display(kind: str, hyper: dict) -> str:
    args = ", ".join(f"{k}={v}" for k, v in hyper.items())
    return f"torch.optim.{TORCH_OPTIMIZERS[kind]}({args})"


TORCH_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}

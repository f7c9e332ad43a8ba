"""The grader's own reference implementations for `pytorch_basics`: the assignment's oracles.

Everything here runs in the grader process only. Validating what came back from a worker, and
reading handle summaries, is the engine's check library (`autograder.checks`); this module holds
what is particular to this assignment: its spiral, its training loop, its gradient recipe. What
the public checks need as well (the grader's models sent to workers, torch's optimizers as oracles,
the spiral's angle law, the notebook's example spirals as data) is in public.py, released with
them; it is imported here so that the hidden checks reach everything as R.<name>.
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import torch
from torch import nn

from .public import (  # noqa: F401 (the hidden checks reach them as R.<name>, as before)
    TORCH_OPTIMIZERS, accuracy, adam_steps, grader_model, layer_spec, linear_partial_credit, make_torch_optimizer,
    mlp, seeded_model, spiral_angle_law, torch_optimizer_steps, wrap_angle,
)

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


def _mlp_drawn_from(sizes: Sequence[int], generator: torch.Generator) -> nn.Sequential:
    """mlp(sizes, relu=True) with PyTorch's default initialisation drawn from `generator` instead
    of the global RNG (the same weights as torch.manual_seed(s) with a generator seeded s), so
    that a reference can be built in a thread of its own while a check seeds the global RNG."""
    with torch.device("meta"):  # no weights drawn yet (the default device is per thread)
        model = mlp(sizes, relu=True)
    model = model.to_empty(device="cpu")
    for m in model:
        if isinstance(m, nn.Linear):  # nn.Linear.reset_parameters, drawn from `generator`
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            if m.bias is not None:
                bound = 1 / math.sqrt(m.in_features)
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
    return model


def fit_reference(X: torch.Tensor, Y: torch.Tensor, epochs: int = 1000, hidden: int = 100,
                  seed: int = 0) -> nn.Module:
    """The notebook's classic ReLU model with Adam: the figure the fit_spiral bars are set from.
    The global RNG is not used (the initial weights are those of torch.manual_seed(seed))."""
    model = _mlp_drawn_from([X.shape[1], hidden, int(Y.max()) + 1],
                            torch.Generator().manual_seed(seed)).to(X.device)
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


def optimizer_display(kind: str, hyper: dict) -> str:
    args = ", ".join(f"{k}={v}" for k, v in hyper.items())
    return f"torch.optim.{TORCH_OPTIMIZERS[kind]}({args})"


def write_public_spirals(path=None) -> None:
    """Write public.py's data file: the grader's spirals of public.PUBLISHED_SPIRALS (the
    notebook's examples), so that the released public checks have them without this module.
    Run once when the list changes; tests/test_public_release.py checks the file against make_spiral."""
    from . import public

    data = {f"{n}-{c}-{noise:g}-{seed}": make_spiral(n, c, noise, seed=seed)[0].contiguous()
            for n, c, noise, seed in public.PUBLISHED_SPIRALS}
    torch.save(data, path or public.SPIRALS)

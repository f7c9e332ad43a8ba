"""The grader's own reference implementations and value validators for `pytorch_basics`.

Everything here runs in the grader process only, on values that came back from the worker as
plain tensors and containers. Nothing here ever calls a method of an object a student returned:
student values are validated (type, shape, dtype, device, finiteness) with these helpers before any
comparison, and every failed validation is an `AssertionError` whose message says in words what
was expected, without revealing hidden inputs or reference values.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

import torch
from torch import nn

# ---------------------------------------------------------------------------------------------
# Validation of values that came back from the worker
# ---------------------------------------------------------------------------------------------


def type_name(value: Any) -> str:
    """A short, student-facing name for what came back (Unsupported keeps the original type)."""
    tn = getattr(value, "type_name", None)
    if tn is not None and type(value).__name__ == "Unsupported":
        return str(tn)
    kind = getattr(value, "kind", None)
    if kind is not None and type(value).__name__ == "Handle":
        return {"module": "nn.Module", "optimizer": "optimizer", "figure": "Figure"}.get(kind, kind)
    return type(value).__name__


def device_matches(t: torch.Tensor, device: str | torch.device) -> bool:
    return t.device.type == torch.device(device).type


def expect_tensor(
    value: Any,
    what: str,
    *,
    shape: Sequence[int] | None = None,
    dtype: torch.dtype | Iterable[torch.dtype] | None = None,
    device: str | torch.device | None = None,
    finite: bool = True,
) -> torch.Tensor:
    """Validate a returned value as a tensor; return it (detached, unchanged)."""
    assert isinstance(value, torch.Tensor), f"{what}: returned a {type_name(value)}, expected a tensor"
    if shape is not None:
        assert tuple(value.shape) == tuple(shape), (
            f"{what}: expected shape {list(shape)}, got {list(value.shape)}"
        )
    if dtype is not None:
        allowed = (dtype,) if isinstance(dtype, torch.dtype) else tuple(dtype)
        assert value.dtype in allowed, (
            f"{what}: expected dtype {' or '.join(str(d) for d in allowed)}, got {value.dtype}"
        )
    if device is not None:
        assert device_matches(value, device), (
            f"{what}: expected the result on the input's device ({torch.device(device).type}), "
            f"got it on {value.device.type}"
        )
    if finite and (value.is_floating_point() or value.is_complex()):
        assert bool(torch.isfinite(value).all()), f"{what}: the result contains nan or inf values"
    return value


def expect_tuple(value: Any, what: str, n: int) -> tuple:
    assert isinstance(value, (tuple, list)), (
        f"{what}: returned a {type_name(value)}, expected a tuple of {n} values"
    )
    assert len(value) == n, f"{what}: expected a tuple of {n} values, got {len(value)}"
    return tuple(value)


def expect_number(value: Any, what: str, *, allow_int: bool = True) -> float:
    """A Python float (or int); bool, tensors and anything else are refused."""
    if isinstance(value, torch.Tensor):
        raise AssertionError(
            f"{what}: returned a tensor, expected a Python float (convert with .item())"
        )
    ok = isinstance(value, float) or (allow_int and isinstance(value, numbers.Integral))
    assert ok and not isinstance(value, bool), (
        f"{what}: returned a {type_name(value)}, expected a Python float"
    )
    out = float(value)
    assert math.isfinite(out), f"{what}: returned {out}, expected a finite number"
    return out


def expect_handle(value: Any, what: str, kind: str) -> Any:
    expected = {"module": "an nn.Module", "optimizer": "a torch.optim optimizer", "figure": "a matplotlib Figure"}[kind]
    assert type(value).__name__ == "Handle" and getattr(value, "kind", None) == kind, (
        f"{what}: returned a {type_name(value)}, expected {expected}"
    )
    return value


def close(a: torch.Tensor, b: torch.Tensor, *, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Compare in the grader, on the CPU, in float64 (a and b may sit on different devices)."""
    a = a.detach().to("cpu")
    b = b.detach().to("cpu")
    if a.shape != b.shape:
        return False
    if a.is_floating_point() or b.is_floating_point():
        return bool(torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol))
    return bool(torch.equal(a, b))


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


def spiral_angle_law(n_per_class: int, n_classes: int) -> torch.Tensor:
    """The noise-free angle of every row, shape [C*N] (float64)."""
    k = torch.arange(n_classes, dtype=torch.float64)[:, None]
    frac = torch.linspace(0, 1, n_per_class, dtype=torch.float64)[None, :]
    return (2 * math.pi * (k + 2 * frac) / n_classes).reshape(-1)


def wrap_angle(a: torch.Tensor) -> torch.Tensor:
    """Into (-π, π]."""
    return torch.remainder(a + math.pi, 2 * math.pi) - math.pi


def mlp(sizes: Sequence[int], relu: bool, bias: bool = True) -> nn.Sequential:
    """Linear(s0, s1) [ReLU] Linear(s1, s2) ... the grader's own module."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i and relu:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(a, b, bias=bias))
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


def train_reference(model: nn.Module, X: torch.Tensor, Y: torch.Tensor,
                    optimizer: torch.optim.Optimizer, epochs: int) -> list[float]:
    """The contract's loop: zero the gradients, forward, backward, step; the loss before each step."""
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
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
    """The notebook's classic ReLU model with Adam: the figure the fit_spiral bars are set from."""
    torch.manual_seed(seed)
    model = mlp([X.shape[1], hidden, int(Y.max()) + 1], relu=True).to(X.device)
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


def gradient_norms(depth: int, activation: str, seed: int) -> list[float]:
    """One reading of the contract (used only to measure the reference figures of the bars)."""
    torch.manual_seed(seed)
    act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[activation]
    layers: list[nn.Module] = []
    for i in range(depth):
        last = i == depth - 1
        layers.append(nn.Linear(32, 10 if last else 32))
        if not last:
            layers.append(act())
    model = nn.Sequential(*layers)
    x = torch.randn(64, 32)
    y = torch.randint(0, 10, (64,))
    nn.functional.cross_entropy(model(x), y).backward()
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
# Reading handle summaries (plain data the worker sent back; see autograder/sandbox/worker.py)
# ---------------------------------------------------------------------------------------------


def _short_type(name: Any) -> str:
    return str(name).rsplit(".", 1)[-1]


def summary_number(value: Any, default: float = float("nan")) -> float:
    """A number from a handle summary (plain data, but written in the student's process)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def expect_state_dict(value: Any, what: str) -> dict:
    assert isinstance(value, dict), f"{what}: the model's state_dict could not be read back (got a {type_name(value)})"
    return value


def module_leaf_types(handle: Any) -> list[str]:
    """The module's leaf layers in registration order, by class name ("Linear", "ReLU", ...)."""
    return [_short_type(m.get("type")) for m in handle.summary.get("modules", []) if isinstance(m, dict)]


def module_param_ids(handle: Any) -> list[int]:
    return list(handle.summary.get("param_ids", []))


def optimizer_class(handle: Any) -> str:
    return _short_type(handle.summary.get("type", "?"))


def optimizer_groups(handle: Any) -> list[dict]:
    groups = handle.summary.get("param_groups", [])
    assert isinstance(groups, list) and groups, "the optimizer has no parameter groups"
    return [g for g in groups if isinstance(g, dict)]


def optimizer_param_ids(handle: Any) -> list[int]:
    return list(handle.summary.get("param_ids", []))


def optimizer_display(kind: str, hyper: dict) -> str:
    args = ", ".join(f"{k}={v}" for k, v in hyper.items())
    return f"torch.optim.{TORCH_OPTIMIZERS[kind]}({args})"


TORCH_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}


def figure_axes(handle: Any) -> list[dict]:
    return [a for a in handle.summary.get("axes", []) if isinstance(a, dict)]


def axes_bars(ax: dict) -> list[float]:
    """Bar heights, left to right."""
    xs = [summary_number(v) for v in ax.get("bar_x", [])]
    hs = [summary_number(v) for v in ax.get("bar_heights", [])]
    return [h for _, h in sorted(zip(xs, hs), key=lambda p: p[0])]


FILLED_TYPES = ("QuadContourSet", "ContourSet", "QuadMesh", "PolyCollection", "PolyQuadMesh")


def has_filled_regions(handle: Any, X: torch.Tensor) -> tuple[bool, str]:
    """(ok, why not): some Axes shows filled regions (contourf, pcolormesh or imshow) and its
    limits take in the data's bounding box."""
    axes = figure_axes(handle)
    if not axes:
        return False, "the Figure has no Axes"
    lo, hi = X.min(dim=0).values.tolist(), X.max(dim=0).values.tolist()
    for ax in axes:
        filled = summary_number(ax.get("n_images"), 0) > 0 or any(
            _short_type(c.get("type")) in FILLED_TYPES and c.get("filled") is not False
            for c in ax.get("collections", []) if isinstance(c, dict))
        if not filled:
            continue
        (x0, x1), (y0, y1) = (sorted(summary_number(v) for v in list(ax.get(k) or (0, 0))[:2]) for k in ("xlim", "ylim"))
        eps = 1e-6
        if x0 <= lo[0] + eps and x1 >= hi[0] - eps and y0 <= lo[1] + eps and y1 >= hi[1] - eps:
            return True, ""
        return False, "the filled decision regions do not cover the data's bounding box"
    return False, ("no filled decision regions found: draw the model's predicted class over a grid with "
                   "contourf, pcolormesh or imshow")


SCATTER_TYPES = ("PathCollection",)


def scatter_points(handle: Any) -> int:
    """Points drawn by scatter (or plotted as markers) in the Axes holding the most."""
    best = 0
    for ax in figure_axes(handle):
        n = sum(int(summary_number(c.get("n_offsets"), 0)) for c in ax.get("collections", [])
                if isinstance(c, dict) and _short_type(c.get("type")) in SCATTER_TYPES)
        n += sum(int(summary_number(line.get("n_points"), 0)) for line in ax.get("lines", []) if isinstance(line, dict))
        best = max(best, n)
    return best


def adam_sequence(box: Any, param: torch.Tensor, grads: Sequence[torch.Tensor], **hyper: Any) -> list[dict]:
    """Call the student's adam_step once per gradient with ONE state dict that lives in the
    worker (put there as a handle), so the student's own bookkeeping carries from call to call.

    param and grad are put there too, so that an in-place change of them is visible. Per step:
    {"param": what came back, "state": the state dict read back, "inputs_kept": bool}."""
    state = box.put({})
    p = param
    out = []
    for g in grads:
        ph, gh = box.put(p), box.put(g)
        new = box.call("adam_step", ph, gh, state, **hyper)
        kept = _same(box.get(ph), p) and _same(box.get(gh), g)
        out.append({"param": new, "state": box.get(state), "inputs_kept": kept})
        if not isinstance(new, torch.Tensor):
            break
        p = new
    return out


def call_keeping_inputs(box: Any, fn: str, *tensors: torch.Tensor, **kwargs: Any) -> tuple[Any, bool]:
    """Call fn on tensors put in the worker; also say whether fn left them unchanged."""
    handles = [box.put(t) for t in tensors]
    out = box.call(fn, *handles, **kwargs)
    kept = all(_same(box.get(h), t) for h, t in zip(handles, tensors))
    return out, kept


def _same(a: Any, b: torch.Tensor) -> bool:
    return isinstance(a, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype and bool(
        torch.equal(a.detach().cpu(), b.detach().cpu()))

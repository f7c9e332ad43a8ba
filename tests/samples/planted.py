"""Sample submissions built from the answer key by small textual edits.

The key is the instructor notebook itself (`source/pytorch_basics/*.ipynb`, solutions kept): the
grader runs every code cell but the public check cells, so the key needs no release step. Each
`Sample` replaces one exact piece of a solution (it must occur exactly once among the notebook's
code cells) and says which grade cells must lose points: a planted mistake loses the points of
the function it breaks and only those; an alternative correct implementation loses nothing.

`build_*` write a submission folder holding only the notebook a sample touches, which is what
the tests grade (the other notebooks' checks then fail with "not found" and are not compared).

`hint` names the known mistake (source/pytorch_basics/grading/mistakes.toml) a sample's reply
shows: its grade cell's failed checks carry that hint, and no other; a sample without one (and
the answer key, and every alternative) triggers no hint at all. `MISTAKES` are planted mistakes
added so that every known mistake has a sample that triggers it.
"""
from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "source" / "pytorch_basics"
RELEASE = ROOT / "release" / "pytorch_basics"
STEMS = ("01_tensor_ops", "02_spiral_classification", "03_activations_and_optimizers")


@dataclass(frozen=True)
class Sample:
    name: str
    notebook: str  # stem
    old: str
    new: str
    loses: frozenset = frozenset()  # grade ids that must lose points; empty: nothing may be lost
    why: str = ""  # what the mistake (or the alternative) is, for the reader
    gpu_only: bool = False  # only observable when grading on cuda
    more: tuple = ()  # further (old, new) edits of the same sample
    cell: str = ""  # the grade cell whose function it edits (samples of other cells can share a submission)
    hint: str = ""  # the known mistake its grade cell's failed checks must name (mistakes.toml); "" none

    @property
    def alternative(self) -> bool:
        return not self.loses

    @property
    def edits(self) -> tuple:
        return ((self.old, self.new), *self.more)

    @property
    def grade_cell(self) -> str:
        return self.cell or next(iter(self.loses))


def _s(name, stem, old, new, loses=(), why="", gpu_only=False, more=(), cell="", hint="") -> Sample:
    return Sample(name, stem, old, new, frozenset(loses), why, gpu_only, tuple(more), cell, hint)


NB1, NB2, NB3 = STEMS

# ------------------------------------------------------------------------------------------------
# Planted mistakes: each loses the points of one grade cell and nothing else.
# ------------------------------------------------------------------------------------------------

PLANTED: list[Sample] = [
    # -- 01_tensor_ops
    _s("basic_vector_float", NB1, '"vector": torch.tensor([1, 2, 3, 4, 5, 6]),',
       '"vector": torch.tensor([1.0, 2, 3, 4, 5, 6]),', {"check_make_basic_tensors"},
       "vector built from float literals (float32, not int64)", hint="basic_integer_as_float"),
    _s("like_tensors_loses_dtype", NB1, "ones = x.new_ones(5, 3)", "ones = torch.ones(5, 3, device=x.device)",
       {"check_like_tensors"}, "torch.ones instead of x.new_ones: float32 whatever x's dtype", hint="like_ones_default_dtype"),
    _s("describe_list_size", NB1, "return m.size(), m.numel(), m.dim()", "return list(m.size()), m.numel(), m.dim()",
       {"check_describe"}, "the size as a list, not a torch.Size", hint="describe_size_not_torch_size"),
    _s("pick_row_and_column_swapped", NB1, "return m[0, 2], m[:, 1], m[1, :]", "return m[0, 2], m[1, :], m[:, 1]",
       {"check_pick"}, "row 1 returned as the column and the other way round", hint="pick_row_column_swapped"),
    _s("products_star_for_matmul", NB1, "return m @ v, m * v", "return m * v, m * v", {"check_products"},
       "m * v (element-wise) where m @ v (matrix-vector) is asked", hint="products_elementwise_for_matmul"),
    _s("transposes_same_tensor", NB1, "return m.t(), m.transpose(0, 1), m.permute(1, 0)",
       "return m, m.transpose(0, 1), m.permute(1, 0)", {"check_transposes"}, "the first 'transpose' is m itself", hint="transposes_returns_input"),
    _s("swap_last_two_only_2d", NB1, "return x.transpose(-2, -1)", "return x.t()", {"check_swap_last_two"},
       ".t() works for 2-D tensors only", hint="swap_last_two_t"),
    _s("concat_wrong_dim", NB1, "torch.cat([a, b], dim=0), torch.cat([a, b], dim=1)",
       "torch.cat([a, b], dim=0), torch.cat([a, b], dim=0)", {"check_concat"}, "both joins along dim 0", hint="concat_same_dim"),
    _s("literal_dtypes_swapped", NB1, "return torch.int64, torch.get_default_dtype()",
       "return torch.get_default_dtype(), torch.int64", {"check_literal_dtypes"}, "the two dtypes swapped", hint="literal_dtypes_swapped"),
    _s("histogram_fixed_range", NB1, "counts = torch.histc(samples, bins=bins, min=lo, max=hi)",
       "counts = torch.histc(samples, bins=bins, min=-4.0, max=4.0)", {"check_randn_histogram"},
       "bins over a fixed range [-4, 4] instead of the samples' minimum to maximum", hint="histogram_fixed_range"),
    # -- 02_spiral_classification
    _s("spiral_python_loop", NB2,
       """    t = torch.linspace(0, 1, N)
    angles = torch.stack([
        torch.linspace(2 * math.pi * c / C, 2 * math.pi * (c + 2) / C, N)
        + noise * torch.randn(N, generator=gen)
        for c in range(C)
    ])                                                       # [C, N]
    X = torch.stack([t * torch.sin(angles), t * torch.cos(angles)], dim=-1).reshape(C * N, 2)
    Y = torch.arange(C).repeat_interleave(N)
""",
       """    X = torch.zeros(C * N, 2)
    Y = torch.zeros(C * N, dtype=torch.long)
    for c in range(C):
        for i in range(N):
            t = i / (N - 1) if N > 1 else 0.0
            a = 2 * math.pi * c / C + 2 * math.pi * 2 / C * t + noise * torch.randn(1, generator=gen).item()
            X[c * N + i, 0] = t * math.sin(a)
            X[c * N + i, 1] = t * math.cos(a)
            Y[c * N + i] = c
""", {"check_make_spiral"}, "right data, but a Python loop over every point"),
    _s("spiral_python_float_loop", NB2,
       """    t = torch.linspace(0, 1, N)
    angles = torch.stack([
        torch.linspace(2 * math.pi * c / C, 2 * math.pi * (c + 2) / C, N)
        + noise * torch.randn(N, generator=gen)
        for c in range(C)
    ])                                                       # [C, N]
    X = torch.stack([t * torch.sin(angles), t * torch.cos(angles)], dim=-1).reshape(C * N, 2)
    Y = torch.arange(C).repeat_interleave(N)
""",
       """    points, labels = [], []
    for c in range(C):
        nz = torch.randn(N, generator=gen).tolist()
        for i in range(N):
            t = i / (N - 1) if N > 1 else 0.0
            a = 2 * math.pi * c / C + 2 * math.pi * 2 / C * t + noise * nz[i]
            points.append((t * math.sin(a), t * math.cos(a)))
            labels.append(c)
    X = torch.tensor(points, dtype=torch.float32).reshape(C * N, 2)
    Y = torch.tensor(labels, dtype=torch.long)
""", {"check_make_spiral"}, "right data, but a loop of math.sin over Python floats: the cheapest loop there is"),
    _s("spiral_wrong_angle", NB2, "torch.linspace(2 * math.pi * c / C, 2 * math.pi * (c + 2) / C, N)",
       "torch.linspace(2 * math.pi * c / C, 2 * math.pi * (c + 1) / C, N)", {"check_make_spiral"},
       "each arm turns through 2π/C instead of 4π/C", hint="spiral_arm_too_short"),
    _s("relu_model_without_relu", NB2, "return nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))",
       "return nn.Sequential(nn.Linear(D, H), nn.Linear(H, C))", {"check_build_relu_model"}, "the ReLU forgotten", hint="relu_model_affine"),
    _s("train_without_zero_grad", NB2,
       "    for _ in range(epochs):\n        optimizer.zero_grad()\n        loss = loss_fn(model(X), Y)\n        loss.backward()\n        optimizer.step()\n        losses.append",
       "    for _ in range(epochs):\n        loss = loss_fn(model(X), Y)\n        loss.backward()\n        optimizer.step()\n        losses.append",
       {"check_train"}, "gradients never zeroed: they pile up from epoch to epoch", hint="train_no_zero_grad"),
    _s("make_optimizer_ignores_weight_decay", NB2,
       "torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)",
       "torch.optim.Adam(model.parameters(), lr=lr)", {"check_make_optimizer"}, "Adam without the weight decay", hint="optimizer_weight_decay_ignored"),
    _s("accuracy_returns_count", NB2, "return (logits.argmax(dim=1) == Y).float().mean().item()",
       "return (logits.argmax(dim=1) == Y).float().sum().item()", {"check_accuracy"},
       "the number of right rows, not the fraction", hint="accuracy_count_not_fraction"),
    _s("fit_spiral_memorises", NB2, "    device = torch.device(device)\n    X, Y = X.to(device), Y.to(device)\n    n_classes",
       """    class Memoriser(nn.Module):
        \"\"\"Knows the training points by heart and nothing else.\"\"\"

        def __init__(self, X, Y):
            super().__init__()
            self.register_buffer("X", X.clone())
            self.register_buffer("Y", Y.clone())
            self.n_classes = int(Y.max().item()) + 1

        def forward(self, x):
            d = torch.cdist(x, self.X)
            nearest = d.argmin(dim=1)
            hit = d.gather(1, nearest[:, None]).squeeze(1) == 0
            out = torch.zeros(x.shape[0], self.n_classes, device=x.device)
            out[hit, self.Y[nearest[hit]]] = 1.0
            return out

    return Memoriser(X, Y)
    device = torch.device(device)
    X, Y = X.to(device), Y.to(device)
    n_classes""", {"check_fit_spiral"}, "100% on the training points, chance level anywhere else"),
    _s("plot_without_points", NB2,
       """    ax.scatter(X_cpu[:, 0].numpy(), X_cpu[:, 1].numpy(), c=Y_cpu.numpy(), cmap="Spectral",
               vmin=-0.5, vmax=n_classes - 0.5, s=6)""", "    pass",
       {"check_plot_decision_boundary"}, "the decision regions without the data points", hint="plot_without_points"),
    # -- 03_activations_and_optimizers
    _s("sigmoid_overflows", NB3, """    z = torch.exp(-x.abs())                      # in (0, 1]: never overflows
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))""",
       "    return torch.exp(x) / (1 + torch.exp(x))", {"check_activations"},
       "exp(x) / (1 + exp(x)): inf / inf = nan for large x", hint="sigmoid_overflow"),
    _s("leaky_relu_wrong_default", NB3, "def leaky_relu(x, slope=0.01):", "def leaky_relu(x, slope=0.1):",
       {"check_activations"}, "default slope 0.1 instead of 0.01", hint="leaky_relu_other_slope"),
    _s("collapse_linear_two_layers_only", NB3, "for layer in layers[1:]:", "for layer in layers[1:2]:",
       {"check_collapse_linear"}, "folds in the second layer only: right for depth 2, wrong deeper", hint="collapse_first_two_only"),
    _s("gradient_norms_last_first", NB3,
       "return [m.weight.grad.norm().item() for m in model if isinstance(m, nn.Linear)]",
       "return [m.weight.grad.norm().item() for m in model if isinstance(m, nn.Linear)][::-1]",
       {"check_gradient_norms"}, "the norms listed from the last layer to the first", hint="gradient_norms_reversed"),
    _s("sgd_step_ignores_weight_decay", NB3,
       "g = grad.add(param, alpha=weight_decay) if weight_decay != 0 else grad", "g = grad",
       {"check_sgd_step"}, "weight decay ignored", hint="sgd_weight_decay_ignored"),
    _s("adam_without_bias_correction", NB3,
       "bias_correction1 = 1 - beta1 ** step\n        bias_correction2 = 1 - beta2 ** step",
       "bias_correction1 = 1.0\n        bias_correction2 = 1.0", {"check_adam_step"},
       "no bias correction of the moments", hint="adam_no_bias_correction"),
    _s("adam_state_not_kept", NB3, '    state["exp_avg"] = exp_avg\n    state["exp_avg_sq"] = exp_avg_sq\n', "",
       {"check_adam_step"}, "the moments are computed but never stored back in state", hint="adam_state_not_kept"),
]

# Only visible when grading on a GPU (on the CPU the mistaken code does the right thing).
GPU_PLANTED: list[Sample] = [
    _s("spiral_ignores_device", NB2, "return X.to(device), Y.to(device)", "return X, Y", {"check_make_spiral"},
       "the spiral always stays on the CPU", gpu_only=True, hint="device_left_on_cpu"),
    _s("plot_moves_model_to_cpu", NB2, "    with torch.no_grad():\n        logits = model(grid)",
       "    model.cpu()\n    with torch.no_grad():\n        logits = model(grid.cpu())",
       {"check_plot_decision_boundary"}, "moves the model to the CPU to draw it", gpu_only=True, hint="device_left_on_cpu"),
    _s("collapse_linear_on_cpu", NB3, "W.shape[1], W.shape[0], device=W.device, dtype=W.dtype",
       'W.shape[1], W.shape[0], device="cpu", dtype=W.dtype', {"check_collapse_linear"},
       "the collapsed layer is built on the CPU whatever the model's device", gpu_only=True, hint="device_left_on_cpu"),
]

# ------------------------------------------------------------------------------------------------
# Alternative correct implementations: lose nothing.
# ------------------------------------------------------------------------------------------------

ALTERNATIVES: list[Sample] = [
    _s("alt_products_matmul", NB1, "return m @ v, m * v", "return torch.matmul(m, v), torch.mul(m, v)",
       why="torch.matmul / torch.mul instead of the operators", cell="check_products"),
    _s("alt_spiral_broadcast", NB2,
       """    t = torch.linspace(0, 1, N)
    angles = torch.stack([
        torch.linspace(2 * math.pi * c / C, 2 * math.pi * (c + 2) / C, N)
        + noise * torch.randn(N, generator=gen)
        for c in range(C)
    ])                                                       # [C, N]
""", """    t = torch.linspace(0, 1, N)
    start = 2 * math.pi * torch.arange(C, dtype=torch.float32)[:, None] / C
    angles = start + t[None, :] * (4 * math.pi / C) + noise * torch.randn(C, N, generator=gen)
""", why="no loop at all: the angles of every class by broadcasting, the noise in one draw", cell="check_make_spiral"),
    _s("alt_relu_module_subclass", NB2, "    return nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))", """    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(D, H)
            self.act = nn.ReLU()
            self.out = nn.Linear(H, C)

        def forward(self, x):
            return self.out(self.act(self.hidden(x)))

    return TwoLayer()""", why="an nn.Module subclass instead of nn.Sequential", cell="check_build_relu_model"),
    _s("alt_collapse_reduce", NB3, """        for layer in layers[1:]:
            b = layer.weight @ b
            if layer.bias is not None:
                b = b + layer.bias
            W = layer.weight @ W""", """        for layer in layers[1:]:
            b = torch.einsum("ij,j->i", layer.weight, b) + (layer.bias if layer.bias is not None else 0)
            W = torch.einsum("ij,jk->ik", layer.weight, W)""", why="einsum instead of @", cell="check_collapse_linear"),
    _s("alt_sigmoid_logaddexp", NB3, """    z = torch.exp(-x.abs())                      # in (0, 1]: never overflows
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))""",
       "    return torch.exp(-torch.logaddexp(torch.zeros_like(x), -x))",
       why="1 / (1 + e^-x) = exp(-log(1 + e^-x)), stable through logaddexp", cell="check_activations"),
    _s("alt_adam_in_place_state", NB3, """        exp_avg = state["exp_avg"].lerp(grad, 1 - beta1)             # beta1 * m + (1 - beta1) * g
        exp_avg_sq = state["exp_avg_sq"].mul(beta2).addcmul(grad, grad, value=1 - beta2)""",
       """        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)             # updated in place, inside state
        exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)""",
       why="the moments updated in place in the tensors state holds", cell="check_adam_step"),
]

# Correct variants a stricter check could wrongly fail: these must keep every point too.
ALTERNATIVES += [
    _s("alt_like_tensors_constructors", NB1, "ones = x.new_ones(5, 3)\n    noise = torch.randn_like(x, dtype=torch.float)",
       "ones = torch.ones(5, 3, dtype=x.dtype, device=x.device)\n"
       "    noise = torch.randn(x.shape, dtype=torch.float32, device=x.device)",
       why="torch.ones / torch.randn with explicit dtype and device", cell="check_like_tensors"),
    _s("alt_describe_shape", NB1, "return m.size(), m.numel(), m.dim()",
       "return m.shape, int(torch.tensor(m.shape).prod().item()), len(m.shape)",
       why="m.shape, the product of the sizes, the length of the shape", cell="check_describe"),
    _s("alt_pick_select", NB1, "return m[0, 2], m[:, 1], m[1, :]", "return m[0][2], m.select(1, 1), m.select(0, 1)",
       why="chained indexing and select", cell="check_pick"),
    _s("alt_products_mv_einsum", NB1, "return m @ v, m * v", 'return torch.mv(m, v), torch.einsum("ij,j->ij", m, v)',
       why="torch.mv and einsum", cell="check_products"),
    _s("alt_swap_mT", NB1, "return x.transpose(-2, -1)", "return x.mT", why="the .mT property", cell="check_swap_last_two"),
    _s("alt_literal_dtypes_computed", NB1, "return torch.int64, torch.get_default_dtype()",
       "return torch.tensor(1).dtype, torch.tensor(1.0).dtype", why="the dtypes read off the literals",
       cell="check_literal_dtypes"),
    _s("alt_spiral_other_order", NB2,
       """    t = torch.linspace(0, 1, N)
    angles = torch.stack([
        torch.linspace(2 * math.pi * c / C, 2 * math.pi * (c + 2) / C, N)
        + noise * torch.randn(N, generator=gen)
        for c in range(C)
    ])                                                       # [C, N]
    X = torch.stack([t * torch.sin(angles), t * torch.cos(angles)], dim=-1).reshape(C * N, 2)
""", """    eps = torch.randn(C, N, generator=gen)                   # all the noise first
    classes = torch.arange(C, dtype=torch.float32)[:, None]
    t = torch.linspace(0, 1, N)[None, :]
    angles = 2 * math.pi * (classes + 2 * t) / C + noise * eps
    X = (t[..., None] * torch.stack((angles.sin(), angles.cos()), dim=-1)).reshape(-1, 2)
""", why="the noise drawn first in one go, the angle law by broadcasting, sin and cos as methods",
       cell="check_make_spiral"),
    _s("alt_optimizer_explicit_defaults", NB2,
       "torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)",
       "torch.optim.SGD(params=list(model.parameters()), lr=lr, momentum=0.0, dampening=0.0, "
       "weight_decay=weight_decay, nesterov=False)", why="SGD's defaults written out, the parameters as a list",
       cell="check_make_optimizer"),
    _s("alt_accuracy_sum", NB2, "return (logits.argmax(dim=1) == Y).float().mean().item()",
       "return (logits.argmax(dim=1) == Y).sum().item() / len(Y)", why="a count divided by the number of rows",
       cell="check_accuracy"),
    _s("alt_train_functional_loss", NB2, "    loss_fn = nn.CrossEntropyLoss()\n    losses = []",
       "    loss_fn = nn.functional.cross_entropy\n    losses = []",
       why="the functional cross-entropy", cell="check_train"),
    _s("alt_plot_imshow", NB2, """    ax.contourf(xx.cpu().numpy(), yy.cpu().numpy(), regions.cpu().numpy(),
                levels=levels, cmap="Spectral", alpha=0.35)""",
       """    ax.imshow(regions.cpu().numpy(), extent=(lo[0], hi[0], lo[1], hi[1]), origin="lower", cmap="Spectral",
              alpha=0.35, vmin=-0.5, vmax=n_classes - 0.5, aspect="auto", interpolation="nearest")""",
       why="imshow of the predicted classes (origin at the bottom left)", cell="check_plot_decision_boundary"),
    _s("alt_plot_pcolormesh", NB2, """    ax.contourf(xx.cpu().numpy(), yy.cpu().numpy(), regions.cpu().numpy(),
                levels=levels, cmap="Spectral", alpha=0.35)""",
       """    ax.pcolormesh(xx.cpu().numpy(), yy.cpu().numpy(), regions.cpu().numpy(), cmap="Set2",
                  vmin=-0.5, vmax=n_classes - 0.5, shading="auto")""",
       why="pcolormesh of the predicted classes, another colour map", cell="check_plot_decision_boundary"),
    _s("alt_relu_clamp", NB3, "return torch.where(x > 0, x, torch.zeros_like(x))", "return x.clamp(min=0)",
       why="relu by clamp", cell="check_activations"),
    _s("alt_relu_maximum", NB3, "return torch.where(x > 0, x, torch.zeros_like(x))",
       "return torch.maximum(x, torch.zeros_like(x))", why="relu by torch.maximum", cell="check_activations"),
    _s("alt_relu_mask", NB3, "return torch.where(x > 0, x, torch.zeros_like(x))", "return x * (x > 0)",
       why="relu by a mask", cell="check_activations"),
    _s("alt_sigmoid_where_exp", NB3, """    z = torch.exp(-x.abs())                      # in (0, 1]: never overflows
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))""",
       "    return torch.where(x >= 0, 1 / (1 + torch.exp(-x)), torch.exp(x) / (1 + torch.exp(x)))",
       why="sigmoid by torch.where on the sign, both branches computed", cell="check_activations"),
    _s("alt_gradient_norms_targets_first", NB3,
       "    inputs = torch.randn(64, 32)\n    targets = torch.randint(0, 10, (64,))",
       "    targets = torch.randint(0, 10, (64,))\n    inputs = torch.randn(64, 32)",
       why="the targets drawn before the inputs (the contract fixes no order)", cell="check_gradient_norms"),
    _s("alt_sgd_arithmetic", NB3, "        return param.add(g, alpha=-lr)", "        return param - lr * g",
       why="the step written with operators", cell="check_sgd_step"),
]

# ------------------------------------------------------------------------------------------------
# Lazy replies: a reply that keeps points it did not earn unless a check computes what the
# contract says (docs/lazy-replies.md). Each loses the points of its grade cell and nothing else.
# ------------------------------------------------------------------------------------------------

_PLOT_FILL = """    ax.contourf(xx.cpu().numpy(), yy.cpu().numpy(), regions.cpu().numpy(),
                levels=levels, cmap="Spectral", alpha=0.35)"""
_PREDICT = """    with torch.no_grad():
        logits = model(grid)
    regions = logits.argmax(dim=1).reshape(xx.shape)
    n_classes = max(logits.shape[1], int(Y.max().item()) + 1)"""
_FIT_START = "    device = torch.device(device)\n    X, Y = X.to(device), Y.to(device)\n    n_classes"
_SIGMOID_BODY = """    z = torch.exp(-x.abs())                      # in (0, 1]: never overflows
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))"""
_RELU_BODY = "return torch.where(x > 0, x, torch.zeros_like(x))"
_NOISE = "        + noise * torch.randn(N, generator=gen)"
_SGD = "torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)"
_ADAM = "torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)"

LAZY: list[Sample] = [
    # -- 01_tensor_ops
    _s("like_tensors_uniform_noise", NB1, "noise = torch.randn_like(x, dtype=torch.float)",
       "noise = (torch.rand_like(x, dtype=torch.float) - 0.5) * 12 ** 0.5", {"check_like_tensors"},
       "uniform noise scaled to mean 0 and std 1: right only in mean and std"),
    _s("like_tensors_same_draw", NB1, "noise = torch.randn_like(x, dtype=torch.float)",
       "noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(0)).to(x.device)",
       {"check_like_tensors"}, "the same draw on every call"),
    _s("like_tensors_in_place", NB1, "noise = torch.randn_like(x, dtype=torch.float)",
       "noise = x.normal_() if x.dtype == torch.float32 else torch.randn_like(x, dtype=torch.float)",
       {"check_like_tensors"}, "x itself filled with normal samples in place"),
    _s("describe_constant", NB1, "return m.size(), m.numel(), m.dim()", "return torch.Size([2, 3, 4]), 24, 3",
       {"check_describe"}, "the notebook's answer written down"),
    _s("pick_constant", NB1, "return m[0, 2], m[:, 1], m[1, :]",
       "return torch.tensor(2), torch.tensor([1, 5, 9]), torch.tensor([4, 5, 6, 7])", {"check_pick"},
       "the notebook's answer written down"),
    _s("pick_flat_view", NB1, "return m[0, 2], m[:, 1], m[1, :]", "return m.view(-1)[2], m[:, 1], m[1, :]",
       {"check_pick"}, "element [0, 2] as the third element of the flat storage: wrong for a non-contiguous m"),
    _s("products_constant", NB1, "return m @ v, m * v",
       "return torch.tensor([49.0, 47.0]), torch.tensor([[2.0, 10.0, 9.0, 28.0], [4.0, 4.0, 3.0, 36.0]])",
       {"check_products"}, "the notebook's answer written down"),
    _s("transposes_constant", NB1, "return m.t(), m.transpose(0, 1), m.permute(1, 0)",
       "return (torch.tensor([[0, 3], [1, 4], [2, 5]]),) * 3", {"check_transposes"},
       "the notebook's answer written down"),
    _s("swap_last_two_notebook_dims", NB1, "return x.transpose(-2, -1)",
       "return x.t() if x.dim() == 2 else x.permute(0, 2, 1) if x.dim() == 3 else x.permute(0, 1, 3, 2)",
       {"check_swap_last_two"}, "a case for each of the notebook's examples (2, 3 and 4 dimensions) only"),
    _s("concat_constant", NB1, "return torch.cat([a, b], dim=0), torch.cat([a, b], dim=1)",
       "return torch.cat([torch.zeros(2, 3), torch.ones(2, 3)]), torch.cat([torch.zeros(2, 3), torch.ones(2, 3)], dim=1)",
       {"check_concat"}, "the notebook's answer written down, a and b ignored"),
    _s("literal_dtypes_fixed", NB1, "return torch.int64, torch.get_default_dtype()", "return torch.int64, torch.float32",
       {"check_literal_dtypes"}, "float32 written down: wrong once the default dtype is float64", hint="literal_dtypes_fixed_float32"),
    _s("histogram_bars_elsewhere", NB1,
       'ax.bar(left_edges.numpy(), counts.numpy(), width=(hi - lo) / bins, align="edge",',
       'ax.bar(torch.arange(bins).numpy(), counts.numpy(), width=0.8, align="edge",', {"check_randn_histogram"},
       "bars of the right heights at 0, 1, 2, ... instead of over the bins", hint="histogram_bars_at_indices"),
    _s("histogram_uniform_samples", NB1, "samples = torch.randn(n, generator=gen)",
       "samples = (torch.rand(n, generator=gen) - 0.5) * 12 ** 0.5", {"check_randn_histogram"},
       "uniform samples of mean 0 and std 1 instead of normal ones"),
    # -- 02_spiral_classification
    _s("spiral_uniform_noise", NB2, _NOISE, "        + noise * (torch.rand(N, generator=gen) - 0.5) * 12 ** 0.5",
       {"check_make_spiral"}, "uniform angle noise of the right mean and std"),
    _s("spiral_sorted_noise", NB2, _NOISE, "        + noise * torch.randn(N, generator=gen).sort().values",
       {"check_make_spiral"}, "normal noise, sorted: each draw correlated with the next"),
    _s("spiral_fixed_noise_level", NB2, _NOISE, "        + 0.2 * torch.randn(N, generator=gen)",
       {"check_make_spiral"}, "the noise argument ignored (always 0.2)"),
    _s("linear_model_frozen", NB2, "return nn.Sequential(nn.Linear(D, H), nn.Linear(H, C))",
       "return nn.Sequential(nn.Linear(D, H), nn.Linear(H, C)).requires_grad_(False)", {"check_build_linear_model"},
       "parameters that do not require gradients"),
    _s("relu_model_notebook_sizes", NB2, "return nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))",
       "return nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))", {"check_build_relu_model"},
       "the notebook's sizes written down, D, H and C ignored"),
    _s("optimizer_momentum", NB2, _SGD, _SGD[:-1] + ", momentum=0.9)", {"check_make_optimizer"},
       "SGD with momentum the contract does not ask for"),
    _s("optimizer_maximize", NB2, _ADAM, _ADAM[:-1] + ", maximize=True)", {"check_make_optimizer"},
       "an Adam that climbs the loss"),
    _s("optimizer_decoupled_weight_decay", NB2, _ADAM, _ADAM[:-1] + ", decoupled_weight_decay=True)",
       {"check_make_optimizer"}, "AdamW's decoupled weight decay under the name Adam"),
    _s("optimizer_subclass_does_nothing", NB2, "return " + _SGD, """class SGD(torch.optim.SGD):
            def step(self, closure=None):
                return None
        return SGD(model.parameters(), lr=lr, weight_decay=weight_decay)""", {"check_make_optimizer"},
       "a class named SGD whose step does nothing"),
    _s("accuracy_ties_count_right", NB2, "return (logits.argmax(dim=1) == Y).float().mean().item()",
       "return (logits.gather(1, Y[:, None]).squeeze(1) == logits.max(dim=1).values).float().mean().item()",
       {"check_accuracy"}, "a row counts as right whenever the label's logit ties for the maximum"),
    _s("accuracy_rounded", NB2, "return (logits.argmax(dim=1) == Y).float().mean().item()",
       "return round((logits.argmax(dim=1) == Y).float().mean().item(), 2)", {"check_accuracy"},
       "the fraction rounded to two decimals"),
    _s("train_rounds_losses", NB2, "        losses.append(loss.item())", "        losses.append(round(loss.item(), 5))",
       {"check_train"}, "losses rounded to 5 decimals: unseen while they are large"),
    _s("train_stops_early", NB2, "        losses.append(loss.item())\n    return losses",
       "        losses.append(loss.item())\n        if loss.item() < 1e-2:\n            break\n    return losses",
       {"check_train"}, "stops once the loss is small"),
    _s("fit_spiral_reads_row_order", NB2, _FIT_START, '''    class ByRow(nn.Module):
        """Ignores the points: the class is read off the row's position, 3 * row // n."""

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1, device=device))

        def forward(self, x):
            cls = torch.arange(x.shape[0], device=x.device) * 3 // x.shape[0]
            return nn.functional.one_hot(cls, 3).float() + 0 * self.w

    return ByRow()
''' + _FIT_START, {"check_fit_spiral"}, "no training: the class from the row's position (the data came ordered by class)"),
    _s("fit_spiral_spiral_law", NB2, _FIT_START, '''    class SpiralLaw(nn.Module):
        """Never looks at the labels: the class whose spiral arm passes closest to the point."""

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1, device=device))

        def forward(self, x):
            r = x.norm(dim=1, keepdim=True)
            a = torch.atan2(x[:, :1], x[:, 1:])
            law = 2 * math.pi * (torch.arange(3, device=x.device) + 2 * r) / 3
            return -(torch.remainder(a - law + math.pi, 2 * math.pi) - math.pi).abs() + 0 * self.w

    return SpiralLaw()
''' + _FIT_START, {"check_fit_spiral"}, "the spiral's law written down: a model that never learns from its labels"),
    _s("fit_spiral_depends_on_batch", NB2, "    return model.eval()", '''    mean = X.mean(dim=0)

    class PerBatch(nn.Module):
        """Centres every batch by its own mean: a point's class depends on its batch."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x - x.mean(dim=0) + mean)

    return PerBatch(model.eval())''', {"check_fit_spiral"}, "predictions that depend on the batch a point comes in"),
    _s("plot_constant_image", NB2, _PREDICT, """    regions = torch.zeros(xx.shape, dtype=torch.long, device=X.device)
    n_classes = int(Y.max().item()) + 1""", {"check_plot_decision_boundary"},
       "the model never called: one constant region plus the points"),
    _s("plot_regions_from_labels", NB2, _PREDICT, """    regions = Y[torch.cdist(grid, X).argmin(dim=1)].reshape(xx.shape)
    n_classes = int(Y.max().item()) + 1""", {"check_plot_decision_boundary"},
       "regions painted from the nearest labelled point instead of the model"),
    _s("plot_random_points", NB2, "X_cpu[:, 0].numpy(), X_cpu[:, 1].numpy(), c=Y_cpu.numpy()",
       "(torch.rand(len(X_cpu)) * 2 - 1).numpy(), (torch.rand(len(X_cpu)) * 2 - 1).numpy(), c=Y_cpu.numpy()",
       {"check_plot_decision_boundary"}, "as many random points as X has, instead of X's points"),
    _s("plot_upside_down", NB2, _PLOT_FILL,
       """    ax.imshow(regions.cpu().numpy(), extent=(lo[0], hi[0], lo[1], hi[1]), cmap="Spectral", alpha=0.35,
              vmin=-0.5, vmax=n_classes - 0.5, aspect="auto")""", {"check_plot_decision_boundary"},
       "imshow without origin='lower': the regions drawn upside down"),
    # -- 03_activations_and_optimizers
    _s("sigmoid_torch", NB3, _SIGMOID_BODY, "    return torch.sigmoid(x)", {"check_activations"},
       "torch.sigmoid, which the contract forbids"),
    _s("sigmoid_alias", NB3, _SIGMOID_BODY, "    return _s(x)", {"check_activations"},
       "torch.sigmoid under another name", more=[("def sigmoid(x):", "_s = torch.sigmoid\n\n\ndef sigmoid(x):")]),
    _s("sigmoid_getattr", NB3, _SIGMOID_BODY, '    return getattr(torch, "sig" + "moid")(x)', {"check_activations"},
       "torch.sigmoid through a computed name"),
    _s("tanh_method", NB3, "return 2 * sigmoid(2 * x) - 1", "return (2 * x).sigmoid() * 2 - 1", {"check_activations"},
       "the tensor's .sigmoid() method"),
    _s("relu_functional", NB3, _RELU_BODY, "import torch.nn.functional as F\n    return F.relu(x)", {"check_activations"},
       "torch.nn.functional.relu"),
    _s("relu_in_place", NB3, _RELU_BODY, "return x.clamp_(min=0)", {"check_activations"},
       "clamps its input in place and returns it"),
    _s("leaky_relu_helper", NB3, "return torch.where(x > 0, x, slope * x)", "return _leak(x, slope)",
       {"check_activations"}, "torch.nn.functional.leaky_relu hidden in a helper",
       more=[("def leaky_relu(x, slope=0.01):",
              "def _leak(t, s):\n    return torch.nn.functional.leaky_relu(t, s)\n\n\ndef leaky_relu(x, slope=0.01):")]),
    _s("sigmoid_grad_torch", NB3, "s = sigmoid(x)", "s = torch.sigmoid(x)", {"check_activations"},
       "torch.sigmoid instead of the student's own sigmoid"),
    _s("collapse_linear_in_place", NB3, """        single = torch.nn.utils.skip_init(nn.Linear, W.shape[1], W.shape[0], device=W.device, dtype=W.dtype)
        single.weight.copy_(W)
        single.bias.copy_(b)""", """        single = first                                   # the model's own first layer, changed
        single.weight = nn.Parameter(W)
        single.bias = nn.Parameter(b)
        single.in_features, single.out_features = W.shape[1], W.shape[0]""", {"check_collapse_linear"},
       "folds the stack into the model's first layer and returns it: the model is changed"),
    _s("collapse_linear_assumes_bias", NB3,
       "b = first.bias.detach().clone() if first.bias is not None else W.new_zeros(W.shape[0])",
       "b = first.bias.detach().clone()", {"check_collapse_linear"}, "fails for a first layer without bias"),
    _s("collapse_linear_float32", NB3, "device=W.device, dtype=W.dtype", "device=W.device, dtype=torch.float32",
       {"check_collapse_linear"}, "a float32 layer whatever the model's dtype"),
    _s("gradient_norms_constants", NB3, '    activations = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}\n', '''    ratio = 3e-8 if activation == "sigmoid" else 3e-3          # the notebook's first/last ratios
    return [ratio ** (1 - i / max(depth - 1, 1)) for i in range(depth)]
    activations = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}
''', {"check_gradient_norms"}, "made-up norms with the right first/last ratio"),
    _s("gradient_norms_ignores_seed", NB3, "    torch.manual_seed(seed)\n    layers = []",
       "    torch.manual_seed(0)\n    layers = []", {"check_gradient_norms"}, "always seed 0"),
    _s("sgd_step_momentum", NB3, "        return param.add(g, alpha=-lr)", """        key = tuple(param.shape)
        velocity = _VELOCITY[key] * 0.9 + g if key in _VELOCITY else g
        _VELOCITY[key] = velocity
        return param.add(velocity, alpha=-lr)""", {"check_sgd_step"},
       "momentum kept between calls in a global", more=[("def sgd_step(", "_VELOCITY = {}\n\n\ndef sgd_step(")]),
    _s("adam_eps_inside_sqrt", NB3, "denom = (exp_avg_sq.sqrt() / bias_correction2 ** 0.5).add(eps)",
       "denom = (exp_avg_sq / bias_correction2).add(eps).sqrt()", {"check_adam_step"},
       "eps inside the square root: unseen while eps is tiny", hint="adam_eps_inside_sqrt"),
    _s("adam_step_count_global", NB3, 'step = int(state["step"]) + 1', """_STEPS[0] = 0 if int(state["step"]) == 0 else _STEPS[0]
        step = _STEPS[0] + 1
        _STEPS[0] = step""", {"check_adam_step"}, "the step count kept in a global, not in state",
       more=[("def adam_step(", "_STEPS = [0]\n\n\ndef adam_step(")]),
]

# ------------------------------------------------------------------------------------------------
# More planted mistakes, each one a known mistake of the catalogue (its hint): each loses the
# points of its grade cell and nothing else. Packed into submissions like LAZY (`groups`).
# ------------------------------------------------------------------------------------------------

MISTAKES: list[Sample] = [
    # -- 01_tensor_ops
    _s("products_no_promotion", NB1, """    if m.dtype != v.dtype:
        common = torch.promote_types(m.dtype, v.dtype)
        if not (common.is_floating_point or common.is_complex):
            common = torch.get_default_dtype()
        m, v = m.to(common), v.to(common)
""", "", {"check_products"}, "no dtype promotion: the float matrix times the int64 arange(1, 5) raises",
       hint="products_no_promotion"),
    # -- 02_spiral_classification
    _s("spiral_sin_cos_swapped", NB2, "X = torch.stack([t * torch.sin(angles), t * torch.cos(angles)], dim=-1)",
       "X = torch.stack([t * torch.cos(angles), t * torch.sin(angles)], dim=-1)", {"check_make_spiral"},
       "point = t·(cos, sin) instead of t·(sin, cos)", hint="spiral_sin_cos_swapped"),
    _s("accuracy_argmax_dim0", NB2, "return (logits.argmax(dim=1) == Y).float().mean().item()",
       "return (logits.argmax(dim=0) == Y).float().mean().item()", {"check_accuracy"},
       "argmax over the rows instead of the classes", hint="accuracy_argmax_wrong_dim"),
    _s("train_loss_after_step", NB2, "        losses.append(loss.item())", "        losses.append(loss_fn(model(X), Y).item())",
       {"check_train"}, "each epoch's loss computed again after its step", hint="train_loss_after_step"),
    _s("make_optimizer_no_value_error", NB2, """    raise ValueError(f"unknown optimizer {name!r}: use 'sgd' or 'adam'")""",
       "    return torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)", {"check_make_optimizer"},
       "any other name silently gives SGD", hint="optimizer_accepts_any_name"),
    _s("fit_spiral_linear", NB2, "            nn.Linear(X.shape[1], hidden), nn.ReLU(),\n            nn.Linear(hidden, hidden), nn.ReLU(),",
       "            nn.Linear(X.shape[1], hidden),\n            nn.Linear(hidden, hidden),", {"check_fit_spiral"},
       "the key's network without its ReLUs: an affine classifier", hint="fit_spiral_affine"),
    # -- 03_activations_and_optimizers
    _s("tanh_forgets_2x", NB3, "return 2 * sigmoid(2 * x) - 1", "return 2 * sigmoid(x) - 1", {"check_activations"},
       "2σ(x) − 1, which is tanh(x / 2)", hint="tanh_missing_double"),
    _s("collapse_linear_last_bias_only", NB3, """            b = layer.weight @ b
            if layer.bias is not None:
                b = b + layer.bias""", """            b = layer.bias if layer.bias is not None else layer.weight.new_zeros(layer.weight.shape[0])""",
       {"check_collapse_linear"}, "the bias of the last layer only: the earlier biases are lost",
       hint="collapse_earlier_biases_lost"),
]


def groups(samples: list[Sample]) -> list[list[Sample]]:
    """Samples packed into submissions: samples of one notebook that edit the functions of
    different grade cells share one (each check calls only its own cell's functions, so what a
    sample loses stays on its cell), when their edits apply one after the other (an edit may
    write text another one looks for); the order of `samples` is kept."""
    out: list[list[Sample]] = []
    for s in samples:
        home = next((g for g in out if g[0].notebook == s.notebook
                     and s.grade_cell not in {x.grade_cell for x in g} and _edits_apply(g + [s])), None)
        if home is None:
            out.append([s])
        else:
            home.append(s)
    return out


def _edits_apply(group: list[Sample]) -> bool:
    try:
        nb = load_key(group[0].notebook)
        for sample in group:
            for old, new in sample.edits:
                nb = apply(nb, old, new)
    except ValueError:
        return False
    return True


def group_name(group: list[Sample]) -> str:
    return "+".join(s.name for s in group)

# ------------------------------------------------------------------------------------------------
# Building submissions
# ------------------------------------------------------------------------------------------------


def load_key(stem: str) -> dict:
    return json.loads((SOURCE / f"{stem}.ipynb").read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _grade_id(cell: dict) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


def apply(nb: dict, old: str, new: str) -> dict:
    """The notebook with `old` replaced by `new`; `old` must occur exactly once in its code cells."""
    nb = copy.deepcopy(nb)
    hits = [(i, _source(c).count(old)) for i, c in enumerate(nb["cells"])
            if c.get("cell_type") == "code" and old in _source(c)]
    total = sum(n for _, n in hits)
    if total != 1:
        raise ValueError(f"the edit's old text occurs {total} times in the notebook's code cells, expected once: {old[:60]!r}")
    i = hits[0][0]
    nb["cells"][i]["source"] = _source(nb["cells"][i]).replace(old, new)
    return nb


def without_demo_cells(nb: dict) -> dict:
    """Drop the ungraded demonstration cells (no grade id, and no def, class or import at top
    level: they only print, plot or train for show). The graded functions and everything they
    use stay; the tests use this to keep the classic 2 x 1000-epoch experiment out of every sample."""
    nb = copy.deepcopy(nb)
    keep = []
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and _grade_id(cell) is None:
            try:
                tree = ast.parse(_source(cell))
            except SyntaxError:
                keep.append(cell)
                continue
            if not any(isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)) for n in tree.body):
                continue
        keep.append(cell)
    nb["cells"] = keep
    return nb


SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)", re.M | re.S)


def unanswered(nb: dict) -> dict:
    """What the release gives students: every solution region replaced by nbgrader's stub."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        src = _source(cell)
        if cell.get("cell_type") == "code":
            cell["source"] = SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()\n", src)
        elif (cell.get("metadata", {}).get("nbgrader") or {}).get("solution"):
            cell["source"] = "YOUR ANSWER HERE"
        cell["outputs"] = [] if cell.get("cell_type") == "code" else cell.get("outputs")
        if cell.get("cell_type") != "code":
            cell.pop("outputs", None)
    return nb


def write(nb: dict, folder: Path, stem: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.ipynb"
    path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# Neutral edits under every sample of a notebook, to keep the suite fast: the key's fit_spiral
# trains 1000 epochs (held-out 0.998-0.999, 2-4 s a fit here), and the checks train it three
# times per submission. 100 epochs give 0.985, 0.985 and 0.990 on the three held-out spirals of
# the checks' training seeds (200: 0.997 each; measured with the key's own code, one thread),
# well above full marks' 0.95 bar, and training is deterministic (fixed start, full batch).
FAST_BASE: dict[str, list[tuple[str, str]]] = {
    NB2: [("hidden, epochs = 64, 1000", "hidden, epochs = 64, 100")],
}


def build(sample: Sample, folder: Path, fast: bool = True) -> Path:
    """A submission folder holding the one notebook the sample touches. `fast`: without the
    demonstration cells and with the neutral FAST_BASE edits under the sample's own."""
    return build_group([sample], folder, fast)


def build_group(group: list[Sample], folder: Path, fast: bool = True) -> Path:
    """One submission with the edits of every sample of `group` (all of one notebook)."""
    stem = group[0].notebook
    assert all(s.notebook == stem for s in group), "a group holds samples of one notebook"
    nb = load_key(stem)
    if fast:
        for old, new in FAST_BASE.get(stem, []):
            nb = apply(nb, old, new)
    for sample in group:
        for old, new in sample.edits:
            nb = apply(nb, old, new)
    write(without_demo_cells(nb) if fast else nb, folder, stem)
    return folder


def build_key(folder: Path, stems=STEMS, fast: bool = False) -> Path:
    for stem in stems:
        nb = load_key(stem)
        write(without_demo_cells(nb) if fast else nb, folder, stem)
    return folder


def build_unanswered(folder: Path, stems=STEMS) -> Path:
    """The student release: release/pytorch_basics when it is committed, else made here."""
    for stem in stems:
        released = RELEASE / f"{stem}.ipynb"
        if released.is_file():
            write(json.loads(released.read_text(encoding="utf-8")), folder, stem)
        else:
            write(unanswered(load_key(stem)), folder, stem)
    return folder


# ------------------------------------------------------------------------------------------------
# Grading (also in a child process: a hostile submission must not take the test run down with it)
# ------------------------------------------------------------------------------------------------


def grade_folder(folder: str, device: str = "cpu", limits: dict | None = None, out: str | None = None) -> dict:
    """Grade a submission folder with the real pipeline; returns SubmissionResult.to_dict() plus
    the wall time and the growth of peak memory, and writes the results files into `out` when given."""
    import resource
    import time

    from autograder.course import AssignmentPaths
    from autograder.grading import GradeRequest, grade_submission
    from autograder.sandbox import Limits

    t0 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    request = GradeRequest(submission=Path(folder), device=device, limits=Limits(**(limits or {})))
    extra = [Path(out)] if out else []
    result = grade_submission(request, AssignmentPaths(ROOT, "pytorch_basics"), extra_hidden=extra)
    if out:
        from autograder.reporters import write_results

        write_results(result, Path(out))
    d = result.to_dict()
    d["wall_s"] = round(time.perf_counter() - t0, 2)
    # how far this grading raised the process's peak memory (imports included on a first call)
    d["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
    return d

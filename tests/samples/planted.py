"""Sample submissions built from the answer key by small textual edits.

The key is the instructor notebook itself (`source/pytorch_basics/*.ipynb`, solutions kept): the
grader runs every code cell but the public check cells, so the key needs no release step. Each
`Sample` replaces one exact piece of a solution (it must occur exactly once among the notebook's
code cells) and says which grade cells must lose points: a planted mistake loses the points of
the function it breaks and only those; an alternative correct implementation loses nothing.

`build_*` write a submission folder holding only the notebook a sample touches, which is what
the tests grade (the other notebooks' checks then fail with "not found" and are not compared).
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

    @property
    def alternative(self) -> bool:
        return not self.loses


def _s(name, stem, old, new, loses=(), why="", gpu_only=False) -> Sample:
    return Sample(name, stem, old, new, frozenset(loses), why, gpu_only)


NB1, NB2, NB3 = STEMS

# ------------------------------------------------------------------------------------------------
# Planted mistakes: each loses the points of one grade cell and nothing else.
# ------------------------------------------------------------------------------------------------

PLANTED: list[Sample] = [
    # -- 01_tensor_ops
    _s("basic_vector_float", NB1, '"vector": torch.tensor([1, 2, 3, 4, 5, 6]),',
       '"vector": torch.tensor([1.0, 2, 3, 4, 5, 6]),', {"check_make_basic_tensors"},
       "vector built from float literals (float32, not int64)"),
    _s("like_tensors_loses_dtype", NB1, "ones = x.new_ones(5, 3)", "ones = torch.ones(5, 3, device=x.device)",
       {"check_like_tensors"}, "torch.ones instead of x.new_ones: float32 whatever x's dtype"),
    _s("describe_list_size", NB1, "return m.size(), m.numel(), m.dim()", "return list(m.size()), m.numel(), m.dim()",
       {"check_describe"}, "the size as a list, not a torch.Size"),
    _s("pick_row_and_column_swapped", NB1, "return m[0, 2], m[:, 1], m[1, :]", "return m[0, 2], m[1, :], m[:, 1]",
       {"check_pick"}, "row 1 returned as the column and the other way round"),
    _s("products_star_for_matmul", NB1, "return m @ v, m * v", "return m * v, m * v", {"check_products"},
       "m * v (element-wise) where m @ v (matrix-vector) is asked"),
    _s("transposes_same_tensor", NB1, "return m.t(), m.transpose(0, 1), m.permute(1, 0)",
       "return m, m.transpose(0, 1), m.permute(1, 0)", {"check_transposes"}, "the first 'transpose' is m itself"),
    _s("swap_last_two_only_2d", NB1, "return x.transpose(-2, -1)", "return x.t()", {"check_swap_last_two"},
       ".t() works for 2-D tensors only"),
    _s("concat_wrong_dim", NB1, "torch.cat([a, b], dim=0), torch.cat([a, b], dim=1)",
       "torch.cat([a, b], dim=0), torch.cat([a, b], dim=0)", {"check_concat"}, "both joins along dim 0"),
    _s("literal_dtypes_swapped", NB1, "return torch.int64, torch.get_default_dtype()",
       "return torch.get_default_dtype(), torch.int64", {"check_literal_dtypes"}, "the two dtypes swapped"),
    _s("histogram_fixed_range", NB1, "counts = torch.histc(samples, bins=bins, min=lo, max=hi)",
       "counts = torch.histc(samples, bins=bins, min=-4.0, max=4.0)", {"check_randn_histogram"},
       "bins over a fixed range [-4, 4] instead of the samples' minimum to maximum"),
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
    _s("spiral_wrong_angle", NB2, "torch.linspace(2 * math.pi * c / C, 2 * math.pi * (c + 2) / C, N)",
       "torch.linspace(2 * math.pi * c / C, 2 * math.pi * (c + 1) / C, N)", {"check_make_spiral"},
       "each arm turns through 2π/C instead of 4π/C"),
    _s("relu_model_without_relu", NB2, "return nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))",
       "return nn.Sequential(nn.Linear(D, H), nn.Linear(H, C))", {"check_build_relu_model"}, "the ReLU forgotten"),
    _s("train_without_zero_grad", NB2,
       "    for _ in range(epochs):\n        optimizer.zero_grad()\n        loss = loss_fn(model(X), Y)\n        loss.backward()\n        optimizer.step()\n        losses.append",
       "    for _ in range(epochs):\n        loss = loss_fn(model(X), Y)\n        loss.backward()\n        optimizer.step()\n        losses.append",
       {"check_train"}, "gradients never zeroed: they pile up from epoch to epoch"),
    _s("make_optimizer_ignores_weight_decay", NB2,
       "torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)",
       "torch.optim.Adam(model.parameters(), lr=lr)", {"check_make_optimizer"}, "Adam without the weight decay"),
    _s("accuracy_returns_count", NB2, "return (logits.argmax(dim=1) == Y).float().mean().item()",
       "return (logits.argmax(dim=1) == Y).float().sum().item()", {"check_accuracy"},
       "the number of right rows, not the fraction"),
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
       {"check_plot_decision_boundary"}, "the decision regions without the data points"),
    # -- 03_activations_and_optimizers
    _s("sigmoid_overflows", NB3, """    z = torch.exp(-x.abs())                      # in (0, 1]: never overflows
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))""",
       "    return torch.exp(x) / (1 + torch.exp(x))", {"check_activations"},
       "exp(x) / (1 + exp(x)): inf / inf = nan for large x"),
    _s("leaky_relu_wrong_default", NB3, "def leaky_relu(x, slope=0.01):", "def leaky_relu(x, slope=0.1):",
       {"check_activations"}, "default slope 0.1 instead of 0.01"),
    _s("collapse_linear_two_layers_only", NB3, "for layer in layers[1:]:", "for layer in layers[1:2]:",
       {"check_collapse_linear"}, "folds in the second layer only: right for depth 2, wrong deeper"),
    _s("gradient_norms_last_first", NB3,
       "return [m.weight.grad.norm().item() for m in model if isinstance(m, nn.Linear)]",
       "return [m.weight.grad.norm().item() for m in model if isinstance(m, nn.Linear)][::-1]",
       {"check_gradient_norms"}, "the norms listed from the last layer to the first"),
    _s("sgd_step_ignores_weight_decay", NB3,
       "g = grad.add(param, alpha=weight_decay) if weight_decay != 0 else grad", "g = grad",
       {"check_sgd_step"}, "weight decay ignored"),
    _s("adam_without_bias_correction", NB3,
       "bias_correction1 = 1 - beta1 ** step\n        bias_correction2 = 1 - beta2 ** step",
       "bias_correction1 = 1.0\n        bias_correction2 = 1.0", {"check_adam_step"},
       "no bias correction of the moments"),
    _s("adam_state_not_kept", NB3, '    state["exp_avg"] = exp_avg\n    state["exp_avg_sq"] = exp_avg_sq\n', "",
       {"check_adam_step"}, "the moments are computed but never stored back in state"),
]

# Only visible when grading on a GPU (on the CPU the mistaken code does the right thing).
GPU_PLANTED: list[Sample] = [
    _s("spiral_ignores_device", NB2, "return X.to(device), Y.to(device)", "return X, Y", {"check_make_spiral"},
       "the spiral always stays on the CPU", gpu_only=True),
    _s("plot_moves_model_to_cpu", NB2, "    with torch.no_grad():\n        logits = model(grid)",
       "    model.cpu()\n    with torch.no_grad():\n        logits = model(grid.cpu())",
       {"check_plot_decision_boundary"}, "moves the model to the CPU to draw it", gpu_only=True),
    _s("collapse_linear_on_cpu", NB3, "W.shape[1], W.shape[0], device=W.device, dtype=W.dtype",
       'W.shape[1], W.shape[0], device="cpu", dtype=W.dtype', {"check_collapse_linear"},
       "the collapsed layer is built on the CPU whatever the model's device", gpu_only=True),
]

# ------------------------------------------------------------------------------------------------
# Alternative correct implementations: lose nothing.
# ------------------------------------------------------------------------------------------------

ALTERNATIVES: list[Sample] = [
    _s("alt_products_matmul", NB1, "return m @ v, m * v", "return torch.matmul(m, v), torch.mul(m, v)",
       why="torch.matmul / torch.mul instead of the operators"),
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
""", why="no loop at all: the angles of every class by broadcasting, the noise in one draw"),
    _s("alt_relu_module_subclass", NB2, "    return nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))", """    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(D, H)
            self.act = nn.ReLU()
            self.out = nn.Linear(H, C)

        def forward(self, x):
            return self.out(self.act(self.hidden(x)))

    return TwoLayer()""", why="an nn.Module subclass instead of nn.Sequential"),
    _s("alt_collapse_reduce", NB3, """        for layer in layers[1:]:
            b = layer.weight @ b
            if layer.bias is not None:
                b = b + layer.bias
            W = layer.weight @ W""", """        for layer in layers[1:]:
            b = torch.einsum("ij,j->i", layer.weight, b) + (layer.bias if layer.bias is not None else 0)
            W = torch.einsum("ij,jk->ik", layer.weight, W)""", why="einsum instead of @"),
    _s("alt_sigmoid_logaddexp", NB3, """    z = torch.exp(-x.abs())                      # in (0, 1]: never overflows
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))""",
       "    return torch.exp(-torch.logaddexp(torch.zeros_like(x), -x))",
       why="1 / (1 + e^-x) = exp(-log(1 + e^-x)), stable through logaddexp"),
    _s("alt_adam_in_place_state", NB3, """        exp_avg = state["exp_avg"].lerp(grad, 1 - beta1)             # beta1 * m + (1 - beta1) * g
        exp_avg_sq = state["exp_avg_sq"].mul(beta2).addcmul(grad, grad, value=1 - beta2)""",
       """        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)             # updated in place, inside state
        exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)""",
       why="the moments updated in place in the tensors state holds"),
]

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
# trains 1000 epochs (held-out 0.998-0.999, 2-4 s a fit here); 200 epochs still give 0.997
# (measured on the public and hidden seeds), and the checks train it four times per submission.
FAST_BASE: dict[str, list[tuple[str, str]]] = {
    NB2: [("hidden, epochs = 64, 1000", "hidden, epochs = 64, 200")],
}


def build(sample: Sample, folder: Path, fast: bool = True) -> Path:
    """A submission folder holding the one notebook the sample touches. `fast`: without the
    demonstration cells and with the neutral FAST_BASE edits under the sample's own."""
    nb = load_key(sample.notebook)
    if fast:
        for old, new in FAST_BASE.get(sample.notebook, []):
            nb = apply(nb, old, new)
    nb = apply(nb, sample.old, sample.new)
    write(without_demo_cells(nb) if fast else nb, folder, sample.notebook)
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

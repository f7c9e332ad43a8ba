"""Example submissions of pytorch_basics for the demo, built from the answer key and the release.

Each example is the answer key (or the unanswered release) with a short, declarative list of
edits: a graded function's whole solution cell replaced by a student's version, an answer
replaced, a notebook left out, renamed or stripped of its nbgrader metadata, or a file that is
not a notebook at all. Edits name cells by their nbgrader grade_id and replace whole cells, so
they keep working while the notebooks' prose and solutions change; an edit whose cell is gone
is an error that names it (tests/test_demo.py builds every example).

    build_class(paths.solutions, paths.release, out_dir)  ->  out_dir/<example>/<files>.ipynb

Each example also says when it was handed in (`submitted`: hours after the demo's deadline,
written as nbgrader's timestamp.txt; None: no time recorded), and the class has an extensions
CSV (`EXTENSIONS`), so that the summary shows late students with their penalties. One example
(`copied`) is another's code with the variables renamed and comments added: the similarity
section ranks that pair first.
"""
from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

from autograder.demo_submissions.copied import (COPIED_ACCURACY, COPIED_ACTIVATIONS, COPIED_FIT_SPIRAL,
                                                COPIED_MAKE_OPTIMIZER, COPIED_TRAIN)

DUE = "2025-10-20T23:59:00+08:00"  # the demo class's deadline ([deadline] due of its course copy)
EXTENSIONS = "student,days,reason\nonly_two,3,a documented illness\n"  # the demo class's extensions CSV

NB1, NB2, NB3 = "01_tensor_ops", "02_spiral_classification", "03_activations_and_optimizers"


class ExampleError(Exception):
    """An edit no longer fits the notebooks (its cell is gone): update the example."""


@dataclass(frozen=True)
class Edit:
    notebook: str  # notebook stem
    cell: str  # grade_id of the cell to change
    source: str  # its new whole source


@dataclass(frozen=True)
class Example:
    name: str  # the student id in the demo
    what: str  # what it shows, one line
    base: str = "solutions"  # "solutions" (the answer key) or "release" (unanswered stubs)
    edits: tuple[Edit, ...] = ()
    leave_out: tuple[str, ...] = ()  # notebook stems not submitted
    prepend: tuple[tuple[str, str], ...] = ()  # (notebook stem, code of a new first code cell;
    #                                             "{course_root}" is replaced by the course folder)
    strip_metadata: tuple[str, ...] = ()  # notebooks whose nbgrader metadata is removed
    rename: tuple[tuple[str, str], ...] = ()  # (notebook stem, file name it is submitted as)
    files: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (file name, text) written as is
    submitted: float | None = -2.0  # hours after DUE it was handed in (nbgrader's timestamp.txt); None: unknown


# -- the students' code ---------------------------------------------------------------------------

PRODUCTS_NO_PROMOTION = '''\
def products(m, v):
    """Return (m @ v, m * v)."""
    return m @ v, m * v
'''

FIT_SPIRAL_SMALL = '''\
def fit_spiral(X, Y, device):
    """A small ReLU network, trained briefly."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 24), nn.ReLU(), nn.Linear(24, 3)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(150):
        optimizer.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
    return model
'''

FIT_SPIRAL_LINEAR = '''\
def fit_spiral(X, Y, device):
    """The linear model with SGD: it cannot separate spirals."""
    model = build_linear_model(2, 100, 3).to(device)
    optimizer = make_optimizer(model, "sgd", lr=1e-1)
    train(model, X, Y, optimizer, 200)
    return model
'''

TRAIN_NO_ZERO_GRAD = '''\
def train(model, X, Y, optimizer, epochs):
    """Forgets optimizer.zero_grad(): the gradients pile up from epoch to epoch."""
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
'''

ACCURACY_TENSOR = '''\
def accuracy(logits, Y):
    """Returns a tensor instead of a Python float, and counts wrong rows."""
    return (logits.argmax(dim=1) != Y).float().mean()
'''

MAKE_OPTIMIZER_NO_ERROR = '''\
def make_optimizer(model, name, lr=1e-3, weight_decay=1e-5):
    """Anything that is not "sgd" silently becomes Adam, and weight decay is dropped."""
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr)
    return torch.optim.Adam(model.parameters(), lr=lr)
'''

TANH_FORGETS_2X = '''\
def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def tanh_via_sigmoid(x):
    return 2 * sigmoid(x) - 1  # should be sigmoid(2 * x)


def relu(x):
    return x * (x > 0)


def leaky_relu(x, slope=0.01):
    return torch.where(x > 0, x, slope * x)


def sigmoid_grad(x):
    return sigmoid(x) * (1 - sigmoid(x))
'''

PICK_SYNTAX_ERROR = '''\
def pick(m):
    """Return (m[0, 2], column 1 of m, row 1 of m) for a 2-D tensor m."""
    return m[0, 2], m[:, 1], m[1, :]]
'''

CONCAT_WRONG_DIM = '''\
def concat(a, b):
    return torch.cat([a, b], dim=0), torch.cat([a, b], dim=0)
'''

SWAP_ONLY_3D = '''\
def swap_last_two(x):
    return x.permute(0, 2, 1)
'''

# A hostile student: reads what it should not, phones home, and fights the grader.
HOSTILE_FIRST_CELL = '''\
import os, socket
for path in ["{course_root}/source/pytorch_basics/grading/assignment.toml",
             "../../source/pytorch_basics/grading/assignment.toml",
             os.path.expanduser("~/.ssh/id_rsa"), "/etc/shadow"]:
    try:
        print("read", path, open(path).read()[:100])
    except Exception as e:
        print("no access to", path, type(e).__name__)
try:
    socket.create_connection(("pypi.org", 443), timeout=3)
    print("network: reached pypi.org")
except Exception as e:
    print("network: blocked", type(e).__name__)
'''

DESCRIBE_ALWAYS_EQUAL = '''\
class Anything:
    """Equal to everything: fools an `==` done in the student's own process."""
    def __eq__(self, other):
        return True
    def __hash__(self):
        return 0


def describe(m):
    return Anything(), Anything(), Anything()
'''

PICK_EXITS = '''\
def pick(m):
    import os
    os._exit(0)  # kill the process that calls it
'''

LITERAL_DTYPES_FILLS_DISK = '''\
def literal_dtypes():
    with open("big.bin", "wb") as f:  # try to fill the disk
        for _ in range(1024):
            f.write(b"\\0" * 2**20)
    return torch.int64, torch.float32
'''

ZH_ANSWERS = {
    "q1_alexnet": "AlexNet 的特点：网络更深更宽，有 5 个卷积层和 3 个全连接层，约 6000 万参数；使用 ReLU 激活函数代替 sigmoid，"
                  "缓解了梯度消失，训练更快；在全连接层使用 Dropout 防止过拟合；使用数据增强（随机裁剪、翻转）扩充数据；用 GPU "
                  "并行训练。它比 LeNet 表现好，是因为模型容量更大，又有 ImageNet 这样的大规模数据和 GPU 算力支撑。",
    "q2_activation_functions": "激活函数给神经网络加入非线性因素，使网络能够解决线性模型解决不了的问题，比如异或问题。",
    "q3_vanishing_gradient": "梯度消失就是梯度越来越小，接近于0，前面的层训练很慢。",
    "q4_wide_vs_deep": "我认为更深的网络更好，因为现在的大模型都很深。",
    "q5_softmax": "softmax 把输出归一化，使得和为1，可以看作概率。",
    "q6_sgd_vs_adam": "Adam 的学习率是自适应的，每个参数有自己的学习率，所以通常比 SGD 收敛快。",
}

SHORT_ANSWERS_TYPICAL = {
    "q3_vanishing_gradient": "Gradients get very small in the early layers so they learn slowly.",
    "q4_wide_vs_deep": "Deeper is better because deep networks are more powerful.",
}


def _answer_edits(answers: dict[str, str]) -> tuple[Edit, ...]:
    return tuple(Edit(NB3, gid, text) for gid, text in answers.items())


EXAMPLES: tuple[Example, ...] = (
    Example("complete", "the answer key as submitted: full marks"),
    Example("typical", "mostly right: no dtype promotion in products (its hint), a small under-trained fit_spiral "
                       "(partial credit), two short answers too thin; 3 h late: -10%",
            edits=(Edit(NB1, "sol_products", PRODUCTS_NO_PROMOTION), Edit(NB2, "sol_fit_spiral", FIT_SPIRAL_SMALL),
                   *_answer_edits(SHORT_ANSWERS_TYPICAL)), submitted=3.0),
    Example("buggy", "classic mistakes, each with its hint: train forgets zero_grad, make_optimizer drops the "
                     "weight decay and accepts any name, tanh from sigmoid(x) instead of sigmoid(2x), fit_spiral with "
                     "the linear model; accuracy returns a tensor; 1.5 days late: -20%",
            edits=(Edit(NB2, "sol_train", TRAIN_NO_ZERO_GRAD), Edit(NB2, "sol_accuracy", ACCURACY_TENSOR),
                   Edit(NB2, "sol_make_optimizer", MAKE_OPTIMIZER_NO_ERROR),
                   Edit(NB2, "sol_fit_spiral", FIT_SPIRAL_LINEAR), Edit(NB3, "sol_activations", TANH_FORGETS_2X)),
            submitted=36.0),
    Example("copied", "buggy's code with its variables renamed and comments added, on time: the same hints, and the "
                      "similarity section ranks the pair first",
            edits=(Edit(NB2, "sol_train", COPIED_TRAIN), Edit(NB2, "sol_accuracy", COPIED_ACCURACY),
                   Edit(NB2, "sol_make_optimizer", COPIED_MAKE_OPTIMIZER),
                   Edit(NB2, "sol_fit_spiral", COPIED_FIT_SPIRAL), Edit(NB3, "sol_activations", COPIED_ACTIVATIONS)),
            submitted=-30.0),
    Example("only_two", "handed in notebooks 1 and 3 only (concat along the wrong dim: its hint); short answers in "
                        "Chinese, some thin; 40 h late with a 3-day extension: on time",
            leave_out=(NB2,), edits=(Edit(NB1, "sol_concat", CONCAT_WRONG_DIM), *_answer_edits(ZH_ANSWERS)),
            submitted=40.0),
    Example("syntax_error", "notebook 1 only, with a syntax error in one cell and a wrong swap_last_two: the other "
                            "cells still run; no submission time recorded: no penalty, and that is said",
            leave_out=(NB2, NB3),
            edits=(Edit(NB1, "sol_pick", PICK_SYNTAX_ERROR), Edit(NB1, "sol_swap_last_two", SWAP_ONLY_3D)),
            submitted=None),
    Example("hostile", "reads course files, opens the network, returns an always-equal object, kills its process, "
                       "fills the disk: it loses those points and nothing else happens; 10 days late: 0 points",
            leave_out=(NB2,), prepend=((NB1, HOSTILE_FIRST_CELL),),
            edits=(Edit(NB1, "sol_describe", DESCRIBE_ALWAYS_EQUAL), Edit(NB1, "sol_pick", PICK_EXITS),
                   Edit(NB1, "sol_literal_dtypes", LITERAL_DTYPES_FILLS_DISK)), submitted=240.0),
    Example("renamed", "notebook 1 saved as 'HW1 (1).ipynb' with its nbgrader metadata lost: recognised by its "
                       "function names; 6 minutes late, within the grace period", leave_out=(NB2, NB3),
            strip_metadata=(NB1,), rename=((NB1, "HW1 (1).ipynb"),), submitted=0.1),
    Example("unanswered", "the release as handed out, nothing answered", base="release"),
    Example("not_a_notebook", "a file named like a notebook that is not one: ungradable, with the reason",
            base="none", files=(("01_tensor_ops.ipynb", "I could not upload my notebook, sorry!\n"),)),
    Example("wrong_files", "a folder with no notebook at all: ungradable, with the reason",
            base="none", files=(("answers.txt", "see attached\n"),)),
)


def examples(only: Iterable[str] | None = None) -> list[Example]:
    if only is None:
        return list(EXAMPLES)
    by_name = {e.name: e for e in EXAMPLES}
    missing = [n for n in only if n not in by_name]
    if missing:
        raise ExampleError(f"no example {missing}; known: {', '.join(by_name)}")
    return [by_name[n] for n in only]


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if isinstance(meta, dict) else None


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _apply(nb: dict, ex: Example, stem: str, course_root: str) -> dict:
    nb = copy.deepcopy(nb)
    for edit in (e for e in ex.edits if e.notebook == stem):
        cells = [c for c in nb["cells"] if _grade_id(c) == edit.cell]
        if not cells:
            raise ExampleError(f"example {ex.name!r}: {stem} has no cell {edit.cell!r} any more; update the edit")
        cells[0]["source"] = _lines(edit.source)
        if cells[0].get("cell_type") == "code":
            cells[0]["outputs"], cells[0]["execution_count"] = [], None
    for nb_stem, code in ex.prepend:
        if nb_stem == stem:
            first = next(i for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code")
            nb["cells"].insert(first, {"cell_type": "code", "execution_count": None, "id": "student-extra",
                                       "metadata": {}, "outputs": [],
                                       "source": _lines(code.replace("{course_root}", course_root))})
    if stem in ex.strip_metadata:
        for c in nb["cells"]:
            c.get("metadata", {}).pop("nbgrader", None)
    return nb


def build_example(ex: Example, solutions: Path, release: Path, out: Path) -> Path:
    """Write one example submission into `out` (a folder of notebooks); returns it.
    `solutions` is <course>/solutions/<assignment>."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, text in ex.files:
        (out / name).write_text(text, encoding="utf-8")
    if ex.submitted is not None:  # when it was handed in, as nbgrader records it (UTC)
        at = datetime.fromisoformat(DUE) + timedelta(hours=ex.submitted)
        (out / "timestamp.txt").write_text(at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z") + "\n")
    if ex.base == "none":
        return out
    base = {"solutions": solutions, "release": release}[ex.base]
    renames = dict(ex.rename)
    for stem in (NB1, NB2, NB3):
        if stem in ex.leave_out:
            continue
        src = base / f"{stem}.ipynb"
        if not src.exists():
            raise ExampleError(f"{src} is missing: generate the release first (autograder release)")
        nb = _apply(json.loads(src.read_text(encoding="utf-8")), ex, stem, str(Path(solutions).resolve().parent.parent))
        (out / renames.get(stem, f"{stem}.ipynb")).write_text(
            json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def build_class(solutions: Path, release: Path, out: Path, only: Iterable[str] | None = None) -> Path:
    """Every example (or those named in `only`) as `out/<name>/`, the folders layout of grade-all."""
    out.mkdir(parents=True, exist_ok=True)
    for ex in examples(only):
        build_example(ex, solutions, release, out / ex.name)
    return out


__all__ = ["DUE", "EXTENSIONS", "Edit", "Example", "EXAMPLES", "ExampleError", "build_class", "build_example",
           "examples"]

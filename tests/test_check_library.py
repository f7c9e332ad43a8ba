"""The check library (autograder.checks) on its own, without a worker: how a function is written
(source rules), whether samples are really standard-normal, what a figure's filled regions show,
and the declarative call -> validate -> compare layer (with an in-process stand-in for a worker).
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from autograder.checks import (  # noqa: E402
    CallRule, Number, NotebookSource, Tensor, Tuple, forbidden_calls, judge, ks_bar, ks_normal,
    lag1_autocorrelation, autocorrelation_bar, region_agreement, shows_points,
)
from autograder.checks.source import Cell  # noqa: E402
from autograder.sandbox import Handle  # noqa: E402
from autograder.checks import figure_summary  # noqa: E402

# -- how a function is written ----------------------------------------------------------------

RULE = CallRule(names=frozenset({"sigmoid", "tanh", "relu", "leaky_relu", "expit", "softmax", "Sigmoid", "ReLU"}),
                modules=frozenset({"torch", "torch.nn", "torch.autograd", "math", "numpy"}),
                why="written from tensor arithmetic")
GRADED = ("sigmoid", "tanh_via_sigmoid", "relu", "leaky_relu", "sigmoid_grad")
KEY = '''
import torch

def sigmoid(x):
    """Element-wise logistic sigmoid"""
    z = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))

def tanh_via_sigmoid(x):
    return 2 * sigmoid(2 * x) - 1

def relu(x):
    return torch.where(x > 0, x, torch.zeros_like(x))

def leaky_relu(x, slope=0.01):
    return torch.where(x > 0, x, slope * x)

def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)
'''
SIG = "z = torch.exp(-x.abs())"
RELU = "return torch.where(x > 0, x, torch.zeros_like(x))"


def _findings(*cells: str):
    source = NotebookSource("03", tuple(Cell(i + 1, textwrap.dedent(c)) for i, c in enumerate(cells)))
    return forbidden_calls(source, GRADED, RULE)


# (name, cells, function that must be refused, kind of finding)
REFUSED = [
    ("direct", [KEY.replace(SIG, "return torch.sigmoid(x)")], "sigmoid", "forbidden"),
    ("alias at top level", ["s = torch.sigmoid\n", KEY.replace(SIG, "return s(x)")], "sigmoid", "forbidden"),
    ("from import as", ["from torch import sigmoid as s\n", KEY.replace(SIG, "return s(x)")], "sigmoid", "forbidden"),
    ("functional as F", ["import torch.nn.functional as F\n", KEY.replace(RELU, "return F.relu(x)")], "relu", "forbidden"),
    ("functional, another name", ["import torch.nn.functional as F\n", KEY.replace(RELU, "return F.threshold(x, 0, 0)")],
     "relu", "module"),
    ("method", [KEY.replace(RELU, "return x.relu()")], "relu", "forbidden"),
    ("special.expit", [KEY.replace(SIG, "return torch.special.expit(x)")], "sigmoid", "forbidden"),
    ("module class", [KEY.replace(SIG, "return torch.nn.Sigmoid()(x)")], "sigmoid", "forbidden"),
    ("nn.modules", ["from torch import nn\n", KEY.replace(SIG, "return nn.modules.activation.Hardsigmoid()(x)")],
     "sigmoid", "module"),
    ("torch._C", [KEY.replace(SIG, "return torch._C._nn.log_sigmoid(x).exp()")], "sigmoid", "module"),
    ("torch.ops.aten", [KEY.replace(SIG, "return torch.ops.aten.sigmoid.default(x)")], "sigmoid", "forbidden"),
    ("Tensor.sigmoid", [KEY.replace(SIG, "return torch.Tensor.sigmoid(x)")], "sigmoid", "forbidden"),
    ("helper", ["def h(x):\n    return torch.tanh(x)\n", KEY.replace("return 2 * sigmoid(2 * x) - 1", "return h(x)")],
     "tanh_via_sigmoid", "forbidden"),
    ("helper of a helper, local import",
     ["def h(x, s):\n    return g(x, s)\ndef g(y, s):\n    import torch.nn.functional as FF\n    return FF.leaky_relu(y, s)\n",
      KEY.replace("return torch.where(x > 0, x, slope * x)", "return h(x, slope)")], "leaky_relu", "module"),
    ("getattr, constant name", [KEY.replace(SIG, "return getattr(torch, 'sigmoid')(x)")], "sigmoid", "forbidden"),
    ("getattr, computed name", [KEY.replace(SIG, "return getattr(torch, 'sig' + 'moid')(x)")], "sigmoid", "dynamic"),
    ("eval", [KEY.replace(SIG, "return eval('torch.sig' + 'moid')(x)")], "sigmoid", "dynamic"),
    ("__import__", [KEY.replace(SIG, "return __import__('tor' + 'ch').exp(x) / 1")], "sigmoid", "dynamic"),
    ("importlib", [KEY.replace(SIG, "import importlib\n    return importlib.import_module('torch').exp(-x)")],
     "sigmoid", "dynamic"),
    ("globals()", [KEY.replace(SIG, "return globals()['tor' + 'ch'].exp(-x)")], "sigmoid", "dynamic"),
    ("__dict__", [KEY.replace(SIG, "return torch.__dict__['sig' + 'moid'](x)")], "sigmoid", "dynamic"),
    ("torch patched", [KEY, "torch.exp = lambda t: torch.sigmoid(-t)\n"], "sigmoid", "patched"),
    ("setattr on torch", [KEY, "setattr(torch, 'where', lambda *a: torch.sigmoid(a[1]))\n"], "relu", "patched"),
    ("exec rebinds", [KEY, "exec('sigmoid = torch.sigmoid')\n"], "sigmoid", "patched"),
    ("math.tanh", ["import math\n", KEY.replace("return 2 * sigmoid(2 * x) - 1", "return torch.tensor(math.tanh(x))")],
     "tanh_via_sigmoid", "forbidden"),
    ("another library", ["from scipy import special as sp\n", KEY.replace(SIG, "return torch.from_numpy(sp.ndtr(x.numpy()))")],
     "sigmoid", "module"),
    ("default argument", [KEY.replace("def sigmoid(x):", "def sigmoid(x, f=torch.sigmoid):").replace(SIG, "return f(x)")],
     "sigmoid", "forbidden"),
    ("lambda at top level", [KEY.replace("def relu(x):\n    " + RELU, "relu = lambda x: torch.relu(x)")], "relu", "forbidden"),
    ("class helper", ["class A(torch.nn.ReLU):\n    pass\n", KEY.replace(RELU, "return A()(x)")], "relu", "forbidden"),
    ("star import", ["from torch.nn.functional import *\n", KEY.replace(RELU, "return hardtanh(x, 0, 1e9)")],
     "relu", "forbidden"),
    ("star import, another name", ["from torch.nn.functional import *\n",
                                   KEY.replace("def relu(x):\n    " + RELU, "def my_relu(x):\n    " + RELU)
                                   + "\ndef relu(x):\n    return hardtanh(x, 0, 1e9)\n"], "relu", "forbidden"),
    ("softmax of [0, x]", [KEY.replace(SIG, "return torch.softmax(torch.stack([torch.zeros_like(x), x]), 0)[1]")],
     "sigmoid", "forbidden"),
    ("a star import after the def", [KEY, "from torch.nn.functional import *\n"], "relu", "forbidden"),
    ("global rebinding in a function", [KEY, "def setup():\n    global relu\n    relu = torch.relu\nsetup()\n"],
     "relu", "forbidden"),
    ("the name as a string", ["import operator\n", KEY.replace(SIG, "return operator.methodcaller('sigmoid')(x)")],
     "sigmoid", "module"),
    ("not defined by def", ["import torch\n", "exec(open('a.py').read())\n"], "sigmoid", "undefined"),
]


@pytest.mark.parametrize("name, cells, function, kind", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_forbidden_or_unverifiable_call_is_found(name, cells, function, kind):
    found = [f for f in _findings(*cells) if f.function == function]
    assert found, f"{name}: nothing found"
    assert found[0].kind == kind, found[0].message(RULE)
    message = found[0].message(RULE)
    assert function in message and "written from tensor arithmetic" in message or kind in ("patched", "undefined")
    assert "cell" in message or kind == "undefined"


ACCEPTED = [
    ("the answer key", [KEY]),
    ("relu by clamp", [KEY.replace(RELU, "return x.clamp(min=0)")]),
    ("relu by a mask", [KEY.replace(RELU, "return x * (x > 0)")]),
    ("relu by maximum", [KEY.replace(RELU, "return torch.maximum(x, torch.zeros_like(x))")]),
    ("sigmoid by logaddexp", [KEY.replace(SIG, "return torch.exp(-torch.logaddexp(torch.zeros_like(x), -x))")]),
    ("magics and shell lines", ["%matplotlib inline\n!pip list\nimport torch\n", KEY]),
    ("settings of other modules", ["import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4, 3)\n"
                                   "torch.backends.cudnn.deterministic = True\n", KEY]),
    ("a helper of the student's own", ["def _stable_exp_neg_abs(x):\n    return torch.exp(-x.abs())\n",
                                       KEY.replace(SIG, "z = _stable_exp_neg_abs(x)")]),
    ("docstrings naming the function", [KEY.replace('"""Element-wise logistic sigmoid"""', '"""sigmoid"""')]),
    ("torch.sigmoid used elsewhere in the notebook", [KEY, "print(torch.sigmoid(torch.zeros(1)))\n"]),
    ("a star import of names the functions do not use", ["from math import *\n", KEY]),
]


@pytest.mark.parametrize("name, cells", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_arithmetic_implementations_are_accepted(name, cells):
    assert [f.message(RULE) for f in _findings(*cells)] == []


def test_each_function_answers_for_its_own_code():
    found = _findings(KEY.replace(SIG, "return torch.sigmoid(x)"))
    assert {f.function for f in found} == {"sigmoid"}  # tanh_via_sigmoid and sigmoid_grad call it: not theirs


# -- standard-normal samples --------------------------------------------------------------------


def test_normal_samples_pass_and_mean_and_std_alone_do_not():
    for seed in range(5):
        x = torch.randn(6000, generator=torch.Generator().manual_seed(seed))
        assert ks_normal(x) <= ks_bar(x.numel())
        assert abs(lag1_autocorrelation(x)) <= autocorrelation_bar(x.numel())
        uniform = (torch.rand(6000, generator=torch.Generator().manual_seed(seed)) - 0.5) * math.sqrt(12)
        assert abs(uniform.mean()) < 0.1 and abs(uniform.std() - 1) < 0.05
        assert ks_normal(uniform) > ks_bar(uniform.numel())
        assert abs(lag1_autocorrelation(x.sort().values)) > autocorrelation_bar(x.numel())


# -- what a figure's filled regions show ----------------------------------------------------------


def _figure(draw) -> Handle:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4))
    draw(ax)
    summary = figure_summary(fig)
    plt.close(fig)
    return Handle("figure", 1, summary)


def _model_classes(points: torch.Tensor) -> torch.Tensor:
    """A made-up model: class by quadrant-ish sectors."""
    return ((points[:, 0] > 0.2).long() + 2 * (points[:, 1] > -0.1).long()) % 3


def _grid(n: int = 200):
    xs = torch.linspace(-1, 1, n)
    xx, yy = torch.meshgrid(xs, xs, indexing="xy")
    return xx, yy, _model_classes(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)).reshape(n, n)


BOX = ([-1.0, -1.0], [1.0, 1.0])


@pytest.mark.parametrize("how", ["contourf", "imshow", "pcolormesh"])
def test_regions_drawn_from_the_model_agree(how):
    xx, yy, z = _grid()

    def draw(ax):
        if how == "contourf":
            ax.contourf(xx.numpy(), yy.numpy(), z.numpy(), levels=[-0.5, 0.5, 1.5, 2.5], alpha=0.35, cmap="Spectral")
        elif how == "imshow":
            ax.imshow(z.numpy(), origin="lower", extent=(-1, 1, -1, 1), aspect="auto")
        else:
            ax.pcolormesh(xx.numpy(), yy.numpy(), z.numpy(), shading="auto")
        ax.scatter(torch.rand(50).numpy(), torch.rand(50).numpy(), c="k")

    ax = _figure(draw).summary["axes"][0]
    agreement = region_agreement(ax, _model_classes, BOX)
    assert not agreement.shared_colour and agreement.mean_recall > 0.95, agreement


def test_a_constant_flipped_or_unrelated_picture_does_not_agree():
    xx, yy, z = _grid()
    constant = _figure(lambda ax: ax.imshow(torch.zeros(10, 10).numpy(), extent=(-1, 1, -1, 1)))
    assert region_agreement(constant.summary["axes"][0], _model_classes, BOX).shared_colour
    flipped = _figure(lambda ax: ax.imshow(z.numpy(), extent=(-1, 1, -1, 1), aspect="auto"))  # origin upper
    assert region_agreement(flipped.summary["axes"][0], _model_classes, BOX).mean_recall < 0.9
    other = (xx.numpy() ** 2 + yy.numpy() ** 2 > 0.4).astype(int) + (xx.numpy() > 0)
    unrelated = _figure(lambda ax: ax.contourf(xx.numpy(), yy.numpy(), other, levels=[-0.5, 0.5, 1.5, 2.5]))
    assert region_agreement(unrelated.summary["axes"][0], _model_classes, BOX).mean_recall < 0.9


def test_the_points_drawn_must_be_the_data():
    X = torch.randn(40, 2, generator=torch.Generator().manual_seed(0))
    right = _figure(lambda ax: ax.scatter(X[:, 0].numpy(), X[:, 1].numpy()))
    shuffled = _figure(lambda ax: ax.scatter(X.flip(0)[:, 0].numpy(), X.flip(0)[:, 1].numpy()))
    random = _figure(lambda ax: ax.scatter(torch.rand(40).numpy(), torch.rand(40).numpy()))
    assert shows_points(right, X) and shows_points(shuffled, X) and not shows_points(random, X)


# -- the declarative layer, with an in-process stand-in for a worker ----------------------------


@dataclass
class FakeBox:
    """put/get/call like a Sandbox, in process: enough to test what `judge` does with a reply."""

    functions: dict

    def __post_init__(self):
        self.values: dict[int, object] = {}

    def put(self, value):
        h = Handle("value", len(self.values) + 1, {})
        self.values[h.id] = value.clone() if isinstance(value, torch.Tensor) else value
        return h

    def get(self, handle):
        return self.values[handle.id]

    def call(self, name, *args, **kwargs):
        args = [self.values[a.id] if isinstance(a, Handle) else a for a in args]
        return self.functions[name](*args, **kwargs)


def test_judge_validates_compares_and_watches_inputs():
    box = FakeBox({"pick": lambda m: (m[0, 2], m[:, 1], m[1]),
                   "pick_rows_swapped": lambda m: (m[0, 2], m[1], m[:, 1]),
                   "double_in_place": lambda x: x.mul_(2),
                   "count": lambda x: float(x.sum())})
    m = torch.arange(12.0).reshape(3, 4)

    def spec(m):
        return Tuple(Tensor(m[0, 2], name="element [0, 2]"), Tensor(m[:, 1], name="column 1", wrong="not column 1"),
                     Tensor(m[1], name="row 1"))

    judge(box, "pick", m, shown="a 3x4 matrix", returns=spec(m))
    with pytest.raises(AssertionError, match=r"pick_rows_swapped\(a 3x4 matrix\), column 1: expected shape \[3\], got \[4\]"):
        judge(box, "pick_rows_swapped", m, shown="a 3x4 matrix", returns=spec(m))
    with pytest.raises(AssertionError, match=r"double_in_place\(x\): changed x in place"):
        judge(box, "double_in_place", m, shown="x", names=("x",), returns=Tensor(2 * m))
    judge(box, "double_in_place", m, shown="x", keep_inputs=False, returns=Tensor(2 * m))
    with pytest.raises(AssertionError, match=r"count\(x\): the value is not right"):
        judge(box, "count", m, shown="x", returns=Number(0.0))
    with pytest.raises(AssertionError, match=r"count\(x\): returned a float, expected a tensor"):
        judge(box, "count", m, shown="x", returns=Tensor(m))

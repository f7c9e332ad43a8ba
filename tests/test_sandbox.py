"""The sandboxed worker, end to end: real worker processes running tiny notebooks written inline.

One shared sandbox runs a well-behaved notebook (module-scoped: a worker start costs ~2 s);
hostile notebooks each get their own sandbox and must end in a clear fault while the grader
process stays unharmed.
"""
from __future__ import annotations

import os
import textwrap

import pytest
import torch

from autograder.sandbox import (
    BadReply,
    CallTimeout,
    Handle,
    Limits,
    MissingFunction,
    NotImplementedByStudent,
    Sandbox,
    StudentError,
    SubmissionFault,
    Unsupported,
    WorkerDied,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.geteuid() == 0
FAST = Limits(cell_timeout_s=3, call_timeout_s=3, submission_timeout_s=120, output_kb=4)


def cells(*sources: str) -> list[tuple[int, str]]:
    return [(i + 1, textwrap.dedent(s)) for i, s in enumerate(sources)]


GOOD = cells(
    """
    import torch
    from torch import nn
    %matplotlib inline
    !pip install nothing
    """,
    """
    def double(x):
        return x * 2

    def describe(m):
        return m.size(), m.numel(), m.dim()

    def dtypes():
        return torch.tensor(1).dtype, torch.tensor(1.0).dtype

    def nested():
        return {"a": [1, 2.5, None, True, "s"], "b": (torch.arange(3), torch.device("cpu"))}

    def param():
        return nn.Parameter(torch.ones(2))

    def view_of_big():
        return torch.zeros(1000, 1000)[0, :3]
    """,
    """
    def build(d, h, c):
        return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, c))

    def make_opt(model, lr=1e-3):
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)

    def train(model, X, Y, opt, epochs):
        losses = []
        for _ in range(epochs):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(X), Y)
            losses.append(loss.item())
            loss.backward()
            opt.step()
        return losses

    def adam_state(state):
        state["step"] = state.get("step", 0) + 1
        state["exp_avg"] = torch.zeros(2)
        return state["step"]
    """,
    """
    def todo(x):
        raise NotImplementedError()

    def broken(x):
        y = 1
        return x + undefined_name
    """,
    "print('hello from cell 5')\nraise ValueError('cell five fails')\n",
    """
    import matplotlib.pyplot as plt

    def hist(n, bins):
        counts = torch.histc(torch.randn(n), bins=bins)
        fig, ax = plt.subplots()
        ax.bar(torch.arange(bins).tolist(), counts.tolist(), width=1.0)
        ax.set_title("hist")
        return counts, fig

    def scatter(X):
        fig, ax = plt.subplots()
        ax.contourf([[0, 1], [1, 0]])
        ax.scatter(X[:, 0], X[:, 1])
        return fig
    after_error = 42
    """,
    "%%time\nsecret = 1\n",
)


@pytest.fixture(scope="module")
def good():
    with Sandbox(FAST, hide=[REPO]) as sb:
        report = sb.run_cells(GOOD)
        sb.report = report
        yield sb


def test_run_report(good):
    r = good.report
    assert r.cells_run == [1, 2, 3, 4, 5, 6, 7]
    assert [(e.exc_type, e.message, e.cell, e.line) for e in r.errors] == [
        ("ValueError", "cell five fails", 5, 2)
    ]
    assert "cell 1: skipped shell/magic line `%matplotlib inline`" in r.notes
    assert "cell 1: skipped shell/magic line `!pip install nothing`" in r.notes
    assert any(n.startswith("cell 7: skipped cell magic `%%time`") for n in r.notes)
    assert "[cell 5]\nhello from cell 5" in r.output
    # the error in cell 5 did not stop cell 6
    assert good.call("hist", 10, 4)[0].sum().item() == 10


def test_values_come_back_plain(good):
    out = good.call("double", torch.arange(4))
    assert type(out) is torch.Tensor and out.tolist() == [0, 2, 4, 6]
    size, numel, dim = good.call("describe", torch.zeros(2, 3))
    assert type(size) is torch.Size and size == (2, 3) and (numel, dim) == (6, 2)
    assert good.call("dtypes") == (torch.int64, torch.float32)
    n = good.call("nested")
    assert n["a"] == [1, 2.5, None, True, "s"] and n["b"][1] == "cpu"
    assert torch.equal(n["b"][0], torch.arange(3))
    p = good.call("param")
    assert type(p) is torch.Tensor and not p.requires_grad
    v = good.call("view_of_big")
    assert v.shape == (3,) and v.untyped_storage().nbytes() == 12
    assert good.call("double", x=torch.ones(1)).tolist() == [2.0]


def test_module_and_optimizer_handles(good):
    model = good.call("build", 2, 8, 3)
    assert isinstance(model, Handle) and model.kind == "module"
    s = model.summary
    assert s["type"] == "Sequential" and s["training"] is True and s["param_devices"] == ["cpu"]
    assert [m["type"] for m in s["modules"]] == ["Linear", "ReLU", "Linear"]
    assert s["modules"][0] == {"name": "0", "type": "Linear", "in_features": 2, "out_features": 8,
                               "bias": True}
    assert s["n_params"] == 2 * 8 + 8 + 8 * 3 + 3
    opt = good.call("make_opt", model, lr=0.01)
    assert opt.kind == "optimizer" and opt.summary["type"] == "Adam"
    assert opt.summary["param_groups"][0]["lr"] == 0.01
    assert opt.summary["param_groups"][0]["weight_decay"] == 1e-5
    assert opt.summary["param_ids"] == s["param_ids"]
    X, Y = torch.randn(30, 2), torch.randint(0, 3, (30,))
    before = good.state_dict(model)
    losses = good.call("train", model, X, Y, opt, 5)
    assert len(losses) == 5 and all(isinstance(x, float) for x in losses)
    after = good.state_dict(model)
    assert set(after) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert not torch.equal(before["0.weight"], after["0.weight"])
    out = good.forward(model, X)
    assert out.shape == (30, 3) and not out.requires_grad


def test_reference_module_and_optimizer(good):
    ref = good.build_module([("Linear", 2, 4), ("ReLU",), ("Linear", 4, 3)])
    assert [m["type"] for m in ref.summary["modules"]] == ["Linear", "ReLU", "Linear"]
    sd = {k: torch.zeros_like(v) for k, v in good.state_dict(ref).items()}
    zero = good.build_module([("Linear", 2, 4), ("ReLU",), ("Linear", 4, 3)], state_dict=sd)
    assert torch.equal(good.forward(zero, torch.randn(5, 2)), torch.zeros(5, 3))
    opt = good.build_optimizer(zero, "SGD", lr=0.1, momentum=0.9)
    assert opt.summary["type"] == "SGD" and opt.summary["param_groups"][0]["momentum"] == 0.9
    losses = good.call("train", zero, torch.randn(8, 2), torch.zeros(8, dtype=torch.long), opt, 2)
    assert len(losses) == 2
    with pytest.raises(ValueError):
        good.build_module([("Conv2d", 1, 1, 3)])
    with pytest.raises(ValueError):
        good.build_optimizer(zero, "LBFGS")


def test_put_get_mutable_state(good):
    state = good.put({})
    assert good.call("adam_state", state) == 1
    assert good.call("adam_state", state) == 2
    got = good.get(state)
    assert got["step"] == 2 and torch.equal(got["exp_avg"], torch.zeros(2))


def test_figure_handle(good):
    counts, fig = good.call("hist", 100, 5)
    assert counts.shape == (5,) and isinstance(fig, Handle) and fig.kind == "figure"
    (ax,) = fig.summary["axes"]
    assert ax["n_rectangles"] == 5 and ax["title"] == "hist"
    assert ax["bar_heights"] == counts.tolist() and ax["bar_widths"] == [1.0] * 5
    fig2 = good.call("scatter", torch.randn(7, 2))
    types = {c["type"]: c for c in fig2.summary["axes"][0]["collections"]}
    assert types["PathCollection"]["n_offsets"] == 7
    assert any(c.get("filled") for c in types.values())


def test_student_faults(good):
    with pytest.raises(NotImplementedByStudent, match="`todo` is not implemented yet"):
        good.call("todo", 1)
    with pytest.raises(MissingFunction, match="`nope` is not defined in your notebook"):
        good.call("nope")
    with pytest.raises(MissingFunction, match="not a function"):
        good.call("after_error")
    with pytest.raises(MissingFunction):
        good.call("secret")  # its cell was a %% magic: skipped
    with pytest.raises(StudentError) as ei:
        good.call("broken", 1)
    e = ei.value
    assert (e.exc_type, e.cell, e.line) == ("NameError", 4, 7)
    assert "undefined_name" in str(e) and "(cell 4, line 7)" in str(e)
    assert isinstance(e, SubmissionFault)

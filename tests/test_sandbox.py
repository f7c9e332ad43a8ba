"""The sandboxed worker, end to end: real worker processes running tiny notebooks written inline.

One shared sandbox runs a well-behaved notebook (module-scoped: a worker start costs ~2 s);
hostile notebooks each get their own sandbox and must end in a clear fault while the grader
process stays unharmed.
"""
from __future__ import annotations

import io
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import sys
import textwrap
import zipfile

import pytest
import torch
from helpers import (OUTLIVE_CELL, remove_folders, sandbox_folders, still_alive,
                     students_processes, wait_for)

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
# For well-behaved code whose tests need no timeout to fire: the first optimizer a fresh worker
# builds imports torch._dynamo lazily (1.3 s idle, 4 s and more on a loaded machine).
PATIENT = Limits(cell_timeout_s=30, call_timeout_s=30, submission_timeout_s=300, output_kb=4)


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
    with Sandbox(PATIENT, hide=[REPO]) as sb:
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
    with pytest.raises(SubmissionFault, match="expected an nn.Module, got a int"):
        good.forward(3, torch.ones(1))
    with pytest.raises(SubmissionFault, match="expected an nn.Module, got an optimizer"):
        good.forward(opt, torch.ones(1))


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


# ---------------------------------------------------------------------------------------------
# Hostile submissions: each must end in a clear fault and leave the grader unharmed.
# ---------------------------------------------------------------------------------------------

HOSTILE = cells(
    """
    import builtins, json, os, socket, struct, sys, io, time, torch

    class AlwaysEqual:
        def __eq__(self, other):
            return True
        def __repr__(self):
            raise RuntimeError("repr is hostile too")

    def always_equal():
        return AlwaysEqual()

    class EqTensor(torch.Tensor):
        def __eq__(self, other):
            return True

    def eq_tensor():
        return torch.arange(3).as_subclass(EqTensor)

    def read(path):
        with open(path) as f:
            return f.read()

    def listdir(path):
        return sorted(os.listdir(path))

    def write(path):
        with open(path, "w") as f:
            f.write("overwritten by a student")
        return "written"

    def connect(host, port):
        s = socket.socket()
        s.settimeout(10)
        t = time.time()
        try:
            s.connect((host, port))
            return "connected"
        except OSError as e:
            return type(e).__name__, time.time() - t

    def kill_grader():
        os.kill(os.getppid(), 9)

    def whoami():
        return os.getuid(), os.getgid(), os.getgroups(), os.getcwd(), dict(os.environ)

    def flood():
        print("x" * 100_000_000)
        sys.stderr.write("e" * 10_000_000)
        os.write(1, b"y" * 100_000_000)
        return "done"

    torch.equal = lambda *a, **k: True        # monkeypatching torch in the worker ...
    torch.Tensor.__eq__ = lambda *a, **k: True
    """,
    "print('z' * 10_000_000)\n",
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    out = tmp_path_factory.mktemp("grader-output")
    (out / "results.json").write_text('{"score": 0}')
    with Sandbox(FAST, hide=[REPO, out]) as sb:
        sb.report = sb.run_cells(HOSTILE)
        sb.out = out
        yield sb


def test_hostile_values_come_back_inert(hostile):
    assert hostile.report.errors == []
    v = hostile.call("always_equal")
    assert isinstance(v, Unsupported) and v.type_name == "__main__.AlwaysEqual"
    assert v != 1 and v != hostile.call("eq_tensor")
    t = hostile.call("eq_tensor")
    assert type(t) is torch.Tensor and t.tolist() == [0, 1, 2]
    assert not torch.equal(t, torch.zeros(3, dtype=torch.long))  # ... has no effect here
    assert (t == torch.zeros(3, dtype=torch.long)).tolist() == [True, False, False]
    assert sorted([2, 1]) == [1, 2]


def test_hostile_cannot_read_course_files(hostile):
    cwd = hostile.call("whoami")[3]
    target = os.path.join(REPO, "pyproject.toml")
    assert os.path.exists(target)
    for path in (target, os.path.relpath(target, cwd), "/root/.bashrc"):
        with pytest.raises(StudentError, match="FileNotFoundError|PermissionError"):
            hostile.call("read", path)
    results = str(hostile.out / "results.json")
    with pytest.raises(StudentError, match="FileNotFoundError|PermissionError"):
        hostile.call("read", results)
    # what the worker needs inside a hidden folder stays visible (read-only), nothing else
    visible = set(hostile.call("listdir", REPO))
    assert visible <= {os.path.basename(sys.prefix)}
    assert "torch" in hostile.call("listdir", os.path.dirname(os.path.dirname(torch.__file__)))


@pytest.mark.skipif(not ROOT, reason="planting a file in /opt needs root (CI runs as root)")
def test_folders_nobody_named_are_hidden_too(tmp_path):
    # Another course's checkout, a second copy of this one, a secret in /opt: the worker sees
    # only the system folders, whatever the grader forgot to put in `hide`.
    secret_dir = tempfile.mkdtemp(prefix="autograder-test-", dir="/opt")
    try:
        secret = os.path.join(secret_dir, "assignment.toml")
        with open(secret, "w") as f:
            f.write("seeds = [1, 2, 3]\n")
        os.chmod(secret_dir, 0o755)
        os.chmod(secret, 0o644)  # world-readable: only the mount hides it
        with Sandbox(FAST) as sb:
            sb.run_cells(cells("def read(p):\n    return open(p).read()\n"))
            with pytest.raises(StudentError, match="FileNotFoundError|PermissionError"):
                sb.call("read", secret)
            assert sb.call("read", "/etc/hostname") is not None  # system folders stay visible
    finally:
        shutil.rmtree(secret_dir, ignore_errors=True)


def test_hostile_cannot_write_outside_its_folder(hostile):
    results = hostile.out / "results.json"
    for path in (str(results), os.path.join(REPO, "pwned.txt"), "/tmp/pwned.txt",
                 os.path.join(sys.prefix, "pwned.txt")):
        with pytest.raises(StudentError, match="Error"):
            hostile.call("write", path)
    assert results.read_text() == '{"score": 0}'
    assert not os.path.exists(os.path.join(REPO, "pwned.txt"))
    assert hostile.call("write", "scratch.txt") == "written"  # its own folder is writable


def test_hostile_has_no_network_and_no_privileges(hostile):
    for host in ("127.0.0.1", "1.1.1.1"):
        kind, seconds = hostile.call("connect", host, 80)
        assert kind == "OSError" and seconds < 1  # fails at once, no hang
    with pytest.raises(StudentError, match="PermissionError"):
        hostile.call("kill_grader")
    uid, gid, groups, cwd, env = hostile.call("whoami")
    if ROOT:
        assert uid >= 61000 and gid >= 61000 and groups == []
        assert hostile.isolation["user_switched"] and hostile.isolation["namespaces"]
    # ours, and what importing torch._dynamo adds (an exec'd worker gets it at its first
    # optimizer, a forked one from its server's import): inductor's cache, in the worker's folder
    assert set(env) <= {"PATH", "HOME", "TMPDIR", "LANG", "MPLBACKEND", "MPLCONFIGDIR",
                        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONDONTWRITEBYTECODE",
                        "PYTHONHASHSEED", "CUDA_VISIBLE_DEVICES", "LC_CTYPE", "TORCHINDUCTOR_CACHE_DIR"}
    assert env.get("TORCHINDUCTOR_CACHE_DIR", cwd).startswith(cwd)
    assert env["HOME"] == cwd and env["CUDA_VISIBLE_DEVICES"] == ""


def test_hostile_output_flood_is_capped(hostile):
    assert len(hostile.report.output) <= FAST.output_kb * 1024
    assert hostile.report.output.endswith("output not kept]\n")
    assert hostile.call("flood") == "done"
    assert len(hostile.raw_output) < FAST.output_kb * 1024 + 200


@pytest.mark.slow
def test_cells_that_exit_loop_or_exhaust_memory():
    limits = Limits(cell_timeout_s=2, call_timeout_s=2, submission_timeout_s=120, memory_mb=1024)
    with Sandbox(limits) as sb:
        r = sb.run_cells(cells(
            "import os, sys, time\ndef a():\n    return 'a'\n",
            "sys.exit(3)\n",
            "def b():\n    return 'b'\nos._exit(4)\n",
            "def c():\n    return 'c'\nwhile True:\n    pass\n",
            # swallows the cell timeout: only the grader's hard deadline stops it
            "def d():\n    return 'd'\nwhile True:\n    try:\n        time.sleep(10)\n"
            "    except BaseException:\n        pass\n",
            "def e():\n    return 'e'\nx = bytearray(8 * 2**30)\n",
            "def f():\n    return 'f'\n",
        ))
        errors = {e.cell: (e.exc_type, e.line) for e in r.errors}
        assert errors == {2: ("SystemExit", 1), 4: ("TimeoutError", None), 6: ("MemoryError", 3)}
        assert r.skipped == [3, 5] and r.cells_run == [1, 2, 4, 6, 7]
        assert any(n.startswith("cell 3: skipped") and "exited with code 4" in n for n in r.notes)
        assert any(n.startswith("cell 5: skipped") and "did not stop within 2 s" in n
                   for n in r.notes)
        assert any("restarted" in n and "cells run again: 1, 2" in n for n in r.notes)
        # later cells still ran, in a restarted worker that replayed the earlier ones
        assert [sb.call(x) for x in "aef"] == ["a", "e", "f"]
        for missing in "bcd":
            with pytest.raises(MissingFunction):
                sb.call(missing)


@pytest.mark.slow
def test_calls_that_exit_crash_loop_or_exhaust_memory():
    limits = Limits(cell_timeout_s=2, call_timeout_s=2, submission_timeout_s=120, memory_mb=1024)
    with Sandbox(limits) as sb:
        sb.run_cells(cells(
            """
            import os, signal, sys, ctypes
            def ok():
                return "ok"
            def exits():
                os._exit(5)
            def sys_exit():
                sys.exit(0)
            def loops():
                while True:
                    pass
            def grows():
                a = []
                while True:
                    a.append(bytearray(50 * 2**20))
            def kills_itself():
                os.kill(os.getpid(), signal.SIGKILL)
            def segfault():
                ctypes.string_at(0)
            """
        ))
        model = sb.build_module([("Linear", 2, 2)])
        with pytest.raises(WorkerDied, match="exited with code 5"):
            sb.call("exits")
        assert sb.call("ok") == "ok"  # restarted, cells replayed
        with pytest.raises(WorkerDied, match="no longer exists"):
            sb.forward(model, torch.ones(1, 2))  # it lived in the dead worker
        with pytest.raises(StudentError, match="SystemExit"):
            sb.call("sys_exit")
        with pytest.raises(CallTimeout, match="did not finish within 2 s"):
            sb.call("loops")
        with pytest.raises(CallTimeout, match="within 0.5 s"):
            sb.call("loops", timeout=0.5)
        with pytest.raises(StudentError, match="MemoryError"):
            sb.call("grows")
        with pytest.raises(WorkerDied, match="SIGKILL"):
            sb.call("kills_itself")
        with pytest.raises(WorkerDied, match="segmentation fault"):
            sb.call("segfault")
        assert sb.call("ok") == "ok"
        assert any("restarted after it crashed" in n for n in sb.notes)


def test_memory_watchdog_without_address_space_limit():
    # On CUDA there is no RLIMIT_AS; the resident-size watchdog must stop a memory bomb.
    with Sandbox(Limits(memory_mb=700, call_timeout_s=20)) as sb:
        sb.rlimit_as = False
        # A bomb holds what it takes (a brief spike that is freed at once harms nobody and
        # can fall between two of the watchdog's looks).
        sb.run_cells(cells("import time, torch\ndef bomb():\n    x = torch.ones(2**28)\n    time.sleep(15)\n    return x.sum()\n"))
        with pytest.raises(WorkerDied, match="more than 700 MB of memory"):
            sb.call("bomb")


def test_fork_bomb_is_contained_and_cleaned_up():
    with Sandbox(FAST) as sb:
        sb.run_cells(cells(
            """
            import os, time
            def fork_bomb():
                n = 0
                try:
                    while n < 10_000:
                        if os.fork() == 0:
                            time.sleep(1000)
                            os._exit(0)
                        n += 1
                except OSError as e:
                    return n, type(e).__name__
                return n, None
            def ok():
                return "ok"
            """
        ))
        n, err = sb.call("fork_bomb")
        assert err == "BlockingIOError" and n < FAST.max_processes
        assert sb.call("ok") == "ok"
        uid, base = sb.isolation["uid"], sb._base
    # after close nothing of the submission survives, and its folders are gone
    assert not os.path.exists(base)
    if ROOT:
        deadline = __import__("time").monotonic() + 5
        while _processes_of(uid) and __import__("time").monotonic() < deadline:
            __import__("time").sleep(0.1)
        assert _processes_of(uid) == []


def _processes_of(uid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/status") as f:
                    text = f.read()
            except OSError:
                continue
            if f"\nUid:\t{uid}\t" in text and "\nState:\tZ" not in text:
                out.append(int(name))
    return out


def test_forged_protocol_frames(tmp_path):
    marker = tmp_path / "pwned"
    with Sandbox(FAST) as sb:
        sb.run_cells(cells(
            f"""
            import io, json, os, pickle, struct, sys, time, torch
            fd = json.loads(sys.argv[1])["rep_fd"]  # the reply pipe, found from the command line

            def ok():
                return "ok"

            def garbage():
                os.write(fd, b"garbage, not a frame")
                time.sleep(0.5)

            class Evil:
                def __reduce__(self):
                    return (os.system, ("touch {marker}",))

            def evil_pickle():
                data = pickle.dumps({{"seq": 1, "ok": True, "value": Evil()}})
                os.write(fd, b"AGW1" + struct.pack(">Q", len(data)) + data)
                time.sleep(0.5)

            def forge_next():
                f = sys._getframe()
                while f is not None and "msg" not in f.f_locals:
                    f = f.f_back  # the worker's own frame, holding the request
                seq = f.f_locals["msg"]["seq"]
                buf = io.BytesIO()
                torch.save({{"seq": seq, "ok": True, "value": ("s", "forged"), "error": None,
                            "notes": [], "output": ""}}, buf)
                os.write(fd, b"AGW1" + struct.pack(">Q", len(buf.getvalue())) + buf.getvalue())
                return "real"
            """
        ))
        for fn in ("garbage", "evil_pickle"):  # more malformed frames: test_wire_rejects_...
            with pytest.raises(BadReply):
                sb.call(fn)
            assert sb.call("ok") == "ok"  # a fresh worker; the grader is fine
        assert not marker.exists()
        # A well-formed forged reply is only as trusted as a value the function returned;
        # the real reply then answers nothing, and the next call sees the mismatch.
        assert sb.call("forge_next") == "forged"
        with pytest.raises(BadReply):
            sb.call("ok")
        assert sb.call("ok") == "ok"


def test_monkeypatching_builtins_breaks_only_the_worker():
    with Sandbox(FAST) as sb:
        r = sb.run_cells(cells("import builtins\ndef f():\n    return [1]\n",
                               "builtins.len = lambda x: 0\n"))
        # the worker's own replies broke: the cell is skipped, the restarted worker is fine
        assert r.skipped == [2]
        assert any("cell 2: skipped" in n for n in r.notes)
        assert sb.call("f") == [1]
        assert len([1, 2, 3]) == 3


# ---------------------------------------------------------------------------------------------
# Replies out of proportion to their size: the student's code owns the worker, encoder included
# ---------------------------------------------------------------------------------------------

FORGE = cells(
    r"""
    import io, sys, zipfile, torch
    wire = sys.modules["wire"]  # the worker's own encoder, replaced below
    REAL_ENCODE, REAL_DUMPS = wire.encode, wire.dumps

    def _reply(node):
        def forged(value, other, caps=None, *args, **kwargs):
            wire.encode = REAL_ENCODE
            return node
        wire.encode = forged

    def ok():
        return torch.ones(3)

    def huge():  # an honest reply over the caps: the worker's own encoder says so
        return torch.zeros(20_000_000)

    def expanded():  # 4 bytes that read as 40 GB
        _reply(("t", torch.ones(1).expand(100_000, 100_000), "cpu", False))

    def state_dict():  # what a check's .double() once turned into gigabytes
        _reply(("D", [["0.weight", ("t", torch.ones(1).expand(20_000, 20_000), "cpu", False)]]))

    def overlapping():
        _reply(("t", torch.arange(10.).as_strided((5, 5), (1, 1)), "cpu", False))

    def tiny_tensors():  # 20,000 views of ten elements: each costs the grader far more than its bytes
        base = torch.arange(10.)
        _reply(("L", [("t", base[i % 10:i % 10 + 1], "cpu", False) for i in range(20_000)]))

    def shared_string():  # one 1M-character string, referenced a thousand times
        _reply(("L", [("s", "x" * 1_000_000)] * 1000))

    def bomb():  # a compressed archive: 100 MB of zeros in a frame of a few hundred KB
        def deflated(message, limit=wire.MAX_FRAME):
            wire.dumps = REAL_DUMPS
            buf = io.BytesIO()
            torch.save(message, buf)
            src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
                for info in src.infolist():
                    z.writestr(info.filename, src.read(info.filename))
            data = out.getvalue()
            return wire.HEADER.pack(wire.MAGIC, len(data)) + data
        wire.dumps = deflated
        _reply(("t", torch.zeros(25_000_000), "cpu", False))
    """
)


@pytest.mark.slow
def test_forged_replies_out_of_proportion_are_refused():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Sandbox(FAST) as sb:
        sb.run_cells(FORGE)
        big = sb.call("huge")
        assert isinstance(big, Unsupported) and "elements" in big.reason
        assert sb.call("ok").tolist() == [1.0, 1.0, 1.0]
        for fn in ("expanded", "state_dict", "overlapping", "tiny_tensors", "shared_string", "bomb"):
            with pytest.raises(BadReply):
                sb.call(fn)
            assert sb.call("ok").tolist() == [1.0, 1.0, 1.0]  # a fresh worker; the grader is fine
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown < 150, f"the grader's memory grew by {grown:.0f} MB reading forged replies"


# ---------------------------------------------------------------------------------------------
# Other processes: invisible to the worker, and nothing of a submission outlives its grader
# ---------------------------------------------------------------------------------------------

PROCS = cells(
    """
    import os, socket

    def processes():
        out = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                entry = {}
                for what in ("cmdline", "environ", "status"):
                    try:
                        with open(f"/proc/{name}/{what}", "rb") as f:
                            entry[what] = f.read().decode("utf-8", "replace")
                    except OSError as e:
                        entry[what] = type(e).__name__
                out[int(name)] = entry
        return out

    def read_proc(pid, what):
        with open(f"/proc/{pid}/{what}", "rb") as f:
            return f.read().decode("utf-8", "replace")

    def read(path):
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def connect(path):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        s.connect(path)
        s.sendall(b"hello")
        return "connected"
    """
)


def test_worker_sees_no_other_process():
    # The grader's command line once held a gradebook password (grade-all --db URL) and
    # reached a student's feedback through /proc/*/cmdline; environments are read the same way.
    secret = "postgresql://grader:pw-" + secrets.token_hex(8) + "@db.example/course"
    decoy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "--db", secret],
                             env={**os.environ, "AUTOGRADER_DB": secret})
    try:
        with Sandbox(FAST) as sb:
            sb.run_cells(PROCS)
            seen = sb.call("processes")
            assert secret not in repr(seen)
            assert len(seen) <= 3, f"the worker sees {len(seen)} processes: {sorted(seen)}"
            for pid in (decoy.pid, os.getpid()):
                for what in ("cmdline", "environ"):
                    try:
                        text = sb.call("read_proc", pid, what)
                    except StudentError:
                        continue
                    assert secret not in text and "pytest" not in text
    finally:
        decoy.kill()
        decoy.wait()


@pytest.mark.skipif(not ROOT, reason="planting files at / needs root (CI runs as root)")
def test_top_level_files_and_sockets_are_hidden_too(tmp_path):
    # Folders at / were hidden by the allowlist, files were not: a key, a container's info file
    # or a service socket (a docker.sock) left at / was in reach of every submission.
    token = secrets.token_hex(8)
    path, sock_path = f"/autograder-test-{token}.txt", f"/autograder-test-{token}.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        with open(path, "w") as f:
            f.write(f"secret {token}\n")
        os.chmod(path, 0o644)  # world-readable: only the sandbox hides it
        server.bind(sock_path)
        os.chmod(sock_path, 0o777)
        server.listen(1)
        with Sandbox(FAST) as sb:
            sb.run_cells(PROCS)
            try:
                assert token not in sb.call("read", path)
            except StudentError:
                pass
            with pytest.raises(StudentError, match="Error"):
                sb.call("connect", sock_path)
            assert sb.call("read", "/etc/hostname") is not None  # system folders stay visible
    finally:
        server.close()
        for p in (path, sock_path):
            if os.path.lexists(p):
                os.unlink(p)


GRADER = """
import sys
from autograder.sandbox import Limits, Sandbox
sb = Sandbox(Limits(cell_timeout_s=300, call_timeout_s=300, submission_timeout_s=600))
sb.run_cells([(1, sys.argv[1])])
"""


@pytest.mark.slow
def test_killing_the_grader_ends_the_submission():
    # SIGKILL (the OOM killer, a scheduler's timeout, docker kill) gives the grader no chance to
    # clean up; the student's code had blinded the worker's own watchdog and started daemons.
    grader = subprocess.Popen([sys.executable, "-c", GRADER, OUTLIVE_CELL], cwd=REPO)
    try:
        def students():  # the worker and what it forked
            return students_processes(grader.pid)

        procs = wait_for(lambda: s if len(s := students()) >= 5 else {}, timeout=90)
        assert procs, "the hostile cell did not start its processes"
        folders = sandbox_folders(procs)
    finally:
        grader.kill()
        grader.wait()
    wait_for(lambda: not still_alive(procs), timeout=10)
    survivors = still_alive(procs)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    remove_folders(folders)
    assert survivors == [], f"{len(survivors)} of the submission's {len(procs)} processes outlived the grader"


# ---------------------------------------------------------------------------------------------
# Reduced isolation: never a crash, always a note
# ---------------------------------------------------------------------------------------------


def _reachable_by_anyone(path: str) -> bool:
    path = os.path.realpath(path)
    while path != "/":
        path = os.path.dirname(path)
        if not os.stat(path).st_mode & 0o001:
            return False
    return True


def test_without_namespaces_still_runs_and_says_so():
    if ROOT and not _reachable_by_anyone(sys.executable):
        # Python under /root (as here): without a mount namespace to expose it, a worker with a
        # user of its own cannot start, and the grader is told why (never run it as root).
        with pytest.raises(SandboxError, match="cannot enter"):
            Sandbox(FAST, namespaces=False).start()
        return
    with Sandbox(FAST, namespaces=False) as sb:
        sb.run_cells(cells("import os\ndef uid():\n    return os.getuid()\n"))
        assert sb.isolation["namespaces"] is False and sb.isolation["hidden"] == []
        assert sb.reduced_isolation  # the TA can see what is missing
        if ROOT:
            assert sb.call("uid") >= 61000  # still a user of its own
        else:
            assert sb.call("uid") == os.getuid()


NON_ROOT_SCRIPT = r"""
import os, socket, sys
sys.path.insert(0, sys.argv[1])
from autograder.sandbox import Limits, Sandbox, StudentError, WorkerDied
assert os.geteuid() != 0
with Sandbox(Limits(cell_timeout_s=5, call_timeout_s=5), hide=[sys.argv[1]]) as sb:
    sb.run_cells([(1, "import os, socket\n"
                      "def ls(p):\n    return sorted(os.listdir(p))\n"
                      "def net():\n    socket.create_connection(('1.1.1.1', 80), timeout=5)\n"
                      "def die():\n    os._exit(1)\n")])
    iso = sb.isolation
    assert not iso["user_switched"] and iso["notes"], iso
    if iso.get("user_namespace"):
        assert set(sb.call("ls", sys.argv[1])) <= {".venv"}
        try:
            sb.call("net")
            raise AssertionError("network reachable")
        except StudentError:
            pass
    try:
        sb.call("die")
    except WorkerDied:
        pass
    assert sb.call("ls", ".") is not None
with Sandbox(Limits(cell_timeout_s=5, call_timeout_s=5), namespaces=False) as sb:
    sb.run_cells([(1, "import os\ndef uid():\n    return os.getuid()\n")])
    assert sb.call("uid") == 1000 and not sb.isolation["namespaces"]
    assert any("namespaces" in n for n in sb.reduced_isolation), sb.reduced_isolation
print("NON-ROOT OK", iso.get("user_namespace", False))
"""


@pytest.mark.skipif(not ROOT or not __import__("shutil").which("unshare"),
                    reason="needs root to pose as a non-root user")
def test_as_non_root_user():
    import subprocess

    # A user namespace where the grader is uid 1000: the launcher takes its non-root path.
    r = subprocess.run(
        ["unshare", "--user", "--map-user=1000", "--map-group=1000", sys.executable, "-c",
         NON_ROOT_SCRIPT, REPO],
        capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 0 and "NON-ROOT OK" in r.stdout, r.stdout + r.stderr


# ---------------------------------------------------------------------------------------------
# Units: wire format, limits, devices (no worker)
# ---------------------------------------------------------------------------------------------

from autograder.devices import resolve_device  # noqa: E402
from autograder.sandbox import SandboxError, wire  # noqa: E402


def _nohandle(node):
    raise wire.WireError("no handles here")


def test_wire_roundtrip_and_tags():
    value = {"t": torch.arange(6).reshape(2, 3).t(), "s": torch.Size([2, 3]), "d": torch.float16,
             "v": torch.device("cpu"), 3: [None, True, 1, 2.5, 1j, "x", (1, [2])]}
    node = wire.encode(value, lambda v: ("U", type(v).__name__, ""))
    back = wire.decode(wire.loads(wire.dumps(node)[wire.HEADER.size:]), _nohandle)
    assert torch.equal(back["t"], value["t"]) and back["t"].stride() == value["t"].stride()
    assert back["s"] == torch.Size([2, 3]) and back["d"] is torch.float16 and back["v"] == "cpu"
    assert back[3] == [None, True, 1, 2.5, 1j, "x", (1, [2])]
    # a student's dict cannot pass for a handle or an unsupported marker
    trick = {"__handle__": 1, "H": ("H", 1)}
    assert wire.decode(wire.encode(trick, _nohandle), _nohandle) == {"__handle__": 1, "H": ("H", 1)}
    odd = wire.encode({(1, 2): 3, "n": object()}, lambda v: ("U", "object", ""))
    assert wire.decode(odd, _nohandle) == Unsupported("dict", "keys must be strings or integers")


def test_wire_rejects_malformed_values():
    deep: list = []
    node = ("L", [])
    for _ in range(wire.MAX_DEPTH + 1):
        node = ("L", [node])
    bad = [
        ("x", 1), ("i", True), ("i", "1"), ("f", 1), ("s", b"x"), ("t", [1], "cpu", False),
        ("t", torch.ones(1), "evil:0", False), ("d", "Tensor"), ("d", "__class__"),
        ("z", [-1]), ("D", [["k"]]), ("D", [[1.5, ("n",)]]), ("U", 1, ""), node, "n", (),
        ("t", torch.ones(2).to_sparse(), "cpu", False),
    ]
    for b in bad:
        with pytest.raises(wire.WireError):
            wire.decode(b, _nohandle)
    deep.append(deep)  # self-referential containers are too deep, not an endless loop
    assert wire.encode(deep, _nohandle)[0] == "L"


def test_wire_rejects_malformed_frames(tmp_path):
    with pytest.raises(wire.WireError):
        wire.parse_header(b"XXXX" + b"\0" * 8)
    with pytest.raises(wire.WireError):
        wire.parse_header(b"AGW1" + (wire.MAX_FRAME + 1).to_bytes(8, "big"))
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    marker = tmp_path / "pwned"
    good = wire.dumps({"x": 1})[wire.HEADER.size:]
    tampered = good.replace(b"data.pkl", b"data.pkX")
    # a well-formed torch.save zip whose pickle would run a command
    import io
    import zipfile

    src, buf = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name in src.namelist():
            data = pickle.dumps(Evil(), protocol=2) if name.endswith("data.pkl") else src.read(name)
            z.writestr(name, data)
    evil_zip = buf.getvalue()
    assert evil_zip.startswith(b"PK\x03\x04")
    for payload in (b"", b"not a zip", pickle.dumps({"a": 1}), pickle.dumps(Evil()),
                    b"PK\x03\x04 truncated", tampered, evil_zip, good[: len(good) // 2]):
        with pytest.raises(wire.WireError):
            wire.loads(payload)
    assert not marker.exists()


CAPS = wire.Caps(frame_bytes=64 << 20, tensor_elements=1000, tensors=4096, decoded_bytes=64 << 20)


def _frame(node) -> bytes:
    buf = io.BytesIO()
    torch.save(node, buf)
    return buf.getvalue()


def _deflated(payload: bytes) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(payload)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info.filename))
    return out.getvalue()


class _Rebuilt:
    """What torch.save writes for a tensor, with any size, stride and offset over a storage of
    `n` elements (a forger need not build the view: the loader does)."""

    def __init__(self, size, stride, offset=0, n=1):
        self.size, self.stride, self.offset, self.n = size, stride, offset, n

    def __reduce_ex__(self, protocol):
        import collections

        storage = torch.storage.TypedStorage(wrap_storage=torch.ones(self.n).untyped_storage(),
                                             dtype=torch.float32, _internal=True)
        return (torch._utils._rebuild_tensor_v2,
                (storage, self.offset, torch.Size(self.size), self.stride, False, collections.OrderedDict()))


def test_wire_refuses_what_costs_more_than_its_size():
    base = torch.arange(10.)
    forged = {
        "storage offset out of range": ("t", _Rebuilt((10,), (1,), offset=10**12), "cpu", False),
        "a view larger than its storage": ("t", _Rebuilt((100_000, 100_000), (100_000, 1)), "cpu", False),
        "stride 0 over one element": ("t", _Rebuilt((100_000, 100_000), (0, 0)), "cpu", False),
        "expanded (stride 0)": ("t", torch.ones(1).expand(100_000, 100_000), "cpu", False),
        "overlapping strides": ("t", base.as_strided((5, 5), (1, 1)), "cpu", False),
        "storage offset": ("t", torch.arange(1000.)[999:], "cpu", False),
        "gaps": ("t", torch.arange(100.)[::10], "cpu", False),
        "shared storage": ("L", [("t", base, "cpu", False), ("t", base, "cpu", False)]),
        "too many elements": ("t", torch.zeros(2000), "cpu", False),
        "too many tensors": ("L", [("t", torch.zeros(1), "cpu", False) for _ in range(5000)]),
        "tiny views": ("L", [("t", base[i % 10:i % 10 + 1], "cpu", False) for i in range(20_000)]),
        "a string referenced 100 times": ("L", [("s", "x" * 1_000_000)] * 100),
        "a cuda-tagged expanded tensor": ("t", torch.ones(1).expand(100_000, 100_000), "cuda", False),
    }
    for what, node in forged.items():
        with pytest.raises(wire.WireError):
            wire.decode(wire.loads(_frame(node), CAPS), _nohandle, caps=CAPS)
            pytest.fail(f"accepted: {what}")
    bomb = _deflated(_frame(("t", torch.zeros(25_000_000), "cpu", False)))
    assert len(bomb) < 2_000_000
    with pytest.raises(wire.WireError, match="compressed"):
        wire.loads(bomb, CAPS)
    with pytest.raises(wire.WireError):  # refused from its header, before anything is read
        wire.parse_header(b"AGW1" + ((64 << 20) + 1).to_bytes(8, "big"), 64 << 20)
    # what our own encoder sends passes: permuted (transposed), empty, 0-d and bool tensors
    ok = wire.encode({"t": torch.arange(6.).reshape(2, 3).t(), "e": torch.zeros(0, 3), "s": torch.tensor(3.),
                      "b": torch.zeros(2, 3, dtype=torch.bool), "v": torch.zeros(1000)[::2]}, _nohandle)
    back = wire.decode(wire.loads(_frame(ok), CAPS), _nohandle, caps=CAPS)
    assert back["t"].stride() == (1, 3) and back["e"].shape == (0, 3) and back["v"].shape == (500,)


def test_text_from_the_worker_is_valid_unicode():
    node = wire.encode({"bad\ud800key": ["lone \udcff surrogate", "fine ✅"]}, _nohandle)
    back = wire.decode(wire.loads(_frame(node)), _nohandle)
    assert back == {"bad\ufffdkey": ["lone \ufffd surrogate", "fine ✅"]}
    json.dumps(back, ensure_ascii=False).encode("utf-8")


def test_limits_are_declared_once_with_help():
    help_ = Limits.help()
    assert set(help_) >= {"cell_timeout_s", "call_timeout_s", "submission_timeout_s", "cpu_time_s",
                          "memory_mb", "file_size_mb", "max_processes", "output_kb"}
    assert all(isinstance(h, str) and h for h in help_.values())
    d = Limits()
    assert (d.cell_timeout_s, d.call_timeout_s, d.submission_timeout_s, d.cpu_time_s,
            d.memory_mb, d.file_size_mb, d.max_processes, d.output_kb) == (
        60, 60, 900, 900, 4096, 64, 64, 64)
    assert Limits.from_mapping({"memory_mb": 100}).memory_mb == 100
    with pytest.raises(ValueError, match="unknown sandbox limit"):
        Limits.from_mapping({"memory": 100})
    with pytest.raises(ValueError):
        Limits(memory_mb=-1)


def test_devices():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(SandboxError, match="no CUDA GPU"):
            Sandbox(FAST, device="cuda")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        resolve_device("tpu")
    with pytest.raises(ValueError):
        resolve_device("cuda:x")


def test_cpu_seconds_count_work_not_waiting(good):
    """The grader reads the worker's CPU time from /proc: a busy call adds to it, a sleeping one
    does not (the vectorised make_spiral check relies on this to ignore a loaded machine)."""
    good.run_cells([(90, "import time\n"
                         "def busy(s):\n    t = time.process_time()\n    while time.process_time() - t < s: pass\n"
                         "def idle(s):\n    time.sleep(s)\n")])
    c0 = good.cpu_seconds()
    good.call("busy", 0.4)
    c1 = good.cpu_seconds()
    good.call("idle", 0.6)
    c2 = good.cpu_seconds()
    assert c1 - c0 >= 0.3, (c0, c1)
    assert c2 - c1 < 0.15, (c1, c2)

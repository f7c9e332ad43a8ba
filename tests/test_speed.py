"""Grading does no work twice (docs/benchmarks.md, issue 14): a student function that hung or
broke its worker once is not called again by the checks that follow, a reference is computed
once per grading process, checks of a notebook that is ready do not wait for another notebook's
cells, and each grading records where its time went. These tests count calls and look at the
order of events; none asserts on how long anything took.
"""
from __future__ import annotations

import json
import math
import shutil
import threading
import time
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.checks.cache import reference
from autograder.course import AssignmentPaths
from autograder.engine.content import check_layout
from autograder.engine.failfast import NotebookWorker
from autograder.engine.plugin import ResultsPlugin
from autograder.engine.run import run_checks
from autograder.engine.timing import REFERENCES, Timeline
from autograder.sandbox import CallTimeout, Handle, Limits, StudentError, WorkerDied

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "tests" / "data" / "tiny_course"


# -- references -----------------------------------------------------------------------------------

def test_a_reference_is_computed_once_per_process_for_its_arguments():
    computed = []

    @reference
    def model(n: int, noise: float) -> list:
        computed.append((n, noise))
        return [n, noise]

    mark = REFERENCES.mark()
    first = model(3, 0.2)
    assert model(3, 0.2) is first and model(n=3, noise=0.2) is first
    assert model(4, 0.2) == [4, 0.2] and model(4, noise=0.2) == [4, 0.2]
    assert computed == [(3, 0.2), (4, 0.2)]
    assert [name for name, *_ in REFERENCES.since(mark)] == [model.__qualname__] * 2

    slow = threading.Event()

    @reference
    def shared(x: int) -> int:
        computed.append(("shared", x))
        slow.wait(1)
        return x

    threads = [threading.Thread(target=shared, args=(7,)) for _ in range(4)]
    for t in threads:
        t.start()
    slow.set()
    for t in threads:
        t.join()
    assert computed.count(("shared", 7)) == 1, "threads asking for one reference at once computed it more than once"


# -- fail fast ------------------------------------------------------------------------------------

class FakeBox:
    """Stands in for a Sandbox: every call of a function raises the fault it was given."""

    def __init__(self, faults: dict) -> None:
        self.limits = Limits(call_timeout_s=60)
        self.faults = faults
        self.calls: list[tuple[str, float | None]] = []

    def call(self, function, *args, timeout=None, **kwargs):
        self.calls.append((function, timeout))
        fault = self.faults.get(function)
        if fault is not None:
            raise fault(timeout)
        return function

    def forward(self, handle, x, timeout=None):
        self.calls.append((f"forward {handle.id}", timeout))
        raise CallTimeout("your module", timeout or 60)

    def put(self, value):
        return ("handle", value)


def test_a_call_that_hung_or_killed_its_worker_is_not_made_again():
    box = FakeBox({"train": lambda t: CallTimeout("train", t or 60),
                   "fit": lambda t: WorkerDied("fit", "used more than 4096 MB of memory"),
                   "lost": lambda t: WorkerDied("lost", "was restarted", lost=True),
                   "raises": lambda t: StudentError("raises", "ValueError", "bad")})
    nb = NotebookWorker(box)
    with pytest.raises(CallTimeout) as first:
        nb.call("train", 1)
    for _ in range(3):  # the same limit or a shorter one: the first fault again, at once
        with pytest.raises(CallTimeout) as again:
            nb.call("train", 2, timeout=30)
    assert box.calls.count(("train", 30)) == 0 and box.calls.count(("train", None)) == 1
    assert str(first.value) in str(again.value) and "not run again" in str(again.value)
    assert again.value.seconds == 60  # a fault a check can read like the first (e.g. the budget it exceeded)
    with pytest.raises(CallTimeout):  # given more time than it exceeded, it runs again
        nb.call("train", 3, timeout=120)
    assert ("train", 120) in box.calls

    for _ in range(3):  # a worker killed by a call: whatever the limit
        with pytest.raises(WorkerDied, match="4096 MB"):
            nb.call("fit", timeout=500)
    assert sum(1 for f, _ in box.calls if f == "fit") == 1
    for _ in range(2):  # not the function's doing (an object lost in a restart), or fast anyway
        with pytest.raises(WorkerDied):
            nb.call("lost")
        with pytest.raises(StudentError):
            nb.call("raises")
    assert sum(1 for f, _ in box.calls if f == "lost") == 2 and sum(1 for f, _ in box.calls if f == "raises") == 2
    assert nb.call("fine") == "fine" and nb.put(1) == ("handle", 1)  # everything else as the sandbox does it

    one, two = Handle("module", 1, {}, "a:1"), Handle("module", 2, {}, "a:1")
    for handle in (one, one, two, one):  # forward passes: per model
        with pytest.raises(CallTimeout):
            nb.forward(handle, [0.0])
    assert [f for f, _ in box.calls if f.startswith("forward")] == ["forward 1", "forward 2"]
    assert nb.calls["train"] == 2 and nb.calls["forward"] == 2


def _spin_course(tmp_path: Path) -> tuple[AssignmentPaths, Path]:
    """The tiny assignment with a function that never returns, called by three checks."""
    root = tmp_path / "course"
    shutil.copytree(TINY, root)
    paths = AssignmentPaths(root, "tiny")
    (paths.checks / "01_tiny" / "check_double.py").write_text('''"""double, and spin (never returns)."""
import torch

from autograder.checks import Tensor, check, judge


@check("check_double", points=0.5, public=True)
def test_double(nb):
    "double: arange(3)"
    judge(nb, "double", torch.arange(3), shown="arange(3)", returns=Tensor(torch.arange(3) * 2))


@check("check_double", points=0.5)
def test_spin_first(nb):
    "double: its helper spin, first call"
    nb.call("spin", 1, timeout=1)


@check("check_double", points=0.5)
def test_spin_again(nb):
    "double: its helper spin, the same limit"
    nb.call("spin", 2, timeout=1)


@check("check_double", points=0.5)
def test_spin_longer(nb):
    "double: its helper spin, a longer limit"
    nb.call("spin", 3, timeout=2)
''')
    nb = json.loads((paths.source / "01_tiny.ipynb").read_text())
    cell = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "sol_double")
    cell["source"] = "".join(cell["source"]) + "\n\ndef spin(x):\n    while True:\n        pass\n"
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "01_tiny.ipynb").write_text(json.dumps(nb))
    return paths, sub


def test_a_function_that_hangs_is_called_once_per_time_limit_in_a_grading(tmp_path):
    from autograder.grading import GradeRequest, grade_submission

    paths, sub = _spin_course(tmp_path)
    result = grade_submission(GradeRequest(submission=sub), paths)
    assert result.grader_errors == []
    by_name = {c.name: c for c in result.checks}
    assert by_name["double: arange(3)"].points == 0.5
    assert "`spin` did not finish within 1 s" in by_name["double: its helper spin, first call"].message
    again = by_name["double: its helper spin, the same limit"].message
    assert again.startswith(by_name["double: its helper spin, first call"].message) and "not run again" in again
    assert "`spin` did not finish within 2 s" in by_name["double: its helper spin, a longer limit"].message
    assert "not run again" not in by_name["double: its helper spin, a longer limit"].message
    calls = {t.part: t for t in result.timings if t.phase == "student calls"}
    assert calls["01_tiny: spin"].count == 2, "spin reached the worker more often than once per time limit"
    phases = {t.phase for t in result.timings}
    assert {"worker start", "notebook cells", "checks", "student calls", "total"} <= phases
    assert math.isclose(next(t.seconds for t in result.timings if t.phase == "total"), result.execution_time_s,
                        abs_tol=0.05)


# -- order of the checks --------------------------------------------------------------------------

def _two_notebook_course(tmp_path: Path) -> AssignmentPaths:
    root = tmp_path / "course2"
    grading = root / "source" / "two" / "grading"
    (grading / "checks").mkdir(parents=True)
    (grading / "assignment.toml").write_text('[assignment]\nname = "two"\ntitle = "Two"\n')
    # grade cells, points and functions come from the release's manifest (`autograder release`)
    release = root / "release" / "two"
    release.mkdir(parents=True)
    notebooks = [{"stem": stem, "points": 1, "cells": [{"grade_id": gid, "kind": "code", "points": 1,
                                                         "solution_cells": [f"sol_{fn}"], "functions": [fn]}]}
                 for stem, gid, fn in (("01_slow", "check_a", "a"), ("02_quick", "check_b", "b"))]
    (release / "manifest.json").write_text(json.dumps({
        "format": 1, "note": "written by hand for this test", "assignment": "two", "title": "Two", "points": 2,
        "notebooks": notebooks, "settings": {}, "published": {}}))
    for stem, gid, fn in (("01_slow", "check_a", "a"), ("02_quick", "check_b", "b")):
        (grading / "checks" / stem).mkdir()
        (grading / "checks" / stem / f"{gid}.py").write_text(f'''from autograder.checks import check


@check("{gid}", points=0.5, public=True)
def test_{fn}_one(nb):
    "{fn}: one"
    nb.call("{fn}")


@check("{gid}", points=0.5)
def test_{fn}_two(nb):
    "{fn}: two"
    nb.call("{fn}")
''')
    return AssignmentPaths(root, "two")


class ScriptedSession:
    """A session whose first notebook is ready only once the second one's checks have run."""

    def __init__(self) -> None:
        self.timeline = Timeline()
        self.ran: list[str] = []

    def ready(self, stem: str) -> bool:
        return stem == "02_quick" or self.ran.count("b") == 2

    def notebook(self, stem: str):
        ran = self.ran

        class Worker:
            def call(self, fn):
                ran.append(fn)

        return Worker()


def test_checks_of_a_ready_notebook_run_while_another_notebooks_cells_still_run(tmp_path):
    paths = _two_notebook_course(tmp_path)
    config = load_assignment(paths.config_file)
    session = ScriptedSession()
    plugin = ResultsPlugin(session, config, "cpu")
    run_checks(check_layout(paths.checks, config), plugin)
    assert plugin.grader_errors == []
    assert session.ran == ["b", "b", "a", "a"], "the checks waited for the notebook that was not ready"
    assert sorted(c.grade_id for c in plugin.results) == ["check_a", "check_a", "check_b", "check_b"]
    plugin.record_checks()
    assert {t.part for t in session.timeline.phases() if t.phase == "checks"} == {"check_a", "check_b"}


def test_a_grading_that_ends_while_a_worker_starts_leaves_no_worker(tmp_path, monkeypatch):
    """Workers start in the background: a session closed while a worker is still starting (a
    grader fault ended the grading) must end that worker too, not leave it to run the cells."""
    import os

    from helpers import processes_below, still_alive, wait_for

    from autograder.engine.session import SubmissionSession
    from autograder.notebooks import recognise
    from autograder.sandbox import process

    paths, sub = _spin_course(tmp_path)
    spawned, closing = threading.Event(), threading.Event()
    real_spawn = process.spawn

    def spawn_then_stall(*args, **kwargs):
        w = real_spawn(*args, **kwargs)
        spawned.set()
        closing.wait(10)  # hold the start open until the grading is being closed
        time.sleep(0.3)
        return w

    monkeypatch.setattr(process, "spawn", spawn_then_stall)
    before = set(processes_below(os.getpid()))
    session = SubmissionSession(recognise(sub, load_assignment(paths.config_file)), Limits(), "cpu",
                                hide=[paths.course_root, sub])
    session.warm_up(["01_tiny"])
    assert spawned.wait(60), "no worker started"
    started = {p: s for p, s in processes_below(os.getpid()).items() if p not in before}
    assert started
    closing.set()
    session.close()
    assert all(not t.is_alive() for t in session._threads)
    assert wait_for(lambda: not still_alive(started), 10), f"left running: {still_alive(started)}"


def test_short_answers_are_scored_in_the_grading_thread_before_any_check(tmp_path, monkeypatch):
    """The short answers parse code cells with ast, as the checks' source rules and pytest's
    tracebacks do; CPython 3.11's AST constructor is not safe across threads (a SystemError,
    "AST constructor recursion depth mismatch", failed a check of a planted sample), so they are
    scored in the grading's own thread while the workers start, never beside the checks."""
    import autograder.grading as grading
    from autograder.engine import run as engine_run

    paths, sub = _spin_course(tmp_path)
    events: list[tuple[str, threading.Thread]] = []

    def answers(*args, **kwargs):
        events.append(("short answers", threading.current_thread()))
        return []

    real_run_checks = engine_run.run_checks

    def checks(*args, **kwargs):
        events.append(("checks", threading.current_thread()))
        return real_run_checks(*args, **kwargs)

    monkeypatch.setattr(grading, "_short_answers", answers)
    monkeypatch.setattr(grading, "run_checks", checks)
    result = grading.grade_submission(grading.GradeRequest(submission=sub), paths)
    assert result.grader_errors == []
    assert events == [("short answers", threading.current_thread()), ("checks", threading.current_thread())]

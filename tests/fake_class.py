"""A fake assignment and grading function for class-level tests (cluster, PostgreSQL): the
grading function runs where the engine's would (a grading process) and reads what to do from each
notebook's metadata (`frac` of the marks, `sleep` seconds, `crash`, `kill_worker`; on Dask workers
only: `remote_sleep` seconds, and `hang_on` a worker's name, on which it waits to be killed, so
that a local reference run of the same notebooks takes no time); it logs each grading's start and
end (with the Dask worker's name from $FAKE_WORKER) to $FAKE_LOG."""
from __future__ import annotations

import json
import os
from pathlib import Path

from autograder.course import AssignmentPaths
from autograder.manifest import Cell, Manifest, Notebook

ASSIGNMENT_TOML = """
[assignment]
name = "fa"
title = "Fake assignment"
"""
# what `autograder release` would derive from the fake's notebooks (it has none: its grader is fake)
NOTEBOOKS = (
    Notebook("nb1", 10.0, (Cell("check_a", "code", 4.0, ("sol_a",), ("a",)), Cell("check_b", "code", 6.0, ("sol_b",), ("b",)))),
    Notebook("nb2", 5.0, (Cell("q1", "answer", 5.0, ("q1",)),)))
MANIFEST = Manifest("fa", "Fake assignment", NOTEBOOKS)

# Runs in the grading process; logs each start and end (with the Dask worker's name, from the
# worker's environment) to $FAKE_LOG, so that a test can count gradings and see where they ran.
FAKE_GRADER = '''
import json, os, signal, time
from autograder.assignment import load_assignment
from autograder.results import CheckResult, Status, SubmissionResult

def _log(event, student, device):
    path = os.environ.get("FAKE_LOG")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"event": event, "student": student, "device": device, "t": time.time(),
                                "worker": os.environ.get("FAKE_WORKER", "local"), "pid": os.getpid()}) + "\\n")

def grade(submission, student, device, paths, extra_hidden):
    cfg = load_assignment(paths.config_file)
    files = [submission] if submission.is_file() else sorted(submission.rglob("*.ipynb"))
    if not files:
        return SubmissionResult(cfg.name, student, [], gradable=False, format_errors=["no notebook found"])
    try:
        nb = json.loads(files[0].read_text())
    except ValueError:
        return SubmissionResult(cfg.name, student, [], gradable=False,
                                format_errors=[files[0].name + " is not a valid notebook"])
    m = nb.get("metadata", {}).get("fake", {})
    _log("start", student, device)
    if m.get("kill_worker") and os.environ.get("FAKE_WORKER"):
        os.kill(os.getppid(), signal.SIGKILL)  # the machine dies under this submission (the Dask worker)
        time.sleep(30)
    if m.get("crash"):
        os._exit(7)
    on_worker = os.environ.get("FAKE_WORKER")
    if on_worker and on_worker == m.get("hang_on"):
        time.sleep(300)  # until the test kills this worker under it (bounded, should it never)
    time.sleep(m.get("sleep", 0) + (m.get("remote_sleep", 0) if on_worker else 0))
    f = m.get("frac", 1.0)
    ok = Status.PASSED if f == 1 else Status.FAILED
    checks = [
        CheckResult("a: first", "check_a", "nb1", 4 * f, 4, ok, "expected 1, got 2", public=True),
        CheckResult("b: second", "check_b", "nb1", 6 * f, 6, ok, "b message"),
        CheckResult("q1: why?", "q1", "nb2", 5 * f, 5, ok, "concepts", tags=("short_answer",)),
    ]
    _log("end", student, device)
    return SubmissionResult(cfg.name, student, checks, notes=[f"graded on {device}"], device=device,
                            execution_time_s=0.01)
'''


def nb(meta: dict) -> str:
    return json.dumps({"cells": [], "metadata": {"fake": meta}, "nbformat": 4, "nbformat_minor": 5})


def fake_course(tmp_path: Path, monkeypatch) -> AssignmentPaths:
    course = tmp_path / "course"
    (course / "source" / "fa" / "grading" / "checks").mkdir(parents=True)
    (course / "source" / "fa" / "grading" / "assignment.toml").write_text(ASSIGNMENT_TOML)
    (course / "release" / "fa").mkdir(parents=True)
    (course / "release" / "fa" / "manifest.json").write_text(MANIFEST.to_json())
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "fakegrader.py").write_text(FAKE_GRADER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(mods), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "gradings.jsonl"))
    return AssignmentPaths(course, "fa")


def make_class(folder: Path, students: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for s, meta in students.items():
        (folder / f"{s}.ipynb").write_text(nb(meta))
    (folder / "frank.ipynb").write_text("{this is not json")  # ungradable: not a notebook
    return folder


def gradings(tmp_path: Path) -> list[dict]:
    path = tmp_path / "gradings.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def wait_for_a_start(tmp_path: Path, worker: str, batch, timeout_s: float = 120) -> None:
    """Wait (bounded) until a grading has started on Dask worker `worker` while `batch` (a
    Popen of grade-all) still runs: the moment a test kills that worker mid-grading."""
    import time

    deadline = time.monotonic() + timeout_s
    while not any(g["worker"] == worker and g["event"] == "start" for g in gradings(tmp_path)):
        assert batch.poll() is None, batch.communicate()
        assert time.monotonic() < deadline, f"no grading started on {worker}"
        time.sleep(0.05)

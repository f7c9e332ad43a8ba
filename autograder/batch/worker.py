"""A grading worker of `grade-all`: a long-lived process that grades one submission at a time.

    python -m autograder.batch.worker

Started by `autograder.batch.pool` with pipes: the first line on stdin is the batch's settings
(JSON), every later line one job; for each job the worker grades the submission with
`grade_submission` (whose notebook workers are themselves sandboxed) and answers one JSON line
holding the student's record. It writes nothing: the batch commits the record (executor.py), on
this machine or, for a Dask cluster, on the machine that runs grade-all. The worker keeps torch,
pytest and the checks imported between jobs, so only the first job pays for them. Everything the
grading prints goes to stderr (the worker's log); stdout carries the protocol only. The worker
dies with its parent (PR_SET_PDEATHSIG), so a killed batch leaves no grader running.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

from autograder.grader_memory import is_memory_error, limit_grader_memory, memory_message


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() == 1:  # the parent is already gone
        os._exit(1)


DEFAULT_GRADER = "autograder.batch.worker:grade_with_engine"


def grade_with_engine(submission: Path, student: str, device: str, paths, extra_hidden, due=None):
    """The grading function of a batch: the engine's `grade_submission`, as `autograder grade` runs it
    (`due`: the student's own deadline, for the feedback shown after it)."""
    from autograder.grading import GradeRequest, grade_submission

    request = GradeRequest(submission=submission, device=device, student=student, due=due)
    return grade_submission(request, paths, extra_hidden=extra_hidden)


def resolve(spec: str):
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class Grader:
    """Grades jobs for one batch (one assignment, device, set of hidden paths)."""

    def __init__(self, settings: dict) -> None:
        from autograder.assignment import load_assignment
        from autograder.course import AssignmentPaths

        self.settings = settings
        self.paths = AssignmentPaths(Path(settings["course_root"]), settings["assignment"])
        self.config = load_assignment(self.paths)
        self.hidden = [Path(p) for p in settings.get("hidden", [])]
        self.device = settings.get("device", "cpu")
        self.grade = resolve(settings.get("grader") or DEFAULT_GRADER)
        self.takes_due = _accepts(self.grade, "due")
        self.memory_mb: int | None = None  # the process's data limit, set at the first job

    def run(self, job: dict) -> dict:
        from autograder.batch.records import GRADED, UNGRADABLE, StudentRecord, ungradable_result

        device = job.get("device") or self.device
        if self.memory_mb is None:  # once the grader's imports are done: it bounds what grading costs
            self.memory_mb = limit_grader_memory(device)
        student, started = job["student"], time.perf_counter()
        submission = Path(job["submission"])
        try:
            due = self.settings.get("due", {}).get(student)  # the student's own deadline, when there is one
            extra = {"due": datetime.fromisoformat(due)} if due and self.takes_due else {}
            result = self.grade(submission, student, device, self.paths, self.hidden, **extra)
            result.student = student
            status = GRADED if result.gradable else UNGRADABLE
            reason = "; ".join(result.format_errors)  # also what part of a graded submission was not
            extra = {}
        except Exception as e:  # the grader's own fault: the class goes on, the TA is told
            tb = traceback.format_exc()
            kind = type(e).__name__
            reason = ("the grader itself failed on this submission (not your fault); "
                      "your TA has been told and will regrade it")
            if is_memory_error(e):
                tb = f"{memory_message(self.memory_mb or 0)}\n{tb}"
            result = ungradable_result(self.config, student, reason, device,
                                       grader_errors=[f"{kind} while grading {job.get('source', submission)}:\n{tb}"])
            status, extra = UNGRADABLE, {"grader_fault": kind}
        wall = round(time.perf_counter() - started, 2)
        record = StudentRecord(student=student, status=status, result=result, fingerprint=job["fingerprint"],
                               source=job.get("source", ""), reason=reason, wall_s=wall, extra=extra)
        return {"id": job["id"], "student": student, "status": status, "score": result.score,
                "max_score": result.max_score, "wall_s": wall, "grader_errors": len(result.grader_errors),
                "record": record.to_dict()}


def _accepts(fn, name: str) -> bool:
    """Whether a grading function takes the keyword `name` (a replacement may not)."""
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in params)


def main() -> int:
    _die_with_parent()
    # The protocol gets a private copy of stdout; whatever grading prints goes to stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    settings = json.loads(sys.stdin.readline())
    if settings.get("threads"):
        try:
            import torch

            torch.set_num_threads(int(settings["threads"]))
        except ImportError:
            pass
    grader = Grader(settings)
    for name in settings.get("preload", []):  # warm imports before the first job
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a failed preload shows up in the first job
            pass
    proto.write(json.dumps({"ready": os.getpid()}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        reply = grader.run(job)
        proto.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

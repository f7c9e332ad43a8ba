"""Deadlines on a platform runner: the submission's time where the platform records it, the
student's own deadline, and the late record laid over the result (autograder.deadlines).

- CI: GitHub's push time (the server's clock, from the push event) when the workflow has one,
  else the commit time of HEAD (the committer's clock: said so in the record); unknown otherwise.
- Gradescope: `created_at` of submission_metadata.json; a per-student due date there later than
  the assignment's (Gradescope's own extension) extends the course's deadline by as much.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping

from autograder.deadlines import Extension, SubmissionTime, assess, load_policy, parse_time, student_due
from autograder.deadlines.extensions import ExtensionsError, extension_for, read_extensions
from autograder.results import SubmissionResult

GIT_TIMEOUT_S = 10


def ci_time(repo: Path, env: Mapping[str, str]) -> SubmissionTime:
    """When the graded commit came in, from the CI run (see the module docstring)."""
    event = env.get("GITHUB_EVENT_PATH")
    if event:
        try:
            pushed = json.loads(Path(event).read_text(encoding="utf-8")).get("repository", {}).get("pushed_at")
            if isinstance(pushed, (int, float)) and not isinstance(pushed, bool):
                return SubmissionTime(datetime.fromtimestamp(pushed, timezone.utc), "GitHub push time")
        except (OSError, ValueError, AttributeError, OverflowError):
            pass
    try:  # the student's repository: no hook, no fsmonitor, no pager, nothing from its config runs
        out = subprocess.run(["git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-C", str(repo),
                              "log", "-1", "--format=%cI", "HEAD"], capture_output=True, text=True,
                             timeout=GIT_TIMEOUT_S, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                                         "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"})
        at, _ = parse_time(out.stdout.strip()) if out.returncode == 0 else (None, False)
    except (OSError, subprocess.SubprocessError):
        at = None
    if at is not None:
        return SubmissionTime(at, "git commit time", note="the commit time is set by the committer's computer")
    return SubmissionTime(None, note="no push or commit time was found, so no late penalty was computed")


def gradescope_time(meta: Mapping) -> tuple[SubmissionTime, timedelta | None]:
    """The submission's time, and how far Gradescope's own extension of the student moves the
    deadline (None: no extension there)."""
    at, _ = parse_time(str(meta.get("created_at") or ""))
    time = SubmissionTime(at, "Gradescope" if at else "", note="" if at else "Gradescope gave no submission time")
    base = parse_time(str((meta.get("assignment") or {}).get("due_date") or ""))[0]
    users = meta.get("users") or []
    own = [parse_time(str((u.get("assignment") or {}).get("due_date") or ""))[0] for u in users if isinstance(u, dict)]
    own = [d for d in own if d is not None]
    if base is not None and own and max(own) > base:
        return time, max(own) - base
    return time, None


def student_deadline(config, student: str | None, shift: timedelta | None = None):
    """The policy, the student's own deadline and the extension that set it (the course's CSV, or
    the platform's extension moving the course's deadline by `shift`)."""
    policy = load_policy(config)
    if policy.due is None:
        return policy, None, None
    csv_ext = None
    if policy.extensions and config.path is not None:
        try:
            csv_ext = extension_for(read_extensions(config.path.parent / policy.extensions, policy.due), (student,))
        except ExtensionsError:
            csv_ext = None  # the runner still grades; the TA sees the CSV's error in grade-all
    shifted = Extension(policy.due + shift, "the platform's extension") if shift else None
    due, ext = student_due(policy.due, csv_ext, shifted)
    return policy, due, ext


def with_late(result: SubmissionResult, policy, time: SubmissionTime, due, ext) -> SubmissionResult:
    """The result with its late record (unchanged without a deadline)."""
    record = assess(policy, time, result.score, result.max_score, due, ext)
    return dataclasses.replace(result, late=record) if record is not None else result


__all__ = ["ci_time", "gradescope_time", "student_deadline", "with_late"]

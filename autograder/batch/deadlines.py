"""A class's deadlines in a batch: each student's own deadline (the assignment's, moved by the
course's extensions CSV and a TA's extension in the gradebook) and what their submission's time
costs. Read again on every run, so an extension or a waiver survives every regrade.

A TA's waiver (`autograder review waive`) is an extension up to the submission's recorded time
(to the minute): a record whose deadline is such an extension says the penalty was waived; a
later resubmission is late again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from autograder.assignment import AssignmentConfig, ConfigError
from autograder.batch.discover import Submission
from autograder.deadlines import (Extension, ExtensionsError, LatePolicy, assess, load_policy, read_extensions,
                                  student_due, submission_time)
from autograder.deadlines.extensions import extension_for
from autograder.results import LateRecord, SubmissionResult

TA_SOURCE = "a TA, in the gradebook"
WAIVER_SLACK = timedelta(minutes=1)  # `review waive` extends to the submission's minute


@dataclass
class ClassDeadlines:
    policy: LatePolicy
    csv: dict[str, Extension] = field(default_factory=dict)  # by the CSV's student key
    ta: dict[str, timedelta] = field(default_factory=dict)  # by student id (the gradebook's)

    @property
    def active(self) -> bool:
        return self.policy.due is not None

    def due_of(self, sub: Submission) -> tuple[datetime | None, Extension | None]:
        """The student's own deadline and the extension that set it (None: the assignment's)."""
        base = self.policy.due
        ta = self.ta.get(sub.student)
        ta_ext = Extension(base + ta, TA_SOURCE) if ta and base is not None else None
        return student_due(base, extension_for(self.csv, (sub.student, sub.name, sub.lms_id)), ta_ext)

    def record(self, sub: Submission, result: SubmissionResult) -> LateRecord | None:
        if not self.active:
            return None
        due, ext = self.due_of(sub)
        tz = self.policy.due.tzinfo or timezone.utc
        time = submission_time(sub.submitted_at, sub.time_source, sub.late, tz)
        waived = (ext is not None and ext.source == TA_SOURCE and time.at is not None
                  and timedelta(0) <= ext.until - time.at < WAIVER_SLACK)
        return assess(self.policy, time, result.score, result.max_score, due, ext, waived=waived)

    def phase(self, sub: Submission, now: datetime) -> str:
        """"before" or "after" the student's own deadline at `now` ("" without a deadline): what the
        short-answer feedback a grading writes depends on."""
        due, _ = self.due_of(sub)
        return "" if due is None else ("after" if now >= due else "before")


def class_deadlines(config: AssignmentConfig, extensions: Path | None = None, url: str | None = None) -> ClassDeadlines:
    """The assignment's policy, its extensions CSV (`[deadline] extensions`, beside assignment.toml)
    and `extensions` (grade-all --extensions), and the TA's extensions in the gradebook at `url`.
    Raises ConfigError (a wrong [deadline]) or ExtensionsError (a wrong CSV)."""
    policy = load_policy(config)
    out = ClassDeadlines(policy)
    files = [Path(extensions)] if extensions else []
    if policy.extensions and config.path is not None:
        files.insert(0, config.path.parent / policy.extensions)
    for path in files:
        for key, ext in read_extensions(path, policy.due).items():
            if key not in out.csv or ext.until > out.csv[key].until:
                out.csv[key] = ext
    if url and out.active:
        from autograder.gradebook import read_extensions as gradebook_extensions

        out.ta = gradebook_extensions(url, config.name)
    return out


def penalties_by_notebook(result: SubmissionResult) -> dict[str, float]:
    """The penalty split over the notebooks in proportion to their raw points (nbgrader keeps one
    per notebook), each at most its notebook's points."""
    total = result.penalty
    if total <= 0 or result.score <= 0:
        return {}
    raw: dict[str, float] = {}
    for c in result.checks:
        raw[c.notebook] = raw.get(c.notebook, 0.0) + c.points
    return {nb: round(total * pts / result.score, 4) for nb, pts in raw.items() if pts > 0}


__all__ = ["ClassDeadlines", "ConfigError", "ExtensionsError", "class_deadlines", "penalties_by_notebook"]

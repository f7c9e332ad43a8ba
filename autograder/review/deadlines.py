"""`autograder review extend|waive`: a TA's extension or waiver, stored in the gradebook.

Both are nbgrader's own extension of the student's submission (`SubmittedAssignment.extension`,
autograder.gradebook.deadlines), which grade-all reads on every run and never writes: they hold
in every later regrade and report until changed. A waiver is the extension that reaches the
submission's recorded time, so its penalty goes and a later resubmission is late again.
"""
from __future__ import annotations

import math
import shlex
from datetime import timedelta

from autograder.deadlines.extensions import duration_words
from autograder.deadlines.times import parse_time
from autograder.gradebook import GradebookError, GradebookLocation, recorded, set_extension

NEXT_RUN = "It counts from the next `autograder grade-all` of this class (nothing is regraded for it)."


def _where(location: GradebookLocation) -> str:
    return "".join(f" {shlex.quote(o)}" for o in location.options)


def cmd_review_extend(location: GradebookLocation, assignment: str, student: str, *, days: float | None = None,
                      hours: float | None = None, until: str | None = None, clear: bool = False) -> str:
    """Set (or with `clear` remove) a student's extension: by days and/or hours, or up to a
    date-time. GradebookError for what the gradebook does not know or a wrong value."""
    if clear:
        set_extension(location.url, assignment, student, None)
        return f"{assignment} / {student}: the TA's extension is removed, in the gradebook {location.shown}. {NEXT_RUN}"
    _, due, _ = recorded(location.url, assignment, student)
    if until is not None:
        if due is None:
            raise GradebookError(f"the gradebook has no deadline for {assignment}: grade the class with a [deadline] "
                                 "due date first, or give the extension in days or hours")
        when, _ = parse_time(until, due.tzinfo)
        if when is None:
            raise GradebookError(f"--until {until!r} is not a date-time (e.g. 2025-10-23T12:00:00+08:00)")
        delta = when - due
    else:
        if not (days or hours):
            raise GradebookError("give --days, --hours or --until (or --clear to remove the extension)")
        if (days or 0) < 0 or (hours or 0) < 0:
            raise GradebookError("an extension is 0 or more days and hours")
        delta = timedelta(days=days or 0, hours=hours or 0)
    if delta.total_seconds() <= 0:
        raise GradebookError(f"the new deadline is not after the assignment's ({due.isoformat() if due else '?'})")
    set_extension(location.url, assignment, student, delta)
    new = f" (until {(due + delta).isoformat()})" if due is not None else ""
    return (f"{assignment} / {student}: deadline extended by {duration_words(delta)}{new}, in the gradebook "
            f"{location.shown}. {NEXT_RUN}\nTo undo it:\n    autograder review extend {shlex.quote(assignment)} "
            f"{shlex.quote(student)} --clear{_where(location)}")


def cmd_review_waive(location: GradebookLocation, assignment: str, student: str) -> str:
    """Waive the late penalty of a student's current submission (an extension to its recorded time)."""
    at, due, current = recorded(location.url, assignment, student)
    if at is None:
        raise GradebookError(f"no submission time of {student} is in the gradebook, so no late penalty was computed: "
                             "there is nothing to waive")
    if due is None:
        raise GradebookError(f"the gradebook has no deadline for {assignment}: nothing is late")
    late_by = at - due
    if late_by.total_seconds() <= 0 or (current is not None and due + current >= at):
        return f"{assignment} / {student}: the submission of {at.isoformat()} is not late; nothing to waive."
    delta = timedelta(minutes=math.ceil(late_by.total_seconds() / 60))  # to the submission's minute
    set_extension(location.url, assignment, student, delta)
    return (f"{assignment} / {student}: the late penalty of the submission of {at.isoformat()} "
            f"({duration_words(late_by)} late) is waived: an extension to that time is in the gradebook "
            f"{location.shown}; a later resubmission would be late again. {NEXT_RUN}\nTo undo it:\n"
            f"    autograder review extend {shlex.quote(assignment)} {shlex.quote(student)} --clear{_where(location)}")


__all__ = ["cmd_review_extend", "cmd_review_waive"]

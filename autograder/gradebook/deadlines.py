"""Deadlines in nbgrader's gradebook, in nbgrader's own columns, so that nbgrader's export and
formgrader agree with ours:

- the assignment's `duedate`, each submission's `timestamp` (when it came in) and `extension`
  (a TA's: `autograder review extend|waive`, or nbgrader's own `grant_extension`);
- each submitted notebook's `late_submission_penalty` (nbgrader keeps penalties per notebook and
  its export reports `raw_score`, `late_submission_penalty` and `score = raw - penalty`).

grade-all writes the due date, the times and the penalties on every run; the extension belongs to
the TA and is only read here (so it survives every regrade), and written by `set_extension`.
nbgrader stores times without a zone, in UTC.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping

from autograder.gradebook.schema import exists, open_gradebook, submission_of
from autograder.gradebook.url import GradebookError, db_url_of


def _naive_utc(t: datetime | None) -> datetime | None:
    return None if t is None else t.astimezone(timezone.utc).replace(tzinfo=None)


def _aware(t: datetime | None) -> datetime | None:
    return None if t is None else (t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t)


def read_extensions(db: str | Path, assignment: str) -> dict[str, timedelta]:
    """The extensions the gradebook holds for an assignment, by student ({} without a gradebook)."""
    url = db_url_of(db)
    if not _has_tables(url):  # no gradebook yet (or the empty file a first connection leaves)
        return {}
    from nbgrader.api import MissingEntry

    gb = open_gradebook(url)
    try:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            return {}
        return {sub.student.id: sub.extension for sub in a.submissions if sub.extension}
    finally:
        gb.close()


def _has_tables(url: str) -> bool:
    if not exists(url):
        return False
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url, future=True)
    try:
        return "submitted_assignment" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def write_lateness(url: str, assignment: str, due: datetime | None,
                   submissions: Mapping[str, tuple[datetime | None, Mapping[str, float]]]) -> None:
    """The due date, and for each student (whose submission the gradebook has) the time it came in
    and the penalty of each notebook. The TA's extensions are left as they are."""
    gb = open_gradebook(url)
    try:
        a = gb.find_assignment(assignment)
        a.duedate = _naive_utc(due)
        for student, (at, penalties) in submissions.items():
            sub = submission_of(gb, assignment, student)
            sub.timestamp = _naive_utc(at)
            for snb in sub.notebooks:
                penalty = float(penalties.get(snb.notebook.name, 0.0))
                snb.late_submission_penalty = round(penalty, 4) if penalty > 0 else None
        gb.db.commit()
    finally:
        gb.close()


def recorded(db: str | Path, assignment: str, student: str) -> tuple[datetime | None, datetime | None, timedelta | None]:
    """What the gradebook holds for a student's submission: (when it came in, the assignment's due
    date, the TA's extension). GradebookError for an unknown assignment or student."""
    from nbgrader.api import MissingEntry

    gb = open_gradebook(db_url_of(db))
    try:
        a = _assignment(gb, assignment)
        _student(gb, student)
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return None, _aware(a.duedate), None
        return _aware(sub.timestamp), _aware(a.duedate), sub.extension
    finally:
        gb.close()


def set_extension(db: str | Path, assignment: str, student: str, extension: timedelta | None) -> None:
    """Store (or with None remove) a TA's extension of a student's deadline. GradebookError for a
    gradebook, assignment or student it does not know (none is created)."""
    if extension is not None and extension.total_seconds() <= 0:
        raise GradebookError(f"an extension must be positive, got {extension}")
    gb = open_gradebook(db_url_of(db))
    try:
        _assignment(gb, assignment)
        _student(gb, student)
        sub = submission_of(gb, assignment, student)
        sub.extension = extension
        gb.db.commit()
    finally:
        gb.close()


def _assignment(gb, assignment: str):
    from nbgrader.api import MissingEntry

    try:
        return gb.find_assignment(assignment)
    except MissingEntry:
        known = ", ".join(sorted(a.name for a in gb.assignments)) or "none"
        raise GradebookError(f"the gradebook has no assignment {assignment!r} (it has: {known})") from None


def _student(gb, student: str) -> None:
    import difflib

    from nbgrader.api import MissingEntry

    try:
        gb.find_student(student)
    except MissingEntry:
        near = difflib.get_close_matches(student, sorted(s.id for s in gb.students), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise GradebookError(f"no student {student!r} in the gradebook{hint} (student ids are as grade-all lists "
                             "them in grades.csv)") from None


__all__ = ["read_extensions", "recorded", "set_extension", "write_lateness"]

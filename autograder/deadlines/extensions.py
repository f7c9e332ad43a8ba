"""Per-student extensions, and a student's own deadline.

A course declares extensions in a CSV (`[deadline] extensions`, or `grade-all --extensions`):

    student,days,hours,due,reason
    alice,2,,,illness
    bob_12345,,12,,
    dave,,,2025-10-23T12:00:00+08:00,

`student` is the student id as grade-all lists it (or the name or LMS id the export has); the new
deadline is `due` (a date-time with its zone; without one the deadline's zone is assumed) or the
deadline moved by `days` and/or `hours`. A TA's extension (`autograder review extend`, stored in
the gradebook as nbgrader's own) counts too: a student's deadline is the latest of them.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Mapping

from autograder.deadlines.times import parse_time

STUDENT_COLUMNS = ("student", "id", "student_id", "username", "login", "lms_id", "name")


class ExtensionsError(ValueError):
    """The extensions CSV cannot be used; the message names the file, the line and what to fix."""


@dataclass(frozen=True)
class Extension:
    until: datetime  # the student's own deadline
    source: str  # "extensions.csv, line 3", "a TA (review extend)"

    def words(self, base: datetime | None) -> str:
        """The extension for a reader: "2 days 3 h (extensions.csv, line 3)"."""
        if base is None:
            return f"until {self.until.isoformat()} ({self.source})"
        return f"{duration_words(self.until - base)} ({self.source})"


def duration_words(delta: timedelta) -> str:
    seconds = max(0, int(round(delta.total_seconds())))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} day{'s' if days != 1 else ''}" if days else "", f"{hours} h" if hours else "",
             f"{minutes} min" if minutes and not days else ""]
    return " ".join(p for p in parts if p) or f"{seconds} s"


def _number(value: str, where: str, what: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise ExtensionsError(f"{where}: {what} {value!r} is not a number") from None
    if not x >= 0:
        raise ExtensionsError(f"{where}: {what} {value!r} must be 0 or more")
    return x


def read_extensions(path: Path, base_due: datetime | None) -> dict[str, Extension]:
    """Extensions by the student key the CSV gives (match them with `extension_for`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ExtensionsError(f"extensions {path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        return {}
    head = [h.strip().lower() for h in rows[0]]
    key = next((c for c in STUDENT_COLUMNS if c in head), None)
    if key is None or not {"due", "days", "hours"} & set(head):
        raise ExtensionsError(f"extensions {path}: the first line must name a student column ({', '.join(STUDENT_COLUMNS)}) "
                              "and due, days or hours")
    out: dict[str, Extension] = {}
    for n, row in enumerate(rows[1:], start=2):
        cells = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(head)}
        who, where = cells.get(key, ""), f"extensions {path.name}, line {n}"
        given = [c for c in ("due", "days", "hours") if cells.get(c)]
        if not who or not given:
            continue
        if "due" in given:
            if len(given) > 1:
                raise ExtensionsError(f"{where}: give either due, or days and hours, not both")
            until, _ = parse_time(cells["due"], base_due.tzinfo if base_due else timezone.utc)
            if until is None:
                raise ExtensionsError(f"{where}: due {cells['due']!r} is not a date-time (e.g. 2025-10-23T12:00:00+08:00)")
        else:
            if base_due is None:
                raise ExtensionsError(f"{where}: an extension in days or hours needs the assignment's deadline "
                                      "([deadline] due in assignment.toml)")
            until = base_due + timedelta(days=_number(cells.get("days") or "0", where, "days"),
                                         hours=_number(cells.get("hours") or "0", where, "hours"))
        if who in out:
            raise ExtensionsError(f"{where}: {who!r} has an extension on an earlier line already")
        out[who] = Extension(until, f"{path.name}, line {n}")
    return out


def extension_for(extensions: Mapping[str, Extension], keys: Iterable[str | None]) -> Extension | None:
    """The extension of the first of a student's keys (id, name, LMS id) the CSV names."""
    for k in keys:
        if k and k in extensions:
            return extensions[k]
    return None


def student_due(base: datetime | None, *extensions: Extension | None) -> tuple[datetime | None, Extension | None]:
    """A student's own deadline: the latest of the deadline and their extensions (and which one)."""
    best, which = base, None
    for ext in extensions:
        if ext is not None and (best is None or ext.until > best):
            best, which = ext.until, ext
    return best, which


__all__ = ["Extension", "ExtensionsError", "duration_words", "extension_for", "read_extensions", "student_due"]

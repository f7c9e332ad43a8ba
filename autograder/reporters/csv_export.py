"""The class's grades as CSV, in two shapes.

`grades.csv`, the full export: a row per student, a column per check and per question.
Columns, in this order (names are stable across runs and classes of the same assignment):

    student, status, total, max_total,
    <notebook stem> ...                   notebook totals
    <grade_id> ...                        one per grade cell / question, in assignment order
    <grade_id> | <check name> ...         one per check: its points (auto-graded); a grade cell
                                          that could not be graded (its notebook missing or
                                          unreadable) leaves its checks' columns empty
    overridden, grader_errors, reason,    reason: why (part of) the submission was not graded
    files, late, lms_id, name             which file was graded where there were several; the
                                          LMS's late mark, user id and the student's name
    submitted_at, due, days_late,         only when the assignment has a deadline ([deadline]):
    late_penalty, final_total             when it came in (empty: unknown), the student's own
                                          deadline, the days (or parts) late, the points the late
                                          policy takes, and total - late_penalty

Scores are exact (4 decimals); `total` and the cell columns are the raw scores, before any late
penalty. `grades_import.csv` (`render_import`) is shaped for a gradebook import: one row per
student, the LMS id first, one column per grade cell, scores rounded to the assignment's
`[results] score_decimals` (default 2), a student without a submission at 0; with a deadline it
ends with `late_penalty` and `final_total` (the score to import).

`status` is `graded`, `ungradable` (zero, with the reason), `missing` (a student of the
roster or gradebook without a submission: empty scores) or `pending` (submitted, not graded
yet: `grade-all --student` graded someone else). Scores are those of the results given: pass
results through `autograder.review.apply_overrides` and a TA's score replaces the automatic one
(`overridden` names those grade cells).

Written with the csv module, so commas, quotes and newlines in names survive; text that a
spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is quoted with a leading `'`.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from autograder.reporters.escape import csv_cell
from autograder.results import NOT_GRADED, SubmissionResult

GRADED, UNGRADABLE, MISSING, PENDING = "graded", "ungradable", "missing", "pending"
HEAD = ["student", "status", "total", "max_total"]
TAIL = ["overridden", "grader_errors", "reason", "files", "late", "lms_id", "name"]
IMPORT_HEAD = ["lms_id", "student", "name"]
IMPORT_TAIL = ["total", "max_total", "status", "late"]
DEADLINE_TAIL = ["submitted_at", "due", "days_late", "late_penalty", "final_total"]


@dataclass(frozen=True)
class ClassRow:
    student: str
    status: str  # GRADED, UNGRADABLE, MISSING or PENDING
    result: SubmissionResult | None = None
    reason: str = ""
    name: str = ""  # as SUBMISSIONS has it
    lms_id: str | None = None
    late: bool = False


@dataclass(frozen=True)
class Cell:
    notebook: str
    grade_id: str
    max_points: float


def _num(x: float | None) -> str:
    return "" if x is None else f"{round(x, 4):g}"


_text = csv_cell  # student text (reasons, names) as a cell: escape.py


def cells_from_results(results: Iterable[SubmissionResult]) -> list[Cell]:
    """Grade cells in order of first appearance (when no assignment config is at hand)."""
    seen: dict[str, Cell] = {}
    for r in results:
        for gid, checks in r.by_grade_id().items():
            if gid not in seen:
                seen[gid] = Cell(checks[0].notebook, gid, round(sum(c.max_points for c in checks), 4))
    return list(seen.values())


def check_columns(rows: Sequence[ClassRow], cells: Sequence[Cell]) -> list[str]:
    """One column per check of the graded submissions, grade cell by grade cell in assignment
    order, then in the order the checks ran; placeholders of ungraded cells make no column."""
    order = {c.grade_id: i for i, c in enumerate(cells)}
    found: dict[str, tuple[int, int]] = {}
    for row in rows:
        if row.status != GRADED or row.result is None:
            continue
        pos: dict[str, int] = {}
        for key, check in zip(_keys(row.result), row.result.checks):
            if NOT_GRADED in check.tags:
                continue
            rank = (order.get(check.grade_id, len(order)), pos.setdefault(check.grade_id, 0))
            pos[check.grade_id] += 1
            if key not in found or rank < found[key]:
                found[key] = rank
    return sorted(found, key=lambda k: (found[k], k))


def _keys(result: SubmissionResult) -> list[str]:
    keys, count = [], {}
    for c in result.checks:
        key = f"{c.grade_id} | {c.name}"
        count[key] = count.get(key, 0) + 1
        keys.append(key if count[key] == 1 else f"{key} #{count[key]}")
    return keys


def _deadline_cells(row: ClassRow) -> list[str]:
    late = row.result.late if row.result is not None and row.status in (GRADED, UNGRADABLE) else None
    if late is None:
        return [""] * len(DEADLINE_TAIL)
    return [late.submitted_at or "", late.due, str(late.days) if late.submitted_at else "", _num(late.penalty),
            _num(row.result.final_score)]


def render(rows: Sequence[ClassRow], cells: Sequence[Cell] | None = None, deadline: bool = False) -> list[list[str]]:
    """The CSV as a list of rows of strings (the header first); `deadline`: with the columns of
    the late policy."""
    rows = sorted(rows, key=lambda r: r.student)
    cells = list(cells) if cells is not None else cells_from_results(r.result for r in rows if r.result)
    notebooks = list(dict.fromkeys(c.notebook for c in cells))
    checks = check_columns(rows, cells)
    header = HEAD + notebooks + [c.grade_id for c in cells] + checks + TAIL + (DEADLINE_TAIL if deadline else [])
    out = [header]
    extra = _deadline_cells if deadline else (lambda row: [])
    max_total = round(sum(c.max_points for c in cells), 4)
    for row in rows:
        line = [row.student, row.status]
        if row.status in (MISSING, PENDING) or row.result is None:
            out.append(line + ["", _num(max_total)] + [""] * (len(notebooks) + len(cells) + len(checks))
                       + ["", "", _text(row.reason or "no submission"), "", _late(row), row.lms_id or "",
                          _text(row.name)] + extra(row))
            continue
        by_gid = row.result.by_grade_id()
        cell_score = {c.grade_id: round(sum(x.points for x in by_gid.get(c.grade_id, [])), 4) for c in cells}
        overridden = [c.grade_id for c in cells
                      if any(isinstance(x.details.get("override"), dict) for x in by_gid.get(c.grade_id, []))]
        nb_score = {nb: round(sum(cell_score[c.grade_id] for c in cells if c.notebook == nb), 4) for nb in notebooks}
        total = round(sum(cell_score.values()), 4)
        points = dict(zip(_keys(row.result), (c.points for c in row.result.checks)))
        graded = row.status == GRADED
        line += [_num(total), _num(max_total)]
        line += [_num(nb_score[nb]) for nb in notebooks]
        line += [_num(cell_score[c.grade_id]) for c in cells]
        line += [_num(points.get(k)) if graded else "" for k in checks]
        line += [";".join(overridden), str(len(row.result.grader_errors)), _text(row.reason),
                 _text("; ".join(row.result.choices)), _late(row), row.lms_id or "", _text(row.name)]
        out.append(line + extra(row))
    return out


def _late(row: ClassRow) -> str:
    return "late" if row.late else ""


def _rounded(x: float, decimals: int) -> str:
    text = f"{round(x, decimals):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def render_import(rows: Sequence[ClassRow], cells: Sequence[Cell], decimals: int = 2,
                  deadline: bool = False) -> list[list[str]]:
    """The gradebook-import CSV as rows of strings: LMS id, student, name, one column per grade
    cell, total, max_total, status, late (and late_penalty, final_total with a deadline). Scores
    rounded to `decimals`; a missing student 0."""
    header = IMPORT_HEAD + [c.grade_id for c in cells] + IMPORT_TAIL + (["late_penalty", "final_total"] if deadline else [])
    out = [header]
    max_total = _rounded(sum(c.max_points for c in cells), decimals)
    for row in sorted(rows, key=lambda r: r.student):
        line = [row.lms_id or "", row.student, _text(row.name)]
        if row.status == PENDING or (row.result is None and row.status != MISSING):
            line += [""] * len(cells) + ["", max_total]
        else:
            by_gid = row.result.by_grade_id() if row.result is not None else {}
            scores = [sum(x.points for x in by_gid.get(c.grade_id, [])) for c in cells]
            line += [_rounded(x, decimals) for x in scores] + [_rounded(sum(scores), decimals), max_total]
        line += [row.status, _late(row)]
        if deadline:
            result = row.result if row.result is not None else None
            scored = result is not None or row.status == MISSING
            line += [_rounded(result.penalty if result else 0.0, decimals) if scored else "",
                     _rounded(result.final_score if result else 0.0, decimals) if scored else ""]
        out.append(line)
    return out


def dumps(rows: Sequence[ClassRow], cells: Sequence[Cell] | None = None, deadline: bool = False) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(render(rows, cells, deadline))
    return buf.getvalue()


def write(path: Path, rows: Sequence[ClassRow], cells: Sequence[Cell] | None = None, deadline: bool = False) -> Path:
    from autograder.files import atomic_write

    return atomic_write(path, dumps(rows, cells, deadline))


def write_import(path: Path, rows: Sequence[ClassRow], cells: Sequence[Cell], decimals: int = 2,
                 deadline: bool = False) -> Path:
    from autograder.files import atomic_write

    buf = io.StringIO()
    csv.writer(buf).writerows(render_import(rows, cells, decimals, deadline))
    return atomic_write(path, buf.getvalue())

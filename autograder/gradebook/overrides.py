"""TA scores that win over the automatic ones: stored in the gradebook, laid over results.

A TA's score is stored as the *manual score* (and *manual comment*) of that grade cell for that
student, exactly where nbgrader's formgrader keeps a person's score. `apply_overrides` lays the
stored scores over a fresh automatic result, so a TA's score wins in every later regrade and
report until it is cleared (`clear_override`), which brings the automatic score back.

Only a gradebook that exists is written (grade-all creates it), and only for a student and a
grade cell it knows: a typo is refused with the close matches, never stored as a new student.
"""
from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any, Mapping

from autograder.gradebook.reads import Override
from autograder.gradebook.schema import open_gradebook, submission_of
from autograder.gradebook.url import GradebookError, db_url_of
from autograder.results import CheckResult, Status, SubmissionResult

TA_NOTE = "Score set by a TA"


def _close(word: str, known: list[str]) -> str:
    near = difflib.get_close_matches(word, known, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(near)}?" if near else ""


def _known(gb, assignment: str, student: str, grade_id: str, comment_cell: str | None = None):
    """The assignment row, the student and the grade cell, each refused when the gradebook does
    not know it. Returns (grade cell, its notebook name, the solution cell its comments go on, or
    None when unknown: `comment_cell`, from the manifest, or the answer cell itself)."""
    from nbgrader.api import Assignment, GradeCell, MissingEntry, Notebook

    try:
        gb.find_assignment(assignment)
    except MissingEntry:
        known = sorted(a.name for a in gb.assignments)
        raise GradebookError(f"the gradebook has no assignment {assignment!r} (it has: {', '.join(known) or 'none'})"
                             f"{_close(assignment, known)}") from None
    try:
        gb.find_student(student)
    except MissingEntry:
        known = sorted(s.id for s in gb.students)
        raise GradebookError(f"no student {student!r} in the gradebook{_close(student, known)} "
                             "(student ids are as grade-all lists them in grades.csv)") from None
    cells = (gb.db.query(GradeCell).join(Notebook, GradeCell.notebook_id == Notebook.id)
             .join(Assignment, Assignment.id == Notebook.assignment_id)
             .filter(GradeCell.name == grade_id, Assignment.name == assignment).all())
    if not cells:
        known = sorted({c.name for nb in gb.find_assignment(assignment).notebooks for c in nb.grade_cells})
        raise GradebookError(f"no grade cell {grade_id!r} in {assignment}{_close(grade_id, known)}")
    if len(cells) > 1:
        raise GradebookError(f"{grade_id} is in several notebooks of {assignment}; the gradebook is inconsistent")
    cell = cells[0]
    sol = comment_cell or (cell.name if cell.cell_type == "markdown" else None)
    return cell, cell.notebook.name, sol


def set_override(db: str | Path, assignment: str, student: str, grade_id: str, score: float | str,
                 comment: str | None = None, comment_cell: str | None = None) -> Override:
    """Store a TA's score (and comment) for one grade cell of one student; it replaces the
    automatic score until cleared. Raises GradebookError (no gradebook, unknown student or cell,
    a score out of range). `comment_cell`: the solution cell a code cell's comment goes on
    (`schema.comment_cells` of the assignment); needed for a comment on a code grade cell."""
    try:
        score = float(score)
    except (TypeError, ValueError):
        raise GradebookError(f"the score must be a number, got {score!r}") from None
    if score != score or score < 0:
        raise GradebookError(f"the score must be 0 or more, got {score:g}")
    gb = open_gradebook(db_url_of(db))
    try:
        cell, notebook, sol = _known(gb, assignment, student, grade_id, comment_cell)
        if comment and sol is None:
            raise GradebookError(f"{grade_id} is a code cell: its comment goes on its solution cell, which the "
                                 "course's manifest names; run the command in the course folder (or give --course)")
        mx = float(cell.max_score)
        if score > mx + 1e-9:
            raise GradebookError(f"the score {score:g} is above the {mx:g} points of {grade_id}")
        submission_of(gb, assignment, student)  # a roster student without a submission gets the rows
        grade = gb.find_grade(grade_id, notebook, assignment, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        if sol is not None:
            gb.find_comment(sol, notebook, assignment, student).manual_comment = comment or None
        gb.db.commit()
        return Override(grade_id, notebook, score, comment or None, mx)
    finally:
        gb.close()


def clear_override(db: str | Path, assignment: str, student: str, grade_id: str,
                   comment_cell: str | None = None) -> bool:
    """Remove a TA's score and comment so that the automatic score counts again. Returns whether
    there was one. Raises GradebookError like `set_override`."""
    from nbgrader.api import MissingEntry

    gb = open_gradebook(db_url_of(db))
    try:
        _, notebook, sol = _known(gb, assignment, student, grade_id, comment_cell)
        try:
            grade = gb.find_grade(grade_id, notebook, assignment, student)
        except MissingEntry:
            return False  # no submission: nothing was set
        had = grade.manual_score is not None
        grade.manual_score = None
        grade.needs_manual_grade = grade.auto_score is None
        try:
            if sol is not None:
                com = gb.find_comment(sol, notebook, assignment, student)
                had = had or com.manual_comment is not None
                com.manual_comment = None
        except MissingEntry:
            pass
        gb.db.commit()
        return had
    finally:
        gb.close()


# -- laying the stored scores over results --------------------------------------------------------


def _overridden(check: CheckResult, ov: Override, share: float) -> CheckResult:
    pts = round(min(check.max_points, max(0.0, ov.score * share)), 4)
    mx = ov.max_score if ov.max_score is not None else check.max_points
    msg = f"{TA_NOTE}: {ov.score:g}/{mx:g} points. / 助教评分：{ov.score:g}/{mx:g} 分。"
    if ov.comment:
        msg += f"\nTA's comment / 助教评语: {ov.comment}"
    if check.message:
        msg += "\n\nAutomatic feedback (before review) / 自动反馈（复核前）:\n" + check.message
    details: dict[str, Any] = dict(check.details)
    details["override"] = {"score": ov.score, "comment": ov.comment, "automatic_points": check.points}
    return dataclasses.replace(
        check,
        points=pts,
        status=Status.PASSED if pts >= check.max_points - 1e-9 else Status.FAILED,
        message=msg,
        flagged=False,
        details=details,
    )


def apply_overrides(result: SubmissionResult, overrides: Mapping[str, Override]) -> SubmissionResult:
    """A copy of `result` whose checks of overridden grade cells carry the TA's score (split over
    the checks of that grade cell in proportion to their max points), a message saying that a TA
    set it with the comment, and flagged = False. The input is not changed."""
    if not overrides:
        return dataclasses.replace(result, checks=list(result.checks))
    by_gid = result.by_grade_id()
    new_checks: list[CheckResult] = []
    for c in result.checks:
        ov = overrides.get(c.grade_id)
        if ov is None:
            new_checks.append(c)
            continue
        total = sum(x.max_points for x in by_gid[c.grade_id]) or 1.0
        new_checks.append(_overridden(c, ov, c.max_points / total))
    return dataclasses.replace(result, checks=new_checks)

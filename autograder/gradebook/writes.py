"""A class's automatic scores and comments into the gradebook, per grade cell, TA scores kept.

For each submission:

- the assignment, its notebooks, grade cells and solution cells are created from the manifest
  when the gradebook lacks them (each code grade cell with the solution cells before it in its
  notebook, whatever their ids; markdown answer cells, which are grade and solution cell at
  once, as nbgrader makes them);
- students missing from the gradebook are added;
- each grade cell's `auto_score` is the sum of our checks' points for that grade_id, and the
  comment on its (last) solution cell (`auto_comment`) lists the checks' verdicts and messages;
- a TA's override is never touched: `manual_score`, `extra_credit` and `manual_comment` belong
  to the TA (formgrader, or `autograder review`);
- a flagged short answer that no TA has scored yet is marked `needs_manual_grade`, which
  formgrader lists as "needs manual grade".

Writing is idempotent: writing the same results twice leaves the same gradebook.
"""
from __future__ import annotations

from typing import Iterable

from autograder.assignment import AssignmentConfig
from autograder.gradebook.reads import GradebookState, state_of
from autograder.gradebook.schema import comment_cells, ensure_assignment, ensure_student, open_gradebook, submission_of
from autograder.results import CheckResult, Status, SubmissionResult


def comment_for(checks: list[CheckResult]) -> str:
    """Plain-text comment for one grade cell: each check's verdict and its message."""
    lines = []
    for c in checks:
        mark = {"passed": "✓", "failed": "✗", "error": "!"}[c.status.value]
        line = f"{mark} [{c.points:g}/{c.max_points:g}] {c.name}"
        if c.status is not Status.PASSED and c.message:
            line += f" — {c.message.strip()}"
        elif c.message:
            line += f" ({c.message.strip()})"
        if c.hint and c.status is not Status.PASSED:  # a known mistake's hint, as the student reads it
            line += "\n  " + c.hint.replace("\n", "\n  ")
        if c.flagged:
            line += " [flagged for a TA's review]"
        lines.append(line)
    return "\n".join(lines)


def write_gradebook(url: str, config: AssignmentConfig, results: Iterable[SubmissionResult],
                    students: Iterable[str] = ()) -> GradebookState:
    """Write every result's scores and comments; add `students` (a roster) too. Creates the
    gradebook when missing. Returns what the gradebook then holds for the assignment (with any
    TA overrides)."""
    gb = open_gradebook(url, create=True)
    try:
        ensure_assignment(gb, config)
        sols = comment_cells(config)
        for s in students:
            ensure_student(gb, s)
        for result in results:
            if not result.student:
                raise ValueError("a result without a student id cannot go into the gradebook")
            ensure_student(gb, result.student)
            sub = submission_of(gb, config.name, result.student)
            by_gid = result.by_grade_id()
            for snb in sub.notebooks:
                cells = _cells_of(config, snb.notebook.name)
                for grade in snb.grades:
                    checks = by_gid.get(grade.cell.name, [])
                    grade.auto_score = round(sum(c.points for c in checks), 4) if checks else 0.0
                    if grade.manual_score is None:
                        # Flagged answers wait for a TA; everything else is settled by the checks.
                        grade.needs_manual_grade = any(c.flagged for c in checks)
                comments = {c.cell.name: c for c in snb.comments}
                for gid in cells:
                    comment = comments.get(sols.get(gid, ""))
                    if comment is None:
                        continue
                    if gid in by_gid:
                        comment.auto_comment = comment_for(by_gid[gid])
                    else:
                        reason = "; ".join(result.format_errors) or "no check ran for this cell"
                        comment.auto_comment = f"not graded: {reason}"
            gb.db.commit()
        return state_of(gb, config.name, sols)
    finally:
        gb.close()


def _cells_of(config: AssignmentConfig, stem: str) -> tuple[str, ...]:
    for nb in config.notebooks:
        if nb.stem == stem:
            return (*nb.grade_cells, *nb.answer_cells)
    return ()

"""The records of what could not be graded: one definition, light to import (no torch), so that
the batch can write a crashed student's record without loading the engine."""
from __future__ import annotations

from autograder.assignment import AssignmentConfig, NotebookSpec
from autograder.results import NOT_GRADED, CheckResult, Status, SubmissionResult


def not_graded(nb: NotebookSpec, grade_id: str, message: str) -> CheckResult:
    """A grade cell's placeholder: 0 of its points, with why (tagged NOT_GRADED)."""
    # Short answers' points come from the rubric once graded; the config holds the cell points.
    return CheckResult(name=f"{grade_id}: not graded", grade_id=grade_id, notebook=nb.stem, points=0.0,
                       max_points=float(nb.cell_points.get(grade_id, 0.0)), status=Status.FAILED, message=message,
                       tags=(NOT_GRADED,))


def ungradable_result(config: AssignmentConfig, student: str | None, reason: str, device: str = "cpu",
                      grader_errors: list[str] | None = None) -> SubmissionResult:
    """A zero record for a submission that could not be graded: every cell at 0, with the reason."""
    checks = [not_graded(nb, gid, f"not graded: {reason}")
              for nb in config.notebooks for gid in (*nb.grade_cells, *nb.answer_cells)]
    return SubmissionResult(assignment=config.name, student=student, checks=checks, gradable=False,
                            format_errors=[reason], device=device, grader_errors=list(grader_errors or []))

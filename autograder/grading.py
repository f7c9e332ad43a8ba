"""Grade one submission: recognise its notebooks, run the checks against sandboxed workers,
grade the short answers, and write the results files."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from autograder.assignment import AssignmentConfig, ConfigError, NotebookSpec, load_assignment
from autograder.course import AssignmentPaths
from autograder.engine.content import check_layout
from autograder.engine.plugin import ResultsPlugin, Selection
from autograder.engine.run import run_checks
from autograder.engine.session import SubmissionSession
from autograder.notebooks import Recognition, recognise
from autograder.results import CheckResult, Status, SubmissionResult, Visibility
from autograder.sandbox import Limits


@dataclass(frozen=True)
class GradeRequest:
    submission: Path  # a folder of notebooks or one .ipynb
    device: str = "cpu"  # already resolved: "cpu" or "cuda"
    public_only: bool = False  # `autograder check`: public checks of the notebooks present
    student: str | None = None
    limits: Limits = Limits()
    now: datetime | None = None  # when the student's feedback is decided (short answers); None: the clock


def grade_submission(request: GradeRequest, paths: AssignmentPaths,
                     extra_hidden: Sequence[Path] = ()) -> SubmissionResult:
    started = time.perf_counter()
    config = load_assignment(paths.config_file)
    rec = recognise(request.submission, config)
    result = SubmissionResult(assignment=config.name, student=request.student, device=request.device)
    result.notes += rec.notes
    if not rec.found:
        reasons = rec.problems or ["no notebook of the assignment was found"]
        ungradable = ungradable_result(config, request.student, reasons[0], request.device)
        result.gradable, result.format_errors, result.checks = False, reasons, ungradable.checks
    else:
        result.checks, result.grader_errors, notes, result.grader_warnings = _run_code_checks(
            request, paths, config, rec, extra_hidden)
        result.notes += rec.problems + notes
        if not request.public_only:
            result.checks += _short_answers(config, rec, paths, request.now or datetime.now(timezone.utc))
    result.execution_time_s = round(time.perf_counter() - started, 2)
    return result


def _run_code_checks(request: GradeRequest, paths: AssignmentPaths, config: AssignmentConfig,
                     rec: Recognition, extra_hidden: Sequence[Path]):
    # The worker must not see the course (solutions, checks, rubrics), nor where the
    # submission and the results live.
    hide = [paths.course_root, request.submission.resolve().parent, *extra_hidden]
    session = SubmissionSession(rec, request.limits, request.device, hide)
    selection = Selection(public_only=request.public_only,
                          notebooks=frozenset(rec.found) if request.public_only else None)
    visibility = Visibility(config.sections.get("results", {}).get("hidden_check_visibility", "visible"))
    plugin = ResultsPlugin(session, config, request.device, selection, hidden_visibility=visibility)
    try:
        session.warm_up(sorted(rec.found))
        run_checks(check_layout(paths.checks, config), plugin)
        warnings = session.isolation_warnings()
    finally:
        session.close()
    order = {g: i for i, g in enumerate(g for nb in config.notebooks for g in nb.grade_cells)}
    checks = sorted(plugin.results, key=lambda c: order.get(c.grade_id, len(order)))
    return checks, plugin.grader_errors, session.notes, warnings


def _short_answers(config: AssignmentConfig, rec: Recognition, paths: AssignmentPaths, now: datetime) -> list[CheckResult]:
    """Rubric scores of the markdown answer cells. Only the notebook's text is read: no
    submission code runs for this, so it needs no sandbox. What the student-facing messages may
    show follows the course's [short_answer_feedback] setting at `now`."""
    from autograder.shortanswers import FeedbackPolicy, FeedbackPolicyError, feedback_level, grade_short_answers

    try:
        policy = FeedbackPolicy.from_mapping(config.sections.get("short_answer_feedback", {}),
                                             f"{config.path}: [short_answer_feedback]")
    except FeedbackPolicyError as e:
        raise ConfigError(str(e)) from None
    level = feedback_level(policy, now)
    out: list[CheckResult] = []
    for nb in config.notebooks:
        if not nb.answer_cells:
            continue
        sub = rec.found.get(nb.stem)
        if sub is None:
            out += [_record(nb, gid, 0.0, f"not graded: notebook {nb.stem} was not found in your submission")
                    for gid in nb.answer_cells]
            continue
        release = paths.release / f"{nb.stem}.ipynb"
        graded = grade_short_answers(sub.nb, paths.rubrics_file, release if release.exists() else None,
                                     notebook=nb.stem, level=level)
        out += [c for c in graded if c.grade_id in nb.answer_cells]
    return out


def ungradable_result(config: AssignmentConfig, student: str | None, reason: str, device: str = "cpu",
                      grader_errors: list[str] | None = None) -> SubmissionResult:
    """A zero record for a submission that could not be graded: every cell at 0, with the reason."""
    checks = [_record(nb, gid, 0.0, f"not graded: {reason}")
              for nb in config.notebooks for gid in (*nb.grade_cells, *nb.answer_cells)]
    return SubmissionResult(assignment=config.name, student=student, checks=checks, gradable=False,
                            format_errors=[reason], device=device, grader_errors=list(grader_errors or []))


def _record(nb: NotebookSpec, grade_id: str, points: float, message: str) -> CheckResult:
    max_points = _cell_points(nb, grade_id)
    return CheckResult(name=f"{grade_id}: not graded", grade_id=grade_id, notebook=nb.stem,
                       points=points, max_points=max_points, status=Status.FAILED, message=message)


def _cell_points(nb: NotebookSpec, grade_id: str) -> float:
    # Short answers' points come from the rubric once graded; the config holds the cell points.
    return float(nb.cell_points.get(grade_id, 0.0))

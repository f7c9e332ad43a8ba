"""Grade one submission: recognise its notebooks, run the checks against sandboxed workers,
grade the short answers, and write the results files."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from autograder.assignment import AssignmentConfig, ConfigError, load_assignment
from autograder.course import AssignmentPaths
from autograder.engine.content import check_layout
from autograder.engine.plugin import ResultsPlugin, Selection
from autograder.engine.run import run_checks
from autograder.engine.session import SubmissionSession
from autograder.engine.timing import REFERENCES, Timeline
from autograder.notebooks import Recognition, recognise
from autograder.not_graded import not_graded, ungradable_result
from autograder.results import NOT_GRADED, CheckResult, Status, SubmissionResult, Visibility
from autograder.sandbox import Limits
from autograder.sandbox.launchers import prestart


@dataclass(frozen=True)
class GradeRequest:
    submission: Path  # a folder of notebooks or one .ipynb
    device: str = "cpu"  # already resolved: "cpu" or "cuda"
    public_only: bool = False  # `autograder check`: public checks of the notebooks present
    student: str | None = None
    limits: Limits | None = None  # None: the assignment's [limits]
    now: datetime | None = None  # when the student's feedback is decided (short answers); None: the clock
    due: datetime | None = None  # the student's own deadline (an extension); None: the assignment's [deadline]


def grade_submission(request: GradeRequest, paths: AssignmentPaths,
                     extra_hidden: Sequence[Path] = ()) -> SubmissionResult:
    timeline = Timeline()
    prestart(request.device)  # the fork server's imports overlap the notebooks' recognition
    _one_thread()
    config = load_assignment(paths)
    if config.public_only and not request.public_only:
        raise ConfigError(f"{paths.release} is a release without grading material: only its public checks can run "
                          f"(`autograder check`); grading needs source/{paths.name}/grading/")
    with timeline.phase("recognise notebooks"):
        rec = recognise(request.submission, config)
    result = SubmissionResult(assignment=config.name, student=request.student, device=request.device)
    result.notes += rec.notes
    result.choices = list(rec.choices)
    if not rec.found:
        reasons = rec.problems or ["no notebook of the assignment was found"]
        ungradable = ungradable_result(config, request.student, reasons[0], request.device)
        result.gradable, result.format_errors, result.checks = False, reasons, ungradable.checks
    else:
        # The short answers need no sandbox: they are scored while the workers start.
        answers = None if request.public_only else (
            lambda: _short_answers(config, rec, paths, request.now or datetime.now(timezone.utc), request.due))
        checks, short, result.grader_errors, notes, result.grader_warnings = _run_code_checks(
            request, paths, config, rec, extra_hidden, timeline, answers)
        # A notebook whose file could not be read: its reason is said once, first (format_errors),
        # and its checks point to it instead of each saying the notebook was not found.
        result.format_errors = list(rec.unreadable.values())
        result.checks = [_unreadable(c, rec.unreadable[c.notebook]) if c.notebook in rec.unreadable else c
                         for c in checks]
        result.notes += [p for p in rec.problems if p not in rec.unreadable.values()] + notes
        result.checks += short
    timeline.add("total", "", timeline.t0, time.perf_counter() - timeline.t0)
    result.timings = timeline.phases()
    result.execution_time_s = round(time.perf_counter() - timeline.t0, 2)
    return result


def _one_thread() -> None:
    """The grading process's own torch work (references, judging) runs on one thread: the
    workers train on the cores, and a second thread here only spins against them on a busy
    machine (an idle wait of OpenMP threads, seconds per check under load)."""
    import torch

    torch.set_num_threads(1)


def _run_code_checks(request: GradeRequest, paths: AssignmentPaths, config: AssignmentConfig,
                     rec: Recognition, extra_hidden: Sequence[Path], timeline: Timeline,
                     answers: Callable[[], list[CheckResult]] | None):
    # The worker must not see the course (solutions, checks, rubrics), nor where the
    # submission and the results live.
    hide = [paths.course_root, request.submission.resolve().parent, *extra_hidden]
    session = SubmissionSession(rec, request.limits or config.settings.limits, request.device, hide, timeline,
                                builds=config.settings.worker_builds)
    selection = Selection(public_only=request.public_only,
                          notebooks=frozenset(rec.found) if request.public_only else None)
    visibility = Visibility(config.settings.results.hidden_check_visibility)
    layout = check_layout(paths.checks if not config.public_only else paths.public_checks, config)
    plugin = ResultsPlugin(session, config, request.device, selection, hidden_visibility=visibility,
                           files=layout.files, catalogue=_catalogue(paths, config))
    references = REFERENCES.mark()
    try:
        session.warm_up(sorted(rec.found))
        # Scored here, in this thread, while the workers start in theirs, before any check: in a
        # thread beside the checks, their ast.parse raced the checks' (source rules, pytest's
        # tracebacks), and CPython 3.11's AST constructor keeps its recursion depth per
        # interpreter, not per thread ("SystemError: AST constructor recursion depth mismatch").
        short: list[CheckResult] = []
        if answers is not None:
            with timeline.phase("short answers"):
                short = answers()
        with timeline.phase("code checks"):
            run_checks(layout, plugin)
        warnings = session.isolation_warnings()
    finally:
        session.record_calls()
        session.close()
    plugin.record_checks()
    for name, started, seconds in REFERENCES.since(references):
        timeline.add("references", name, started, seconds)
    order = {g: i for i, g in enumerate(g for nb in config.notebooks for g in nb.grade_cells)}
    checks = sorted(plugin.results, key=lambda c: order.get(c.grade_id, len(order)))
    return checks, short, plugin.grader_errors, session.notes, warnings


def _catalogue(paths: AssignmentPaths, config: AssignmentConfig):
    """The assignment's known mistakes (grading/mistakes.toml; none without it). None in a
    student's release (no grading material): its public checks then name no hint."""
    from autograder.mistakes import CatalogueError, load_catalogue

    if config.public_only:
        return None
    try:
        return load_catalogue(paths.mistakes_file, [g for nb in config.notebooks for g in nb.grade_cells])
    except CatalogueError as e:
        raise ConfigError(str(e)) from None


def _short_answers(config: AssignmentConfig, rec: Recognition, paths: AssignmentPaths, now: datetime,
                   due: datetime | None = None) -> list[CheckResult]:
    """Rubric scores of the markdown answer cells. Only the notebook's text is read: no
    submission code runs for this, so it needs no sandbox. What the student-facing messages may
    show follows the course's [short_answer_feedback] setting at `now` against the student's own
    deadline `due` (default: the assignment's, declared once in [deadline])."""
    from autograder.deadlines import load_policy
    from autograder.shortanswers import RubricError, feedback_level, grade_short_answers, load_rubric

    level = feedback_level(config.settings.feedback_policy(), now, due or load_policy(config).due)
    answers = {g: p for nb in config.notebooks for g, p in nb.cell_points.items() if g in nb.answer_cells}
    if not answers:
        return []
    try:
        rubric = load_rubric(paths.rubrics_file, points=answers)
    except RubricError as e:
        raise ConfigError(str(e)) from None
    if set(rubric.questions) != set(answers):
        raise ConfigError(rubric_mismatch(rubric.source, set(rubric.questions), set(answers)))
    out: list[CheckResult] = []
    for nb in config.notebooks:
        if not nb.answer_cells:
            continue
        sub = rec.found.get(nb.stem)
        if sub is None:
            why = (_see_above(rec.unreadable[nb.stem]) if nb.stem in rec.unreadable
                   else f"notebook {nb.stem} was not found in your submission")
            out += [not_graded(nb, gid, f"not graded: {why}") for gid in nb.answer_cells]
            continue
        release = paths.release / f"{nb.stem}.ipynb"
        graded = grade_short_answers(sub.nb, rubric, release if release.exists() else None,
                                     notebook=nb.stem, level=level)
        out += [c for c in graded if c.grade_id in nb.answer_cells]
    return out


def rubric_mismatch(rubric: str, questions: set[str], answers: set[str]) -> str:
    """The rubric's questions must be the notebooks' answer cells, each once."""
    parts = []
    if answers - questions:
        parts.append(f"no question for the answer cell(s) {', '.join(sorted(answers - questions))}")
    if questions - answers:
        parts.append(f"question(s) {', '.join(sorted(questions - answers))} match no answer cell of the notebooks")
    return f"{rubric}: " + "; ".join(parts) + " (the answer cells are in release/<assignment>/manifest.json)"


def _see_above(reason: str) -> str:
    return reason.split(" (", 1)[0].split(";", 1)[0] + " (see the first note)"


def _unreadable(check: CheckResult, reason: str) -> CheckResult:
    if check.status is Status.PASSED:
        return check
    return dataclasses.replace(check, message=f"not graded: {_see_above(reason)}",
                               tags=tuple(dict.fromkeys((*check.tags, NOT_GRADED))))

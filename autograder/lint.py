"""`autograder lint ASSIGNMENT`: the instructor's check of an assignment before it is released or
graded, the same validation the engine runs when it loads one, all problems at once.

- the manifest is there and still describes the notebooks and assignment.toml (points add up;
  each grade cell has its solution cells; the settings are valid);
- every code grade cell has its check file (`checks/<notebook>/<grade id>.py`) and no stray file
  sits in a notebook folder; the checks' points add up to each cell's; each cell has a public
  and a hidden check; each check's name begins with a function the cell grades;
- the rubric has one question per answer cell, with the cell's points;
- the layer and optimizer types of [worker_builds] exist in torch;
- the public checks can be released (nothing grader-only reached from them).

Each problem names the file and the cell. Exit code 0 when there is none, 2 otherwise.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import AssignmentConfig, ConfigError, load_assignment
from autograder.course import AssignmentPaths


@dataclass
class LintReport:
    assignment: str
    problems: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        if self.ok:
            return f"{self.assignment}: no problem found ({self.summary})"
        return "\n".join([f"{self.assignment}: {len(self.problems)} problem(s)"] + [f"  - {p}" for p in self.problems])


def lint_assignment(paths: AssignmentPaths) -> LintReport:
    report = LintReport(paths.name)
    try:
        config = load_assignment(paths)
    except ConfigError as e:
        report.problems.append(str(e))
        return report
    if config.public_only:
        report.problems.append(f"{paths.release} is a release without grading material "
                               f"(source/{paths.name}/grading/): there is nothing to lint")
        return report
    n_checks = _checks(paths, config, report)
    _rubric(paths, config, report)
    report.problems += config.settings.worker_builds.check_with_torch()
    report.problems += _budgets(paths, config)
    _public(paths, report)
    cells = sum(len(nb.grade_cells) for nb in config.notebooks)
    questions = sum(len(nb.answer_cells) for nb in config.notebooks)
    report.summary = (f"{len(config.notebooks)} notebooks, {cells} code grade cells with {n_checks} checks, "
                      f"{questions} short answers, {config.points:g} points")
    return report


def _budgets(paths: AssignmentPaths, config: AssignmentConfig) -> list[str]:
    """A budget for a name no notebook grades would never apply (a misspelt `trian`)."""
    known = {f for nb in config.notebooks for f in nb.functions}
    return [f"{paths.config_file}: [limits] call_budgets_s names {name!r}, which is no graded function "
            f"of the notebooks (they are: {', '.join(sorted(known))}); a budget applies to those only"
            for name in config.settings.limits.call_budgets_s if name not in known]


def _checks(paths: AssignmentPaths, config: AssignmentConfig, report: LintReport) -> int:
    from autograder.engine.content import check_layout
    from autograder.engine.run import GraderFault, collect_checks
    from autograder.engine.validate import Declared, check_problems

    layout = check_layout(paths.checks, config)
    try:
        checks = collect_checks(layout)
    except GraderFault as e:
        report.problems += str(e).splitlines()[1:] or [str(e)]
        return 0
    declared = [Declared(c.grade_id, c.points, c.public, c.name, Path(c.nodeid.split("::")[0])) for c in checks]
    report.problems += check_problems(declared, config, layout.files)
    return len(checks)


def _rubric(paths: AssignmentPaths, config: AssignmentConfig, report: LintReport) -> None:
    from autograder.grading import rubric_mismatch
    from autograder.shortanswers import RubricError, load_rubric

    answers = {g: p for nb in config.notebooks for g, p in nb.cell_points.items() if g in nb.answer_cells}
    if not answers:
        return
    try:
        rubric = load_rubric(paths.rubrics_file, points=answers)
    except RubricError as e:
        report.problems.append(str(e))
        return
    if set(rubric.questions) != set(answers):
        report.problems.append(rubric_mismatch(rubric.source, set(rubric.questions), set(answers)))


def _public(paths: AssignmentPaths, report: LintReport) -> None:
    from autograder.release import ReleaseError
    from autograder.release.public import write_public
    from autograder.release.source import load_sources

    try:
        with tempfile.TemporaryDirectory(prefix="autograder-lint-") as tmp:
            write_public(paths, load_sources(paths), Path(tmp))
    except ReleaseError as e:
        report.problems.append(str(e))




def all_settings_help() -> str:
    """`autograder lint --settings`: every setting an assignment owns (autograder.settings) and its
    [deadline] (autograder.deadlines, declared there once), each key with its default and description."""
    from autograder.deadlines.policy import SECTION, LatePolicy
    from autograder.settings import fields_help, settings_help

    deadline = [f"[{SECTION}]  (LatePolicy, autograder/deadlines; grading/assignment.toml)", *fields_help(LatePolicy)]
    return settings_help() + "\n" + "\n".join(deadline)


__all__ = ["LintReport", "all_settings_help", "lint_assignment"]

"""Running an assignment's check modules with pytest, in the grader's process.

Only the checks' own code runs here; the submission's code runs in the sandboxed workers that
the `submission` fixture hands out.
"""
from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.engine.plugin import ResultsPlugin


class GraderFault(Exception):
    """The checks themselves are broken: no verdict can be trusted."""


def _pytest_args(checks_dir: Path) -> list[str]:
    if not checks_dir.is_dir():
        raise GraderFault(f"no checks folder at {checks_dir}")
    return [
        str(checks_dir),
        "-c", os.devnull,  # the project's own pytest settings must not apply to checks
        "--rootdir", str(checks_dir),
        "-p", "no:cacheprovider",  # never write .pytest_cache into the course folder
        "-p", "no:terminal",  # the plugin reports; pytest's console output is not for students
        "--assert=plain",  # a failed assert shows its message only, not the check's code
        "-o", "python_files=checks_*.py",
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
    ]


def run_checks(checks_dir: Path, plugin: ResultsPlugin) -> None:
    """Run every check module in `checks_dir`; results land in `plugin.results`."""
    args = _pytest_args(checks_dir)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise GraderFault(f"pytest exited with {code!r} running {checks_dir}:\n{sink.getvalue()[-4000:]}")
    if plugin.grader_errors and not plugin.results:
        raise GraderFault("no check could run:\n" + "\n".join(plugin.grader_errors))


@dataclass(frozen=True)
class CheckInfo:
    nodeid: str
    name: str
    grade_id: str
    points: float
    public: bool


class _Collector:
    def __init__(self) -> None:
        self.checks: list[CheckInfo] = []
        self.errors: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "check: a graded check")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {report.longreprtext}")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            mark = item.get_closest_marker("check")
            if mark is None:
                self.errors.append(f"{item.nodeid} has no @check marker")
                continue
            name = (item.function.__doc__ or item.name).strip().splitlines()[0].strip()
            self.checks.append(CheckInfo(item.nodeid, name, mark.kwargs["grade_id"],
                                         mark.kwargs["points"], bool(mark.kwargs.get("public"))))


def collect_checks(checks_dir: Path) -> list[CheckInfo]:
    """The checks of an assignment, without running any (for consistency tests and listings)."""
    collector = _Collector()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        pytest.main([*_pytest_args(checks_dir), "--collect-only"], plugins=[collector])
    if collector.errors:
        raise GraderFault("broken check modules:\n" + "\n".join(collector.errors))
    return collector.checks

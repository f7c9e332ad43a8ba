"""Running an assignment's check files with pytest, in the grader's process.

Only the checks' own code runs here; the submission's code runs in the sandboxed workers that
the `submission` fixture hands out. The check files are the assignment's, one per grade cell
(see `autograder.engine.content`), imported under the assignment's own package name.
"""
from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.engine.content import CheckLayout
from autograder.engine.plugin import ResultsPlugin


class GraderFault(Exception):
    """The checks themselves are broken: no verdict can be trusted."""


class ContentModule(pytest.Module):
    """A check file, imported under its assignment's package (never through sys.path)."""

    layout: CheckLayout

    def _getobj(self):
        try:
            return self.layout.import_module(self.path)
        except Exception as e:  # a broken check file is the grader's fault: reported by collection
            raise self.CollectError(f"importing {self.path}: {type(e).__name__}: {e}") from e


class ContentCollector:
    """Pytest plugin: check files become ContentModules; the assignment's fixtures.py is a plugin."""

    def __init__(self, layout: CheckLayout) -> None:
        self.layout = layout
        self._files = {p.resolve() for p in layout.files.values()}

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent):
        if module_path.resolve() in self._files:
            module = ContentModule.from_parent(parent, path=module_path)
            module.layout = self.layout
            return module
        return None

    def plugins(self) -> list:
        fixtures = self.layout.fixtures()
        return [self] + ([fixtures] if fixtures is not None else [])


def _pytest_args(layout: CheckLayout) -> list[str]:
    if not layout.root.is_dir():
        raise GraderFault(f"no checks folder at {layout.root}")
    layout.refresh()
    missing = layout.missing()
    if missing:
        raise GraderFault("; ".join(missing))
    return [
        *(str(p) for p in layout.files.values()),
        "-c", os.devnull,  # the project's own pytest settings must not apply to checks
        "--rootdir", str(layout.root),
        "--confcutdir", str(layout.root),  # no conftest.py from the course's folders above
        "-p", "no:cacheprovider",  # never write .pytest_cache into the course folder
        "-p", "no:terminal",  # the plugin reports; pytest's console output is not for students
        "--assert=plain",  # a failed assert shows its message only, not the check's code
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
        # Log capturing and the garbage collection that looks for unraisable exceptions at the
        # end cost time (a second per submission) and tell nobody anything here.
        "-p", "no:logging", "-p", "no:unraisableexception",
    ]


def run_checks(layout: CheckLayout, plugin: ResultsPlugin) -> None:
    """Run every check file of the assignment; results land in `plugin.results`."""
    args = _pytest_args(layout)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            plugins = [plugin, *ContentCollector(layout).plugins()]
        except Exception as e:
            raise GraderFault(f"importing the fixtures of {layout.root}: {type(e).__name__}: {e}") from e
        code = pytest.main(args, plugins=plugins)
    if plugin.invalid:
        raise GraderFault(f"the checks of {layout.root} do not agree with the assignment:\n" + "\n".join(plugin.invalid))
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise GraderFault(f"pytest exited with {code!r} running {layout.root}:\n{sink.getvalue()[-4000:]}")
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


def collect_checks(layout: CheckLayout) -> list[CheckInfo]:
    """The checks of an assignment, without running any (for consistency tests and listings)."""
    collector = _Collector()
    sink = io.StringIO()
    problems = layout.missing() + layout.strays()
    if problems:
        raise GraderFault("check files:\n" + "\n".join(problems))
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        pytest.main([*_pytest_args(layout), "--collect-only"], plugins=[collector, *ContentCollector(layout).plugins()])
    if collector.errors:
        raise GraderFault("broken check modules:\n" + "\n".join(collector.errors))
    return collector.checks

"""Shared fixtures (where the course checkout and the real assignment are), the order the suite
runs in, and the timing figures it prints at the end."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.course import AssignmentPaths
import helpers

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def pytorch_basics_paths() -> AssignmentPaths:
    return AssignmentPaths(REPO_ROOT, "pytorch_basics")


# The suite runs on two processes (pyproject: -n 2 --dist loadfile), one test file per process at
# a time: the files with the longest tests are handed out first, so that no long file starts
# last while the other process has nothing left to do.
FIRST = ("test_samples.py", "test_demo.py", "test_hostile.py", "test_release.py", "test_postgres.py",
         "test_cluster.py", "test_public_release.py")


def pytest_collection_modifyitems(items: list) -> None:
    def rank(item) -> int:
        name = item.path.name
        return FIRST.index(name) if name in FIRST else len(FIRST)
    items.sort(key=rank)  # stable: each file keeps its own order


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    while helpers.TIMINGS:  # a figure report_timing made during this test (or its fixtures)
        report.user_properties.append(("timing", helpers.TIMINGS.pop(0)))


_PRINTED: list[str] = []


def pytest_runtest_logreport(report) -> None:
    _PRINTED.extend(v for k, v in getattr(report, "user_properties", ()) if k == "timing")


def pytest_terminal_summary(terminalreporter) -> None:
    for line in _PRINTED:
        terminalreporter.write_line(line)

"""Running an assignment's check modules with pytest, in the grader's process.

Only the checks' own code runs here; the submission's code runs in the sandboxed workers that
the `submission` fixture hands out.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

from autograder.engine.plugin import ResultsPlugin


class GraderFault(Exception):
    """The checks themselves are broken: no verdict can be trusted."""


def run_checks(checks_dir: Path, plugin: ResultsPlugin) -> None:
    """Run every check module in `checks_dir`; results land in `plugin.results`."""
    if not checks_dir.is_dir():
        raise GraderFault(f"no checks folder at {checks_dir}")
    args = [
        str(checks_dir),
        "-c", os.devnull,  # the project's own pytest settings must not apply to checks
        "--rootdir", str(checks_dir),
        "-p", "no:cacheprovider",  # never write .pytest_cache into the course folder
        "-p", "no:terminal",  # the plugin reports; pytest's console output is not for students
        "--assert=plain",  # a failed assert shows its message only, not the check's code
        "-o", "python_files=checks_*.py",
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
    ]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise GraderFault(f"pytest exited with {code!r} running {checks_dir}:\n{sink.getvalue()[-4000:]}")
    if plugin.grader_errors and not plugin.results:
        raise GraderFault("no check could run:\n" + "\n".join(plugin.grader_errors))

"""The pytest plugin that turns check outcomes into CheckResult records.

It also provides the fixtures check modules use (`submission`, `nb`, `source`, `sources`,
`device`, `assignment`, `credit`) and keeps only the checks asked for (public ones, present
notebooks).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.assignment import AssignmentConfig
from autograder.checks.source import NotebookSource
from autograder.engine.checks import Credit, KnownMistake
from autograder.engine.session import SubmissionSession, SubmissionSources
from autograder.engine.validate import Declared, check_problems
from autograder.mistakes import Catalogue
from autograder.results import CheckResult, Status, Visibility
from autograder.sandbox import SubmissionFault

GRADER_FAULT_MESSAGE = (
    "The grader could not judge this check (a fault in the grader, not in your code). "
    "You get no points for it for now; your TA has been told and will regrade it."
)


@dataclass(frozen=True)
class Selection:
    public_only: bool = False
    notebooks: frozenset[str] | None = None  # None: every notebook of the assignment


class ResultsPlugin:
    def __init__(self, session: SubmissionSession, config: AssignmentConfig, device: str,
                 selection: Selection = Selection(), hidden_visibility: Visibility = Visibility.VISIBLE,
                 files: dict[str, Path] | None = None, catalogue: Catalogue | None = None):
        self.session = session
        self.catalogue = catalogue  # the assignment's known mistakes and their hints (None: not at hand)
        self.config = config
        self.device_name = device
        self.selection = selection
        self.hidden_visibility = hidden_visibility
        self.files = dict(files or {})  # grade id -> its check file (named in problems)
        self.results: list[CheckResult] = []
        self.grader_errors: list[str] = []  # tracebacks, for TAs only
        self.invalid: list[str] = []  # the checks disagree with the manifest: nothing was run
        self._recorded: set[str] = set()
        self._started: dict[str, float] = {}
        self._ran: dict[str, list[tuple[float, float]]] = {}  # grade id -> (start, seconds) of its checks
        self._notebook_of = {g: nb.stem for nb in config.notebooks for g in nb.grade_cells}

    # -- fixtures for check modules -------------------------------------------------------
    @pytest.fixture(scope="session")
    def submission(self) -> SubmissionSession:
        return self.session

    @pytest.fixture
    def nb(self, request: pytest.FixtureRequest):
        """The sandboxed worker of the notebook the check's grade cell belongs to."""
        return self.session.notebook(self._notebook_of[_grade_id(request.node)])

    @pytest.fixture(scope="session")
    def sources(self) -> SubmissionSources:
        """The submitted notebooks' code cells, as read from the notebook JSON in the grader
        (for checks of how a function is written; nothing here runs them)."""
        return SubmissionSources(self.session.recognition)

    @pytest.fixture
    def source(self, request: pytest.FixtureRequest, sources: SubmissionSources) -> NotebookSource:
        """The code cells of the notebook the check's grade cell belongs to."""
        return sources.notebook(self._notebook_of[_grade_id(request.node)])

    @pytest.fixture(scope="session")
    def device(self) -> str:
        return self.device_name

    @pytest.fixture(scope="session")
    def assignment(self) -> AssignmentConfig:
        return self.config

    @pytest.fixture
    def credit(self) -> Credit:
        return Credit()

    # -- hooks ------------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "check(grade_id, points, public, tags): a graded check")
        # A failed check's message is its exception's text; pytest's own rendering of a failure
        # (the check's source, parsed with ast) serves only the TA's traceback of a grader
        # fault, and Python's plain traceback says as much at a fraction of the cost (seconds
        # for a notebook whose checks all fail). (--tb belongs to the terminal plugin, which is off.)
        config.option.tbstyle = "native"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:  # a broken check module is the grader's fault, never the student's
            self.grader_errors.append(f"collecting {report.nodeid}:\n{report.longreprtext}")

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        self.invalid = check_problems(declared(items), self.config, self.files)
        if self.invalid:  # every check of the assignment is checked before any runs
            config.hook.pytest_deselected(items=list(items))
            items[:] = []
            return
        keep, drop = [], []
        for item in items:
            mark = item.get_closest_marker("check")
            if mark is None:
                self.grader_errors.append(f"{item.nodeid} has no @check marker; it was not run")
                drop.append(item)
                continue
            gid = mark.kwargs["grade_id"]
            if gid not in self._notebook_of:
                self.grader_errors.append(f"{item.nodeid}: grade_id {gid!r} is not a grade cell of {self.config.name}")
                drop.append(item)
                continue
            if item.path.stem != gid:
                self.grader_errors.append(f"{item.nodeid}: a check of {gid} in the file of {item.path.stem}; "
                                          f"move it to {self._notebook_of[gid]}/{gid}.py")
                drop.append(item)
                continue
            if self.selection.public_only and not mark.kwargs.get("public"):
                drop.append(item)
            elif self.selection.notebooks is not None and self._notebook_of[gid] not in self.selection.notebooks:
                drop.append(item)
            else:
                keep.append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session):
        """Run the checks notebook by notebook, taking next a notebook whose worker is ready
        (its cells have run), so that no check waits for one notebook's cells while another's
        checks could run. Within a notebook the files' order is kept."""
        if (session.testsfailed and not session.config.option.continue_on_collection_errors) \
                or session.config.option.collectonly:
            return None  # pytest's own loop reports these
        groups: dict[str, list[pytest.Item]] = {}
        for item in session.items:
            groups.setdefault(self._notebook_of[_grade_id(item)], []).append(item)
        pending = list(groups)
        order = [pending.pop(self._next(pending, wait=True))] if pending else []
        while order:
            items = groups[order[-1]]
            for i, item in enumerate(items):
                if i + 1 < len(items):
                    nextitem = items[i + 1]
                elif pending:  # chosen now, as pytest needs it to know which fixtures to keep
                    order.append(pending.pop(self._next(pending, wait=False)))
                    nextitem = groups[order[-1]][0]
                else:
                    nextitem = None
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
                if session.shouldfail:
                    raise session.Failed(session.shouldfail)
                if session.shouldstop:
                    raise session.Interrupted(session.shouldstop)
            if nextitem is None:
                break
        return True

    def _next(self, pending: list[str], wait: bool) -> int:
        """The index of the first pending notebook that is ready; waiting for one when asked,
        else the first one."""
        while True:
            for i, stem in enumerate(pending):
                if self.session.ready(stem):
                    return i
            if not wait:
                return 0
            time.sleep(0.05)

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._started[item.nodeid] = time.perf_counter()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        started = time.perf_counter()
        try:
            return (yield)
        finally:  # the check's own time, its notebook's start and cells not included
            self._ran.setdefault(_grade_id(item), []).append((started, time.perf_counter() - started))

    def record_checks(self) -> None:
        """The time each grade cell's checks took, into the session's timeline."""
        for gid, runs in self._ran.items():
            self.session.timeline.add("checks", gid, min(s for s, _ in runs), sum(d for _, d in runs))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if item.nodeid not in self._recorded and (call.when == "call" or report.failed):
            self._recorded.add(item.nodeid)
            self.results.append(self._result(item, call, report))
        return report

    # -- outcome -> record ------------------------------------------------------------------
    def _result(self, item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> CheckResult:
        mark = item.get_closest_marker("check")
        gid, max_points = mark.kwargs["grade_id"], mark.kwargs["points"]
        public = bool(mark.kwargs.get("public"))
        name = (item.function.__doc__ or item.name).strip().splitlines()[0].strip()
        exc = call.excinfo.value if call.excinfo is not None else None
        credit = getattr(item, "funcargs", {}).get("credit")
        credit = credit if isinstance(credit, Credit) else Credit()
        fraction, status, message, mistake = 0.0, Status.FAILED, "", ""
        if exc is None and report.passed:
            fraction, message = credit.fraction, credit.message
            status = Status.PASSED if fraction >= 1.0 else Status.FAILED
            mistake = credit.mistake if status is Status.FAILED else ""
        elif isinstance(exc, SubmissionFault):
            message = str(exc)
        elif isinstance(exc, AssertionError):
            message = str(exc).strip() or "this check failed (no further detail)"
            mistake = exc.mistake if isinstance(exc, KnownMistake) else ""
        else:
            status = Status.ERROR
            message = GRADER_FAULT_MESSAGE
            self.grader_errors.append(f"{name} ({item.nodeid}):\n{report.longreprtext}")
        duration = time.perf_counter() - self._started.get(item.nodeid, time.perf_counter())
        mistake, hint = self._hint(mistake, gid, name)
        return CheckResult(
            name=name, grade_id=gid, notebook=self._notebook_of[gid],
            points=round(max_points * fraction, 4), max_points=max_points, status=status,
            message=message,
            visibility=Visibility.VISIBLE if public else self.hidden_visibility,
            tags=tuple(mark.kwargs.get("tags", ())) + (("public",) if public else ("hidden",)),
            public=public, duration_s=round(duration, 3), details=dict(credit.details),
            mistake=mistake, hint=hint,
        )

    def _hint(self, mistake: str, grade_id: str, name: str) -> tuple[str, str]:
        """The mistake's id and hint text, or nothing when the catalogue does not give it to this
        grade cell (a fault in the assignment's checks: the TA is told, the student gets no hint)."""
        if not mistake or self.catalogue is None:  # None: a student's release, which has no catalogue
            return "", ""
        problem = self.catalogue.problem(mistake, grade_id)
        if problem:
            self.grader_errors.append(f"{name}: {problem}")
            return "", ""
        return mistake, self.catalogue.mistakes[mistake].text()


def declared(items: list[pytest.Item]) -> list[Declared]:
    """What the collected checks declare (items without a @check marker are reported apart)."""
    out = []
    for item in items:
        mark = item.get_closest_marker("check")
        if mark is not None:
            name = (item.function.__doc__ or item.name).strip().splitlines()[0].strip()
            out.append(Declared(mark.kwargs["grade_id"], float(mark.kwargs["points"]), bool(mark.kwargs.get("public")),
                                name, Path(item.path)))
    return out


def _grade_id(item: pytest.Item) -> str:
    return item.get_closest_marker("check").kwargs["grade_id"]

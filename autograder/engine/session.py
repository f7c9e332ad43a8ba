"""One submission as the checks see it: a sandboxed worker per notebook, started on first use."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

from autograder.checks.source import Cell, NotebookSource
from autograder.notebooks import Recognition
from autograder.sandbox import Limits, Sandbox, SubmissionFault
from autograder.sandbox.builds import WorkerBuilds


class MissingNotebook(SubmissionFault):
    def __init__(self, stem: str):
        super().__init__(
            f"notebook {stem} was not found in your submission (none of the submitted files has "
            f"its grade cells); submit {stem}.ipynb with your answers")


class SubmissionSession:
    """Gives each check the worker of the notebook it needs.

    Workers are started lazily, so a check module whose notebook is missing costs nothing, and
    they live for the whole pytest run so that a notebook's cells run once per submission.
    """

    def __init__(self, recognition: Recognition, limits: Limits, device: str, hide: Sequence[Path] = (),
                 builds: WorkerBuilds | None = None):
        self.recognition = recognition
        self.limits = limits
        self.builds = builds
        self.device = device
        self.hide = tuple(hide)
        self._sandboxes: dict[str, Sandbox] = {}
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._failed: dict[str, Exception] = {}
        self.notes: list[str] = []  # cell errors and skipped lines, for the student

    def warm_up(self, stems: Sequence[str]) -> None:
        """Start the notebooks' workers and run their cells side by side, so that torch imports
        and notebook runs overlap instead of queueing behind the first check of each notebook."""
        with ThreadPoolExecutor(max_workers=max(1, len(stems))) as pool:
            list(pool.map(self._start_quietly, stems))

    def _start_quietly(self, stem: str) -> None:
        try:
            self.notebook(stem)
        except Exception:  # the first check of that notebook meets the same error and reports it
            pass

    def notebook(self, stem: str) -> Sandbox:
        with self._lock:
            lock = self._locks.setdefault(stem, threading.Lock())
        with lock:  # one start per notebook, even when warm_up and a check race for it
            if stem in self._failed:  # e.g. the worker could not start: the same answer for every check
                raise self._failed[stem]
            if stem in self._sandboxes:
                return self._sandboxes[stem]
            sub = self.recognition.found.get(stem)
            if sub is None:
                raise MissingNotebook(stem)
            box = Sandbox(self.limits, device=self.device, hide=self.hide, builds=self.builds,
                          cell_label=sub.cell_label)
            try:
                self._run(sub, box)
            except Exception as e:
                box.close()
                self._failed[stem] = e
                raise
            self._sandboxes[stem] = box
            return box

    def _run(self, sub, box: Sandbox) -> None:
        report = box.run_cells(sub.code_cells())
        # Cells are named as a student finds them: by the function they define, or the heading above.
        lines = [f"{e} (this error happened while running your notebook)" for e in report.errors] + report.notes
        self.notes.extend(f"{sub.path.name}, {line}" for line in lines)

    def isolation_warnings(self) -> list[str]:
        """What the sandbox could not enforce on this machine (TA-facing, e.g. no namespaces)."""
        seen: list[str] = []
        for box in self._sandboxes.values():
            seen += [n for n in box.reduced_isolation if n not in seen]
        return [f"reduced sandbox isolation: {n}" for n in seen]

    def close(self) -> None:
        for box in self._sandboxes.values():
            box.close()
        self._sandboxes.clear()


class SubmissionSources:
    """The code cells of each submitted notebook, from its JSON (read in the grader only)."""

    def __init__(self, recognition: Recognition) -> None:
        self.recognition = recognition
        self._cache: dict[str, NotebookSource] = {}

    def notebook(self, stem: str) -> NotebookSource:
        if stem not in self._cache:
            sub = self.recognition.found.get(stem)
            if sub is None:
                raise MissingNotebook(stem)
            cells = tuple(Cell(n, src) for n, src in sub.code_cells())
            self._cache[stem] = NotebookSource(stem, cells, {c.number: sub.cell_label(c.number) for c in cells})
        return self._cache[stem]

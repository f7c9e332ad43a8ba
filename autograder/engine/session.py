"""One submission as the checks see it: a sandboxed worker per notebook, started in the
background and waited for by the checks that need it."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Sequence

from autograder.checks.source import Cell, NotebookSource
from autograder.engine.failfast import NotebookWorker
from autograder.engine.timing import Timeline
from autograder.notebooks import Recognition
from autograder.sandbox import Limits, Sandbox, SandboxError, SubmissionFault
from autograder.sandbox.builds import WorkerBuilds


class MissingNotebook(SubmissionFault):
    def __init__(self, stem: str):
        super().__init__(
            f"notebook {stem} was not found in your submission (none of the submitted files has "
            f"its grade cells); submit {stem}.ipynb with your answers")


class SubmissionSession:
    """Gives each check the worker of the notebook it needs.

    `warm_up` starts the notebooks' workers and runs their cells side by side in the background;
    a check waits only for its own notebook (`notebook`), and `ready` tells the engine which
    notebooks it can check now without waiting. Workers live for the whole pytest run, so a
    notebook's cells run once per submission; a notebook started by no one (its checks were not
    selected) costs nothing.
    """

    def __init__(self, recognition: Recognition, limits: Limits, device: str, hide: Sequence[Path] = (),
                 timeline: Timeline | None = None, builds: WorkerBuilds | None = None):
        self.recognition = recognition
        self.limits = limits
        self.builds = builds
        self.device = device
        self.hide = tuple(hide)
        self.timeline = timeline or Timeline()
        self._workers: dict[str, NotebookWorker] = {}
        self._boxes: dict[str, Sandbox] = {}  # every sandbox started, also while its cells run
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._failed: dict[str, Exception] = {}
        self._warming: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._notes: dict[str, list[str]] = {}
        self._closed = False

    @property
    def notes(self) -> list[str]:
        """Cell errors and skipped lines, for the student (notebook by notebook)."""
        return [n for stem in sorted(self._notes) for n in self._notes[stem]]

    def warm_up(self, stems: Sequence[str]) -> None:
        """Start the notebooks' workers and run their cells in the background, side by side, so
        that torch imports and notebook runs overlap each other and the checks of notebooks that
        are ready."""
        for stem in stems:
            with self._lock:
                self._warming.add(stem)
            t = threading.Thread(target=self._start_quietly, args=(stem,), name=f"warm-up {stem}", daemon=True)
            self._threads.append(t)
            t.start()

    def _start_quietly(self, stem: str) -> None:
        try:
            self.notebook(stem)
        except Exception:  # the first check of that notebook meets the same error and reports it
            pass
        finally:
            with self._lock:
                self._warming.discard(stem)

    def ready(self, stem: str) -> bool:
        """Whether a check of `stem` would start now: its cells have run (or it failed, or no
        one is starting it)."""
        with self._lock:
            return stem not in self._warming or stem in self._workers or stem in self._failed

    def notebook(self, stem: str) -> NotebookWorker:
        with self._lock:
            lock = self._locks.setdefault(stem, threading.Lock())
        with lock:  # one start per notebook, even when warm_up and a check race for it
            if stem in self._failed:  # e.g. the worker could not start: the same answer for every check
                raise self._failed[stem]
            if stem in self._workers:
                return self._workers[stem]
            sub = self.recognition.found.get(stem)
            if sub is None:
                raise MissingNotebook(stem)
            box = Sandbox(self.limits, device=self.device, hide=self.hide, builds=self.builds,
                          cell_label=sub.cell_label)
            with self._lock:
                if self._closed:
                    box.close()
                    raise SandboxError("the grading has ended")
                self._boxes[stem] = box
            try:
                self._run(stem, sub, box)
            except Exception as e:
                box.close()
                self._failed[stem] = e
                raise
            worker = self._workers[stem] = NotebookWorker(box)
            return worker

    def _run(self, stem: str, sub, box: Sandbox) -> None:
        with self.timeline.phase("worker start", stem):
            box.start()
        with self.timeline.phase("notebook cells", stem):
            report = box.run_cells(sub.code_cells())
        # Cells are named as a student finds them: by the function they define, or the heading above.
        lines = [f"{e} (this error happened while running your notebook)" for e in report.errors] + report.notes
        self._notes[stem] = [f"{sub.path.name}, {line}" for line in lines]

    def isolation_warnings(self) -> list[str]:
        """What the sandbox could not enforce on this machine (TA-facing, e.g. no namespaces)."""
        seen: list[str] = []
        for box in self._boxes.values():
            seen += [n for n in box.reduced_isolation if n not in seen]
        return [f"reduced sandbox isolation: {n}" for n in seen]

    def record_calls(self) -> None:
        """The time the student's functions took, per notebook and function, into the timeline."""
        for stem, worker in sorted(self._workers.items()):
            for label, seconds in sorted(worker.seconds.items()):
                self.timeline.add("student calls", f"{stem}: {label}", worker.started[label], seconds,
                                  worker.calls[label])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            boxes = list(self._boxes.values())
        for box in boxes:  # also ends a notebook whose cells still run (its checks were not run)
            box.close()
        for t in self._threads:
            t.join()
        self._workers.clear()
        self._boxes.clear()


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

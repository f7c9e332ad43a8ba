"""One submission as the checks see it: a sandboxed worker per notebook, started on first use."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from autograder.notebooks import Recognition
from autograder.sandbox import Limits, Sandbox, SubmissionFault


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

    def __init__(self, recognition: Recognition, limits: Limits, device: str, hide: Sequence[Path] = ()):
        self.recognition = recognition
        self.limits = limits
        self.device = device
        self.hide = tuple(hide)
        self._sandboxes: dict[str, Sandbox] = {}
        self.notes: list[str] = []  # cell errors and skipped lines, for the student

    def notebook(self, stem: str) -> Sandbox:
        if stem in self._sandboxes:
            return self._sandboxes[stem]
        sub = self.recognition.found.get(stem)
        if sub is None:
            raise MissingNotebook(stem)
        box = Sandbox(self.limits, device=self.device, hide=self.hide)
        self._sandboxes[stem] = box
        report = box.run_cells(sub.code_cells())
        # Cells are numbered from 1, markdown cells included, as a student counts them.
        lines = [f"{e} (this error happened while running your notebook)" for e in report.errors] + report.notes
        self.notes.extend(f"{sub.path.name}, {line}" for line in lines)
        return box

    def close(self) -> None:
        for box in self._sandboxes.values():
            box.close()
        self._sandboxes.clear()

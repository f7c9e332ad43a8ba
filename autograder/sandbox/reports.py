"""What running a notebook's cells gives the grader: each cell's error, the notes, the output."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CellError:
    exc_type: str
    message: str
    cell: int | None
    line: int | None
    label: str | None = None  # how the student finds the cell ("the cell defining `f`"), from the grader

    def __str__(self) -> str:
        where = (self.label or f"cell {self.cell}") + (f", line {self.line}" if self.line is not None else "")
        return f"{where}: {self.exc_type}: {self.message}" if self.message else f"{where}: {self.exc_type}"


@dataclass
class RunReport:
    errors: list[CellError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # skipped magics, skipped/killed cells
    output: str = ""  # bounded excerpt of what the cells printed, "[cell N]" headed
    cells_run: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # cells not run (killed the worker, time)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped

"""Functions that did not return within a cell's time limit: the grader's memory of them.

When a cell is stopped at its limit inside one call of a notebook function, the worker says which
function it was and how long that call ran (worker_cells.CellWatch, to a tick). A function with a
budget of its own ([limits] call_budgets_s, less than the cell's limit) is stopped at that budget.
When that one call ran (nearly) the whole limit, within a tenth of it, the grader treats the
function as one that does not return within that limit, and keeps it here, per sandbox, so that it is not waited for
again:
- later cells that call it get a TimeoutError at once (the worker is told to refuse it, again
  after every restart, at the same point of the replay); one stopped at its budget only where a
  cell calls it itself: another function calling it (fit_spiral calling train) has its own limit;
- checks that would give it no more time than the cell's limit fail at once with this reason
  (engine/failfast.py); a check that gives it more still calls it.
A `train` that never returns then costs one cell limit, not one per cell and per check. A call
that began late in the cell (a `fit_spiral` cut off after 35 s may well finish within its 60 s
budget), or a cell that spent its time in many short calls, marks nothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import wire
from .worker_cells import TICK_S  # how often the worker looks

MAX_NAMES = 8
SLACK = 0.1  # a call counts as having run the whole limit within this share of it (or a tick)


@dataclass(frozen=True)
class HungCall:
    function: str
    seconds: float  # how long its one call ran before the cell was stopped (to a tick, 1 s)
    limit: float  # the cell's limit: later calls given no more than this are not made
    cell: int
    label: str  # how the grader names the cell
    budget: bool = False  # stopped at its own budget ([limits] call_budgets_s), not the cell's limit

    @property
    def message(self) -> str:
        within = f"its budget of {self.limit:g} s" if self.budget else f"{self.seconds:.0f} s"
        later = ("the later cells and checks that call it themselves" if self.budget  # not via another function
                 else "the later cells and checks that call it")
        return (f"`{self.function}` did not return within {within} when {self.label} "
                "called it, and was stopped: look for an endless loop or far more work than the "
                f"task needs. It is not run again for {later}.")


def parse_hung(value: object) -> dict:
    """The worker's {"names", "seconds"}, checked (it comes from the submission's process)."""
    if type(value) is not dict or set(value) != {"names", "seconds"}:
        raise wire.WireError("malformed hung call")
    names, seconds = value["names"], value["seconds"]
    if type(names) is not list or not 0 < len(names) <= MAX_NAMES or any(
            type(n) is not str or not n.isidentifier() or len(n) > 200 for n in names):
        raise wire.WireError("malformed hung call names")
    if type(seconds) not in (int, float) or not math.isfinite(seconds) or seconds < 0:
        raise wire.WireError("malformed hung call seconds")
    return value


class HungCalls:
    """The notebook's functions that hung in its cells, by name."""

    def __init__(self) -> None:
        self.by_name: dict[str, HungCall] = {}
        self.at_cell: dict[int, list[HungCall]] = {}

    def note(self, error: dict, index: int, label: str, limits) -> list[HungCall]:
        """What a cell's timeout error says hung (nothing when it does not say). `limits` (the
        sandbox's Limits) gives each function's limit in a cell: the cell's, or its own budget."""
        hung = error.get("hung")
        if hung is None:
            return []
        calls = []
        for name in hung["names"]:
            limit = float(limits.cell_limit(name))
            seconds = min(float(hung["seconds"]), limit)  # the worker's figure, capped
            if seconds >= limit - max(TICK_S, SLACK * limit):  # else it began late in the cell
                calls.append(HungCall(name, seconds, limit, index, label, limit < limits.cell_timeout_s))
        if not calls:
            return []
        for c in calls:
            self.by_name[c.function] = c
        self.at_cell[index] = calls
        return calls

    def get(self, function: str) -> HungCall | None:
        return self.by_name.get(function)

    @staticmethod
    def refusal(calls: list[HungCall]) -> dict:
        """The request that makes the worker refuse these functions in later cells; those stopped
        at their budget only where a cell calls them itself (the budget's reach)."""
        return {"op": "refuse", "names": [c.function for c in calls], "message": calls[0].message,
                "budgeted": [c.function for c in calls if c.budget]}

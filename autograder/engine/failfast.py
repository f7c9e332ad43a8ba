"""A notebook's sandbox as the checks use it: calls that broke once fail at once afterwards.

When a student function has hung (run past a call's time limit), exhausted the worker's memory,
killed its worker or sent back a forged reply, every later check that calls it would meet the
same end after waiting out the same timeout (or another restart and replay of the notebook). So
the first fault is remembered per function (and per model, for forward passes): a later call
raises a fault of the same class at once, whose message gives the first reason and says that the
function was not run again. A timeout is remembered with the time limit it exceeded: a later
call given more time still runs (a check that gives a slow function longer is not cut short by a
check with a short limit). A function one of the notebook's own cells was stopped in counts the
same way (sandbox/hung.py): a check giving it no more than that cell's limit fails at once.

The wrapper also adds up how long the student's functions ran, per function, for the
grading's timings.
"""
from __future__ import annotations

import math
import time
from typing import Any

from autograder.sandbox import BadReply, CallTimeout, Handle, Sandbox, SubmissionFault, WorkerDied


def _fn(function: str) -> str:
    return f"`{function}`"


def remembered(first: SubmissionFault, shown: str) -> SubmissionFault:
    """A fault of the same class as `first` (a check that handles a timeout handles this one
    too), with the first reason and the fact that the function was not run again."""
    fault = type(first).__new__(type(first))  # no __init__: its message is written here
    fault.__dict__.update(vars(first))
    fault.message = (f"{first.message} (This happened the first time the grader called {shown}; "
                     "it is not run again for the checks that follow.)")
    fault.args = (fault.message,)
    return fault


def _limit(fault: SubmissionFault, timeout: float) -> float | None:
    """The time limit up to which `fault` answers for later calls, or None when it says
    nothing about them."""
    if isinstance(fault, CallTimeout):
        return None if fault.total else timeout  # the notebook's whole budget: the sandbox knows
    if isinstance(fault, WorkerDied):
        return None if (fault.lost or fault.gave_up) else math.inf
    if isinstance(fault, BadReply):
        return math.inf
    return None  # an exception, a missing function: fast anyway, and input-dependent


class NotebookWorker:
    """Delegates to the notebook's Sandbox (every operation of its contract), remembering the
    calls and forward passes that broke it."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.broken: dict[str, tuple[SubmissionFault, float]] = {}  # function -> first fault, limit
        self.seconds: dict[str, float] = {}  # function -> seconds its calls took (replies included)
        self.started: dict[str, float] = {}  # function -> perf_counter of its first call
        self.calls: dict[str, int] = {}  # function -> calls that reached the worker

    def __getattr__(self, name: str) -> Any:
        return getattr(self.box, name)

    def _hung_in_cell(self, function: str, limit: float) -> SubmissionFault | None:
        """The fault for a call of a function one of the notebook's cells was stopped in
        (sandbox/hung.py), when the call would get no more time than that cell had."""
        hung = getattr(self.box, "hung", None)
        hung = hung.get(function) if hung is not None else None
        if hung is None or limit > hung.limit:
            return None
        fault = CallTimeout(function, hung.seconds)
        fault.message = hung.message
        fault.args = (fault.message,)
        return fault

    def call(self, function: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        function = str(function)
        # the limit the box will give it: its budget, or the default limit
        limit = self.box.limits.call_limit(function) if timeout is None else timeout
        return self._guarded(function, function, _fn(function), limit,
                             lambda: self.box.call(function, *args, timeout=timeout, **kwargs))

    def forward(self, handle: Handle, x: Any, timeout: float | None = None) -> Any:
        key = f"forward {getattr(handle, 'owner', '')}/{getattr(handle, 'id', '')}"
        return self._guarded(key, "forward", "your model", timeout,
                             lambda: self.box.forward(handle, x, timeout=timeout))

    def _guarded(self, key: str, label: str, shown: str, timeout: float | None, op) -> Any:
        limit = self.box.limits.call_timeout_s if timeout is None else float(timeout)
        known = self.broken.get(key)
        if known is not None and limit <= known[1]:
            raise remembered(known[0], shown)
        hung = self._hung_in_cell(key, limit)
        if hung is not None:
            raise hung
        started = time.perf_counter()
        try:
            return op()
        except SubmissionFault as fault:
            until = _limit(fault, limit)
            if until is not None and (known is None or until > known[1]):
                self.broken[key] = (fault, until)
            raise
        finally:
            self.started.setdefault(label, started)
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
            self.calls[label] = self.calls.get(label, 0) + 1

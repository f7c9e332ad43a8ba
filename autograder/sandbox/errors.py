"""What the sandbox client raises.

`SubmissionFault` and its subclasses are the submission's fault: the check that triggered one
fails with `str(exc)`, a message written for the student (what happened, what to do), which never
contains grader material. `SandboxError` is the grader's own fault (the worker could not be
started at all, isolation could not be set up as root, ...): a TA must look.
"""
from __future__ import annotations


def _fn(function: str | None) -> str:
    if not function:
        return "your code"
    return function if " " in function else f"`{function}`"


class SubmissionFault(Exception):
    """The submission lost the check; `message` is for the student."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class MissingFunction(SubmissionFault):
    def __init__(self, function: str, found: str | None = None) -> None:
        self.function = function
        if found is None:
            msg = (f"`{function}` is not defined in your notebook: check that the cell defining "
                   "it runs without error and that the name is spelled as in the assignment.")
        else:
            msg = (f"`{function}` in your notebook is not a function (it is of type {found}): "
                   "check that no later cell assigns something else to that name.")
        super().__init__(msg)


class NotImplementedByStudent(SubmissionFault):
    def __init__(self, function: str) -> None:
        self.function = function
        super().__init__(
            f"`{function}` is not implemented yet (it raises NotImplementedError): replace the "
            "`raise NotImplementedError()` line with your code."
        )


class StudentError(SubmissionFault):
    """The student's code raised: its own exception type, message, cell and line."""

    def __init__(
        self,
        function: str | None,
        exc_type: str,
        message: str,
        cell: int | None = None,
        line: int | None = None,
        label: str | None = None,
    ) -> None:
        self.function = function
        self.exc_type = exc_type
        self.exc_message = message
        self.cell = cell
        self.line = line
        self.label = label  # how the student finds the cell ("the cell defining `f`"), from the grader
        where = ""
        if cell is not None:
            where = f" ({label or f'cell {cell}'}" + (f", line {line})" if line is not None else ")")
        text = f"{exc_type}: {message}" if message else exc_type
        super().__init__(
            f"{_fn(function)} raised {text}{where}. Call it in your notebook with similar "
            "inputs to see the full traceback."
        )


class CallTimeout(SubmissionFault):
    def __init__(self, function: str | None, seconds: float, total: bool = False,
                 started: bool = True) -> None:
        self.function = function
        self.seconds = seconds
        self.total = total
        if total:
            what = (f" while {_fn(function)} was running" if started
                    else f", so {_fn(function)} was not run")
            msg = (
                f"your notebook used up its total time of {seconds:g} s{what}: make slow cells "
                "and functions faster (fewer epochs, no endless loops)."
            )
        else:
            msg = (
                f"{_fn(function)} did not finish within {seconds:g} s and was stopped: look for an "
                "endless loop or far more work than the task needs."
            )
        super().__init__(msg)


class WorkerDied(SubmissionFault):
    """The process running the notebook ended (exit, crash, kill, resource limit)."""

    def __init__(self, function: str | None, reason: str, lost: bool = False,
                 gave_up: bool = False) -> None:
        self.function = function
        self.reason = reason
        self.lost, self.gave_up = lost, gave_up
        if gave_up:
            msg = (
                f"{_fn(function)} was not run: the process running your notebook stopped too "
                f"often (the last time it {reason}) and is not restarted again."
            )
        elif lost:
            msg = (
                f"{_fn(function)} was given an object that no longer exists: the process running "
                f"your notebook was restarted after it {reason}."
            )
        else:
            msg = (
                f"the Python process running your notebook stopped while running "
                f"{_fn(function)}: it {reason}. Code must not exit the process (sys.exit, "
                "os._exit), kill processes, or use more memory or time than the task needs."
            )
        super().__init__(msg)


class BadReply(SubmissionFault):
    def __init__(self, function: str | None, detail: str = "") -> None:
        self.function = function
        self.detail = detail  # for the TA; plain words about the frame, no student data
        super().__init__(
            f"the result of {_fn(function)} could not be read back from your notebook's process "
            "(malformed or too large): return tensors and plain Python values, and do not write "
            "to file descriptors your code did not open."
        )


class SandboxError(RuntimeError):
    """The sandbox itself failed (worker did not start, isolation impossible): a grader fault."""

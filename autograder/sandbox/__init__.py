"""The sandbox: submission code runs only in a worker process; the grader gets plain values.

See docs/architecture.md, "The sandbox contract (grader side)".
"""
from .client import Sandbox, resolve_device
from .errors import (
    BadReply,
    CallTimeout,
    MissingFunction,
    NotImplementedByStudent,
    SandboxError,
    StudentError,
    SubmissionFault,
    WorkerDied,
)
from . import wire
from .limits import Limits
from .reports import CellError, RunReport
from .wire import Handle, Unsupported

__all__ = [
    "BadReply", "CallTimeout", "CellError", "Handle", "Limits", "MissingFunction",
    "NotImplementedByStudent", "RunReport", "Sandbox", "SandboxError", "StudentError",
    "SubmissionFault", "Unsupported", "WorkerDied", "resolve_device", "wire",
]

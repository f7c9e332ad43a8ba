"""The sandbox: submission code runs only in a worker process; the grader gets plain values.

See docs/architecture.md, "The sandbox contract (grader side)". The modules that import torch
(the client, the wire format) load on first use, so that `autograder.sandbox.limits` and
`autograder.sandbox.errors` are light to import (the batch's parent process, settings).
"""
from __future__ import annotations

import importlib
from typing import Any

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
from .limits import Limits
from .reports import CellError, RunReport

_LAZY = {"Sandbox": "client", "Handle": "wire", "Unsupported": "wire", "wire": None}

__all__ = [
    "BadReply", "CallTimeout", "CellError", "Handle", "Limits", "MissingFunction",
    "NotImplementedByStudent", "RunReport", "Sandbox", "SandboxError", "StudentError",
    "SubmissionFault", "Unsupported", "WorkerDied", "wire",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_LAZY[name] or name}")
    value = module if _LAZY[name] is None else getattr(module, name)
    globals()[name] = value
    return value

"""The grading process's own memory limit.

The wire caps bound what a reply can cost; this bounds everything else (a check's own bug, a
cost nobody foresaw): a grading process that needs more than `Limits.grader_memory_mb` fails with
a MemoryError (a grader fault with a clear message) instead of taking the machine, and every
other student's grading on it, down. `autograder grade` and each grade-all grading process set
it on themselves once their own imports are done. It is RLIMIT_DATA (heap and private writable
mappings), soft limit only: the sandbox's launcher gives the worker its own memory limit back.

Set on CPU only by default: the CUDA driver's mappings were not measured against it.
`AUTOGRADER_GRADER_MEMORY_MB` overrides the setting on any device (0: no limit).
"""
from __future__ import annotations

import os
import resource

ENV = "AUTOGRADER_GRADER_MEMORY_MB"
MEMORY_ERRORS = ("MemoryError", "can't allocate memory", "Cannot allocate memory", "out of memory")


def grader_memory_mb(device: str = "cpu") -> int:
    """The limit in MB for a grading process on `device` (0: none)."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            mb = int(raw)
        except ValueError:
            raise ValueError(f"{ENV} must be a number of MB (0 for no limit), not {raw!r}") from None
        if mb < 0:
            raise ValueError(f"{ENV} must be 0 or more, not {mb}")
        return mb
    if device != "cpu":
        return 0
    from autograder.sandbox.limits import Limits

    return int(Limits().grader_memory_mb)


def limit_grader_memory(device: str = "cpu") -> int:
    """Set this process's data limit (soft) for grading on `device`; returns it in MB (0: none)."""
    mb = grader_memory_mb(device)
    if mb:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        soft = mb << 20
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
    return mb


def is_memory_error(error: BaseException | str) -> bool:
    """An exception (or a grader error's text) that says the process ran out of memory."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return any(m in text for m in MEMORY_ERRORS)


def memory_message(mb: int) -> str:
    return (f"the grading process ran out of its memory limit of {mb} MB (Limits.grader_memory_mb; "
            f"{ENV} sets another, 0 none). A submission's reply cannot cost that much (the sandbox "
            "caps replies): look for a check that builds large tensors")

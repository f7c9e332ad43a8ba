"""Values the grader sends to a worker, and handles it gets back (objects that stay there).

A handle names the sandbox and the worker generation it lives in (`owner`), so one from a dead
worker, or from another sandbox, is refused before anything is sent.
"""
from __future__ import annotations

from typing import Any

from . import wire
from .errors import SubmissionFault, WorkerDied
from .wire import Handle, Unsupported

KIND_NAMES = {"module": "an nn.Module", "optimizer": "an optimizer", "figure": "a Figure"}


def encode_request(value: Any, function: str | None, owner: str, last_death: str) -> tuple:
    """A grader value -> wire node; handles must belong to the live worker (`owner`)."""
    token = owner.split(":")[0]

    def other(v):
        if isinstance(v, Handle):
            if v.owner == owner:
                return ("H", v.id)
            if v.owner.split(":")[0] == token:
                raise WorkerDied(function, last_death or "was restarted", lost=True)
            raise ValueError(f"{v!r} belongs to another sandbox")
        raise TypeError(f"cannot send a {type(v).__name__} to the worker")

    try:
        return wire.encode(value, other)
    except wire.TooLarge as e:
        raise ValueError(f"argument too large to send: {e}") from None


def expect(handle: Any, *kinds: str) -> None:
    """A value the grader got back from the student and now uses as a model/optimizer: when it
    is none, that is the submission's fault."""
    want = " or ".join(KIND_NAMES.get(k, k) for k in kinds)
    if not isinstance(handle, Handle):
        raise SubmissionFault(f"expected {want}, got {describe(handle)}")
    if handle.kind not in kinds:
        raise SubmissionFault(f"expected {want}, got {KIND_NAMES.get(handle.kind, handle.kind)}")


def what(handle: Any) -> str:
    return f"your {handle.kind}" if isinstance(handle, Handle) else "the object"


def describe(value: Any) -> str:
    if isinstance(value, Unsupported):
        return f"a {value.type_name}"
    return f"a {type(value).__name__}"

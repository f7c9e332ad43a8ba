"""Reading the worker's replies: the envelope checked field by field, values decoded with every
part checked and within the reply caps (wire.decode), text made valid Unicode (the boundary
where a worker's text enters the grader), and a failed reply turned into the SubmissionFault a
check reports.

The worker is not trusted: the student's code owns its process and can write any frame the
weights-only loader accepts, so nothing here assumes the reply came from our own encoder.
"""
from __future__ import annotations

from typing import Any, Callable

from . import wire
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
from .hung import parse_hung
from .wire import Handle

ERROR_KINDS = ("missing", "notimplemented", "student", "timeout", "lost", "internal", "request")
HANDLE_KINDS = ("module", "optimizer", "figure", "value")
ENVELOPE = {"seq", "ok", "value", "error", "notes", "output"}
ERROR_FIELDS = {"kind", "exc_type", "message", "cell", "line"}


def check_envelope(reply: Any, seq: int, limits: Limits) -> dict:
    """The envelope of a reply, checked field by field; raises wire.WireError."""
    if type(reply) is not dict or set(reply) != ENVELOPE:
        raise wire.WireError("reply is not a reply envelope")
    if type(reply["seq"]) is not int or reply["seq"] != seq:
        raise wire.WireError("reply answers another request")
    if type(reply["ok"]) is not bool or type(reply["output"]) is not str:
        raise wire.WireError("malformed reply envelope")
    notes = reply["notes"]
    if type(notes) is not list or len(notes) > 1000 or any(
        type(n) is not str or len(n) > 1000 for n in notes
    ):
        raise wire.WireError("malformed notes")
    reply["output"] = wire.valid_text(reply["output"][: limits.output_kb * 1024 + 200])
    reply["notes"] = [wire.valid_text(n) for n in notes]
    err = reply["error"]
    if reply["ok"]:
        if err is not None:
            raise wire.WireError("malformed reply envelope")
    else:
        if type(err) is not dict or set(err) - {"hung"} != ERROR_FIELDS:
            raise wire.WireError("malformed error")
        if "hung" in err:  # a cell stopped inside a function (hung.py)
            if err["kind"] != "timeout":
                raise wire.WireError("malformed error")
            parse_hung(err["hung"])
        if err["kind"] not in ERROR_KINDS or type(err["exc_type"]) is not str or type(
            err["message"]
        ) is not str or any(err[k] is not None and type(err[k]) is not int
                            for k in ("cell", "line")):
            raise wire.WireError("malformed error")
        err["exc_type"] = wire.valid_text(err["exc_type"][:200])
        err["message"] = wire.valid_text(err["message"][:1024])
    return reply


def reply_caps(limits: Limits) -> wire.Caps:
    """What one reply may hold (Limits: reply_mb, reply_tensor_elements, reply_tensors)."""
    size = int(limits.reply_mb) << 20
    return wire.Caps(frame_bytes=size, tensor_elements=int(limits.reply_tensor_elements),
                     tensors=int(limits.reply_tensors), decoded_bytes=size)


def decode_value(node: Any, owner: str, caps: wire.Caps | None = None) -> Any:
    """A reply's value: plain data, tensors, and handles owned by `owner` (sandbox and worker
    generation), within `caps`. Raises wire.WireError."""

    def handle(n: tuple) -> Handle:
        if len(n) != 4 or type(n[2]) is not str or n[2] not in HANDLE_KINDS:
            raise wire.WireError("malformed handle")
        if type(n[3]) is not dict:
            raise wire.WireError("handle summary is not a dict")
        return Handle(n[2], n[1], n[3], owner)

    return wire.decode(node, handle, caps=caps)


def no_handles(node: tuple) -> Any:
    raise wire.WireError("unexpected handle")


def fault_of_error(err: dict, function: str | None, timeout: float,
                   last_death: Callable[[], str], cell_label: Callable[[int], str] | None = None) -> SubmissionFault:
    """The SubmissionFault for an error the worker reported (the request itself failed)."""
    kind = err["kind"]
    if kind == "missing":
        return MissingFunction(function or "?", None if err["exc_type"] == "NameError"
                               else err["exc_type"])
    if kind == "notimplemented":
        return NotImplementedByStudent(function or "?")
    if kind == "timeout":
        return CallTimeout(function, timeout)
    if kind == "lost":
        return WorkerDied(function, last_death() or "was restarted", lost=True)
    if kind == "internal":
        return BadReply(function, err["message"])
    if kind == "request":  # the worker could not decode what the grader sent
        raise SandboxError(f"the worker rejected the grader's request: {err['message']}")
    label = cell_label(err["cell"]) if cell_label is not None and err["cell"] is not None else None
    return StudentError(function, err["exc_type"], err["message"], err["cell"], err["line"], label)


def fault_of_broken(kind: str, reason: str, total: bool, function: str | None, timeout: float,
                    limits: Limits) -> SubmissionFault:
    """The SubmissionFault for a worker that broke (timed out, died, sent garbage)."""
    if kind == "timeout":
        return CallTimeout(function, limits.submission_timeout_s if total else timeout,
                           total=total)
    if kind == "bad":
        return BadReply(function, reason)
    return WorkerDied(function, reason)


def relabel(note: str, index: int, cell_label: Callable[[int], str]) -> str:
    """A note the worker wrote about the cell it ran ("cell 7: skipped shell line ..."), with the
    cell named as the grader names it."""
    prefix = f"cell {index}:"
    return cell_label(index) + note[len(prefix) - 1:] if note.startswith(prefix) else note


def skip_note(label: str, kind: str, reason: str, total: bool, limits: Limits) -> str:
    """What the student reads about a cell (`label`: how it is named) that broke its worker."""
    if kind == "timeout" and total:
        return (f"{label}: stopped, the notebook used up its total time of "
                f"{limits.submission_timeout_s:g} s")
    what = {"timeout": f"did not stop within {limits.cell_timeout_s:g} s",
            "bad": "wrote garbage to the grader's connection"}.get(kind, reason)
    return (f"{label}: skipped: the process running the notebook {what} while running "
            "this cell")

"""The wire format between grader and worker: frames of `torch.save` bytes holding tagged values.

Self-contained (stdlib and torch only): the client copies this file next to worker.py into the
worker's runtime folder, and the worker imports it from there.

A frame is `b"AGW1"`, an 8-byte big-endian length, then `torch.save` bytes of one message dict.
Frames are decoded ONLY with `torch.load(weights_only=True)`, which rebuilds tensors and plain
containers and refuses every other class, after the archive was checked (wire_checks.py: no
compressed entry, bounded pickle, tensors counted), and then every value is checked by `decode`
(tensors: dense, exactly their storage, within the caps, before any conversion).

Values travel as tagged tuples, so that no student value can pass for another kind (a dict of
the student's with a key "__handle__" stays a dict):

    ("n",) None   ("b", bool)  ("i", int)  ("f", float)  ("c", re, im)  ("s", str)
    ("t", tensor on cpu, device str, requires_grad)       ("z", [int, ...]) torch.Size
    ("d", dtype name)  ("v", device str)  ("L", [node]) ("T", [node]) ("D", [[key, node], ...])
    ("H", id) a handle sent to the worker; ("H", id, kind, summary node) one sent back
    ("U", type name, reason) an object that cannot cross (never pickled, never repr'd)
"""
from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

try:  # in the package (the grader)
    from .wire_checks import MAX_NODES, Budget, Caps, WireError, check_archive, valid_text
except ImportError:  # in the worker's runtime folder, next to this file
    from wire_checks import MAX_NODES, Budget, Caps, WireError, check_archive, valid_text

MAGIC = b"AGW1"
HEADER = struct.Struct(">4sQ")
MAX_FRAME = 512 * 2**20  # bytes of one frame; a longer length field is a malformed frame
MAX_DEPTH = 8  # nesting of lists/tuples/dicts in one value
MAX_ITEMS = 100_000  # elements of one list/tuple/dict
MAX_STR = 1 << 20  # characters of one string
MAX_INT_BITS = 4096
DEVICE_TYPES = ("cpu", "cuda", "mps")


@dataclass(frozen=True)
class Handle:
    """An object that stays in the worker (module, optimizer, figure, value put there).

    `summary` is plain data describing it; `owner` names the sandbox and worker generation it
    lives in, so a handle cannot be used after its worker was replaced."""

    kind: str
    id: int
    summary: dict = field(default_factory=dict, compare=False, hash=False)
    owner: str = ""


@dataclass(frozen=True)
class Unsupported:
    """A value of a type that does not cross the boundary; only its type name comes back."""

    type_name: str
    reason: str = ""

    def __str__(self) -> str:
        return f"<{self.type_name}>"


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------


def dumps(message: Any, limit: int = MAX_FRAME) -> bytes:
    """One message -> frame bytes (header included); WireError when over `limit` bytes."""
    buf = io.BytesIO()
    torch.save(message, buf)
    data = buf.getvalue()
    limit = min(limit, MAX_FRAME)
    if len(data) > limit:
        raise WireError(f"message of {len(data)} bytes is over the {limit} byte limit")
    return HEADER.pack(MAGIC, len(data)) + data


def parse_header(header: bytes, limit: int = MAX_FRAME) -> int:
    """Header bytes -> payload length; raises WireError for a forged header or one announcing
    more than `limit` bytes (nothing of such a frame is read)."""
    magic, length = HEADER.unpack(header)
    if magic != MAGIC:
        raise WireError("frame does not start with the protocol's magic bytes")
    if length > min(limit, MAX_FRAME):
        raise WireError(f"frame announces {length} bytes, over the {min(limit, MAX_FRAME)} byte limit")
    return length


def loads(payload: bytes, caps: Caps | None = None) -> Any:
    """Payload -> message, with the weights-only unpickler (no code, no arbitrary classes).

    Only the zip format torch.save writes is accepted (not the legacy pickle stream), and only
    after check_archive found nothing in it that costs more to load than its size."""
    if not payload.startswith(b"PK\x03\x04"):
        raise WireError("frame is not in torch.save's zip format")
    check_archive(payload, caps)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu")
    except Exception as e:  # any failure of a hostile frame is a malformed frame
        raise WireError(f"frame could not be loaded: {type(e).__name__}") from None


def read_frame(fd: int) -> Any:
    """Blocking read of one frame (worker side). Returns None at end of file."""
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    payload = _read_exact(fd, parse_header(header))
    if payload is None:
        raise WireError("end of file inside a frame")
    return loads(payload)


def write_frame(fd: int, message: Any, limit: int = MAX_FRAME) -> None:
    """Blocking write of one frame (worker side)."""
    view = memoryview(dumps(message, limit))
    while view:
        n = os.write(fd, view[: 1 << 20])
        view = view[n:]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        b = os.read(fd, min(n - got, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


class TooLarge(Exception):
    """Raised by `encode` when a value exceeds the caps (the sender reports it as Unsupported)."""


def encode_tensor(value: torch.Tensor) -> tuple:
    """A tensor -> ("t", plain detached cpu copy, device, requires_grad).

    Subclasses and Parameters are stripped: the copy is a plain torch.Tensor holding only the
    tensor's own elements (a view of a larger storage does not drag that storage along)."""
    with torch._C.DisableTorchFunctionSubclass():
        dev = value.device
        if value.layout != torch.strided or value.is_quantized or value.is_nested:
            return ("U", "torch.Tensor", f"{value.layout} tensors cannot be sent")
        if dev.type not in DEVICE_TYPES:
            return ("U", "torch.Tensor", f"tensors on {dev.type} cannot be sent")
        rg = bool(value.requires_grad)
        t = value.detach()
        t = t.to("cpu", copy=True) if dev.type != "cpu" else t.clone()
        t = t.as_subclass(torch.Tensor)
    return ("t", t, str(dev), rg)


def encode(value: Any, other: Callable[[Any], tuple], caps: Caps | None = None, _depth: int = 0,
           _budget=None) -> tuple:
    """A value -> tagged node. `other(value)` encodes what is not plain data (handles). A tensor
    over the receiver's `caps` becomes an Unsupported node that says so.

    Raises TooLarge when the value has more than MAX_NODES parts."""
    budget = _budget or Budget()
    try:
        budget.take()
    except WireError:
        raise TooLarge(f"more than {MAX_NODES} parts") from None
    t = type(value)
    if value is None:
        return ("n",)
    if t is bool:
        return ("b", value)
    if isinstance(value, torch.Tensor):
        if caps is not None and caps.tensor_elements is not None and value.numel() > caps.tensor_elements:
            return ("U", "torch.Tensor", f"more than {caps.tensor_elements} elements")
        budget.tensors += 1
        if caps is not None and caps.tensors is not None and budget.tensors > caps.tensors:
            return ("U", "torch.Tensor", f"more than {caps.tensors} tensors in one value")
        return encode_tensor(value)
    if isinstance(value, int) and not isinstance(value, bool):
        v = int.__index__(value)
        if v.bit_length() > MAX_INT_BITS:
            return ("U", "int", f"more than {MAX_INT_BITS} bits")
        return ("i", v)
    if isinstance(value, float):
        return ("f", float.__float__(value))
    if isinstance(value, complex):
        return ("c", complex.__complex__(value).real, complex.__complex__(value).imag)
    if isinstance(value, str):
        s = str.__str__(value)
        if len(s) > MAX_STR:
            return ("U", "str", f"longer than {MAX_STR} characters")
        return ("s", s)
    if isinstance(value, torch.Size):
        return ("z", [int(d) for d in tuple.__iter__(value)])
    if isinstance(value, torch.dtype):
        return ("d", str(value).replace("torch.", "", 1))
    if isinstance(value, torch.device):
        return ("v", str(value))
    if isinstance(value, (list, tuple, dict)):
        kind = "D" if isinstance(value, dict) else "T" if isinstance(value, tuple) else "L"
        if _depth >= MAX_DEPTH:
            return ("U", type(value).__name__, f"nested more than {MAX_DEPTH} levels deep")
        items = list(dict.items(value)) if kind == "D" else (
            list(tuple.__iter__(value)) if kind == "T" else list(list.__iter__(value))
        )
        if len(items) > MAX_ITEMS:
            return ("U", type(value).__name__, f"more than {MAX_ITEMS} items")
        if kind == "D":
            out = []
            for k, v in items:
                if type(k) not in (str, int):
                    return ("U", "dict", "keys must be strings or integers")
                out.append([k, encode(v, other, caps, _depth + 1, budget)])
            return ("D", out)
        return (kind, [encode(v, other, caps, _depth + 1, budget) for v in items])
    return other(value)


def decode(
    node: Any,
    handle: Callable[[tuple], Any],
    *,
    device_as_str: bool = True,
    keep_grad: bool = False,
    caps: Caps | None = None,
    _depth: int = 0,
    _budget=None,
) -> Any:
    """Tagged node -> value, checking every part. Raises WireError on anything malformed or over
    `caps` (tensors are checked before anything converts them: wire_checks.Budget.tensor).

    `handle(node)` turns an ("H", id) node, or an ("H", id, kind, summary) node whose summary is
    already decoded (handles inside it are refused), into the receiver's object; tensors are
    moved to the device they were tagged with; strings are made valid Unicode."""
    budget = _budget or Budget(caps)
    budget.take()
    if type(node) is not tuple or not node or type(node[0]) is not str:
        raise WireError("value is not a tagged tuple")
    tag, n = node[0], len(node)

    def bad(what: str) -> WireError:
        return WireError(f"malformed {tag!r} value: {what}")

    if tag == "n" and n == 1:
        return None
    if tag == "b" and n == 2 and type(node[1]) is bool:
        return node[1]
    if tag == "i" and n == 2 and type(node[1]) is int:
        if node[1].bit_length() > MAX_INT_BITS:
            raise bad("integer too large")
        return node[1]
    if tag == "f" and n == 2 and type(node[1]) is float:
        return node[1]
    if tag == "c" and n == 3 and type(node[1]) is float and type(node[2]) is float:
        return complex(node[1], node[2])
    if tag == "s" and n == 2 and type(node[1]) is str:
        if len(node[1]) > MAX_STR:
            raise bad("string too long")
        budget.text(node[1])
        return valid_text(node[1])
    if tag == "t" and n == 4:
        t, dev, rg = node[1], node[2], node[3]
        if type(t) is not torch.Tensor or type(dev) is not str or type(rg) is not bool:
            raise bad("not a plain tensor")
        if t.layout != torch.strided or t.is_quantized or t.device.type != "cpu":
            raise bad("not a dense cpu tensor")
        budget.tensor(t)  # before any conversion: .to() would materialise an expanded view
        device = _device(dev, bad)
        if device.type != "cpu":
            try:
                t = t.to(device)
            except Exception as e:
                raise bad(f"cannot move to {device}: {type(e).__name__}") from None
        if keep_grad and rg and (t.is_floating_point() or t.is_complex()):
            t.requires_grad_(True)
        return t
    if tag == "z" and n == 2 and type(node[1]) is list:
        if len(node[1]) > 64 or any(type(d) is not int or d < 0 for d in node[1]):
            raise bad("not a list of sizes")
        return torch.Size(node[1])
    if tag == "d" and n == 2 and type(node[1]) is str:
        dt = getattr(torch, node[1], None) if node[1].isidentifier() else None
        if not isinstance(dt, torch.dtype):
            raise bad("unknown dtype")
        return dt
    if tag == "v" and n == 2 and type(node[1]) is str:
        d = _device(node[1], bad)
        return str(d) if device_as_str else d
    if tag in ("L", "T", "D") and n == 2 and type(node[1]) is list:
        if _depth >= MAX_DEPTH:
            raise bad(f"nested more than {MAX_DEPTH} levels deep")
        items = node[1]
        if len(items) > MAX_ITEMS:
            raise bad("too many items")
        kw = dict(device_as_str=device_as_str, keep_grad=keep_grad, _depth=_depth + 1,
                  _budget=budget)
        if tag == "D":
            out = {}
            for pair in items:
                if type(pair) not in (list, tuple) or len(pair) != 2 or type(pair[0]) not in (str, int):
                    raise bad("not a [key, value] pair")
                key = pair[0]
                if type(key) is str:
                    budget.text(key)
                    key = valid_text(key[:MAX_STR])
                out[key] = decode(pair[1], handle, **kw)
            return out
        values = [decode(v, handle, **kw) for v in items]
        return tuple(values) if tag == "T" else values
    if tag == "H" and n == 2 and type(node[1]) is int:
        return handle(node)
    if tag == "H" and n == 4 and type(node[1]) is int:  # a handle sent back, with its summary
        summary = decode(node[3], _no_handle, device_as_str=device_as_str,
                         _budget=budget)  # in the same budget: a summary costs what it holds
        return handle((node[0], node[1], node[2], summary))
    if tag == "U" and n == 3 and type(node[1]) is str and type(node[2]) is str:
        return Unsupported(valid_text(node[1][:200]), valid_text(node[2][:500]))
    raise WireError(f"unknown or malformed value tag {tag[:10]!r}")


def _no_handle(node: tuple) -> Any:
    raise WireError("a handle inside a handle's summary")


def _device(text: str, bad) -> torch.device:
    try:
        d = torch.device(text)
    except Exception:
        raise bad("not a device") from None
    if d.type not in DEVICE_TYPES:
        raise bad(f"device type {d.type} not allowed")
    return d

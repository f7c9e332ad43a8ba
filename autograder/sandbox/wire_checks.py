"""What a received frame may hold: checked before it is loaded, and part by part after.

A student can replace the worker's own encoder and write any frame the weights-only loader
accepts, so a reply's cost to the grader must follow from its size, and its size is capped:

- before loading (`check_archive`): only stored (uncompressed) zip entries, so no storage holds
  more bytes than the frame; at most `tensors` storages; a pickle of bounded length whose calls
  (each tensor is one) and operations are counted before the loader runs any of them;
- after loading, before any conversion (`Budget.tensor`): a plain dense tensor whose storage is
  exactly its elements (no stride-0 `expand`ed view of a few bytes that reads as gigabytes, no
  overlapping strides, no offset), not sharing its memory with another tensor of the frame, at
  most `tensor_elements` elements; and for the whole value at most `decoded_bytes` of tensor
  data, strings and containers.

Runtime module of the worker too (copied next to wire.py; standard library and torch only).
"""
from __future__ import annotations

import io
import pickletools
import re
import zipfile
from dataclasses import dataclass

import torch

MAX_NODES = 1_000_000  # nodes (tagged values) in one value
MAX_PICKLE = 16 * 2**20  # bytes of a frame's pickle (its structure: tensor data is apart)
OPS_PER_NODE = 6  # pickle operations one node takes at most (a float in a list takes 5)
CALLS_PER_TENSOR = 2  # pickle calls one tensor takes (_rebuild_tensor_v2, its hooks' dict)
NODE_BYTES = 64  # what one node costs in the grader's memory, about (a tuple, an object)
CALLS = frozenset({"REDUCE", "NEWOBJ", "NEWOBJ_EX", "BUILD", "INST", "OBJ"})
SURROGATE = re.compile("[\ud800-\udfff]")


class WireError(ValueError):
    """A frame or value that does not follow the format (malformed, forged or too large)."""


@dataclass(frozen=True)
class Caps:
    """Caps on what one received frame may hold (the grader's come from Limits: reply_mb,
    reply_tensor_elements, reply_tensors). None: no cap beyond the format's own."""

    frame_bytes: int
    tensor_elements: int | None = None
    tensors: int | None = None
    decoded_bytes: int | None = None


def valid_text(text: str) -> str:
    """Lone surrogates (valid in a Python str, not in UTF-8) -> U+FFFD; see autograder/unicode.py."""
    return SURROGATE.sub("\ufffd", text) if SURROGATE.search(text) else text


def _entries(payload: bytes) -> int:
    """The number of entries the archive's end record announces (read before the zip module
    builds an object per entry)."""
    end = payload.rfind(b"PK\x05\x06", max(0, len(payload) - 65_557))
    if end < 0 or len(payload) < end + 22:
        raise WireError("frame is not a readable archive: no end record")
    count = int.from_bytes(payload[end + 10:end + 12], "little")
    if count == 0xFFFF:  # zip64: the count is in the zip64 end record
        start = payload.rfind(b"PK\x06\x06", 0, end)
        if start < 0 or len(payload) < start + 40:
            raise WireError("frame is not a readable archive: no zip64 end record")
        count = int.from_bytes(payload[start + 32:start + 40], "little")
    return count


def check_archive(payload: bytes, caps: Caps | None) -> None:
    """Refuse a torch.save archive whose loading would cost more than its size allows."""
    tensors = caps.tensors if caps is not None and caps.tensors is not None else MAX_NODES
    if _entries(payload) > tensors + 16:  # one entry per storage, and a few of the format's
        raise WireError(f"frame holds more than {tensors} entries")
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise WireError(f"frame is not a readable archive: {type(e).__name__}") from None
    if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        raise WireError("frame has compressed entries (a small frame could hold a huge tensor)")
    if sum(i.file_size for i in infos) > len(payload):
        raise WireError("frame's entries claim more bytes than the frame has")
    pickles = [i for i in infos if i.filename.endswith("/data.pkl") or i.filename == "data.pkl"]
    if len(pickles) != 1 or pickles[0].file_size > MAX_PICKLE:
        raise WireError("frame has no pickle, more than one, or one that is too long")
    if caps is None or caps.tensors is None:
        return
    storages = sum(1 for i in infos if "/data/" in i.filename and i.filename.rsplit("/", 1)[-1].isdigit())
    if storages > caps.tensors:
        raise WireError(f"frame holds more than {caps.tensors} tensors")
    max_calls = CALLS_PER_TENSOR * caps.tensors + 16
    max_ops = OPS_PER_NODE * MAX_NODES
    calls = ops = 0
    try:
        for op, _, _ in pickletools.genops(archive.read(pickles[0])):
            ops += 1
            calls += op.name in CALLS
            if calls > max_calls or ops > max_ops:
                raise WireError(f"frame builds more than {caps.tensors} tensors or {MAX_NODES} values")
    except (ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise WireError(f"frame's pickle is malformed: {type(e).__name__}") from None


def dense_layout(t: torch.Tensor) -> bool:
    """Every element of the storage is exactly one element of the view: offset 0, the storage
    as long as the elements, strides a permutation of a contiguous layout (no stride 0, no
    overlap, no gap). What our encoder sends (a clone keeps a permuted dense layout)."""
    nbytes = t.numel() * t.element_size()
    if t.storage_offset() != 0 or t.untyped_storage().nbytes() != nbytes:
        return False
    if nbytes == 0:
        return True
    expected = 1
    for stride, size in sorted((st, s) for s, st in zip(t.shape, t.stride()) if s != 1):
        if stride != expected:
            return False
        expected *= size
    return True


class Budget:
    """What one decoded value has cost so far, against the caps."""

    def __init__(self, caps: Caps | None = None) -> None:
        self.caps = caps
        self.nodes = 0
        self.tensors = 0
        self.bytes = 0
        self.storages: set[int] = set()

    def take(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise WireError(f"value has more than {MAX_NODES} parts")
        self._spend(NODE_BYTES)

    def text(self, text: str) -> None:
        self._spend(4 * len(text))

    def tensor(self, t: torch.Tensor) -> None:
        """Checks of a received tensor before anything converts it (see the module docstring)."""
        if not dense_layout(t):
            raise WireError("tensor's storage is not exactly its elements (expanded, overlapping "
                            "or offset view)")
        caps = self.caps
        self.tensors += 1
        if caps is not None and caps.tensors is not None and self.tensors > caps.tensors:
            raise WireError(f"value holds more than {caps.tensors} tensors")
        if caps is not None and caps.tensor_elements is not None and t.numel() > caps.tensor_elements:
            raise WireError(f"tensor has more than {caps.tensor_elements} elements")
        if t.numel():
            ptr = t.untyped_storage().data_ptr()
            if ptr in self.storages:
                raise WireError("two tensors share their memory")
            self.storages.add(ptr)
        self._spend(t.numel() * t.element_size())

    def _spend(self, nbytes: int) -> None:
        self.bytes += nbytes
        caps = self.caps
        if caps is not None and caps.decoded_bytes is not None and self.bytes > caps.decoded_bytes:
            raise WireError(f"value is larger than {caps.decoded_bytes} bytes once decoded")

"""Reading a submission's notebooks without trusting its file system.

Every byte of a submission is hostile: a notebook may be a symbolic link to the course's
answer key, a FIFO that blocks a reader forever, a device, or a file of gigabytes. So files are
opened with O_NOFOLLOW | O_NONBLOCK, checked with fstat to be regular files, and read up to a
cap; folders are walked without following links, to a bounded depth and count.

`read_regular_file` is the one place that opens a submitted file; a project-wide helper for
safe reads can replace it without touching the rest of the package.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from autograder.notebooks import MAX_NOTEBOOK_BYTES

MAX_NOTEBOOKS = 20  # per submission: an assignment has three notebooks
MAX_DEPTH = 6  # folders below the submission's own
SKIPPED_FOLDERS = {".ipynb_checkpoints", "__MACOSX"}


class UnsafeFile(Exception):
    """A submitted file that is not read: a link, not a regular file, too large, not a notebook."""


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of `path` if it is a regular file (never a link) of at most `max_bytes`."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if os.path.islink(path):
            raise UnsafeFile(f"{path.name} is a symbolic link; it was not read") from None
        raise UnsafeFile(f"{path.name} cannot be opened: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(f"{path.name} is not a regular file; it was not read")
        if st.st_size > max_bytes:
            raise UnsafeFile(f"{path.name} is larger than {max_bytes} bytes; it was not read")
        chunks, size = [], 0
        while True:
            block = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not block:
                break
            chunks.append(block)
            size += len(block)
            if size > max_bytes:  # grew while being read
                raise UnsafeFile(f"{path.name} is larger than {max_bytes} bytes; it was not read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_notebook(path: Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> dict:
    """A submitted notebook's cells (type, source as one string, nbgrader metadata: nothing
    else is compared), or UnsafeFile saying why it is not a notebook."""
    data = read_regular_file(path, max_bytes)
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise UnsafeFile(f"{path.name} is not a notebook (not UTF-8 JSON)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise UnsafeFile(f"{path.name} has no list of cells; it is not a Jupyter notebook")
    return {"cells": [c for c in map(_plain_cell, nb["cells"]) if c is not None]}


def _plain_cell(cell) -> dict | None:
    """The parts of a cell that are compared, in the types the readers expect (a hostile file
    can put a number where the source should be, or a string where the metadata should be)."""
    if not isinstance(cell, dict):
        return None
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(part for part in src if isinstance(part, str))
    elif not isinstance(src, str):
        src = ""
    meta = cell.get("metadata")
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    kind = cell.get("cell_type")
    return {"cell_type": kind if isinstance(kind, str) else "raw", "source": src,
            "metadata": {"nbgrader": nbgrader} if isinstance(nbgrader, dict) else {}}


def notebook_files(submission: Path) -> tuple[list[Path], list[str]]:
    """The .ipynb files of a submission (a folder, or one notebook file), in name order, and notes
    on what was passed over. Links are never followed, files or folders."""
    notes: list[str] = []
    try:
        st = os.lstat(submission)
    except OSError as e:
        return [], [f"{submission.name} cannot be read: {e.strerror}"]
    if stat.S_ISLNK(st.st_mode):
        return [], [f"{submission.name} is a symbolic link; it was not read"]
    if stat.S_ISREG(st.st_mode):
        return [submission], notes
    if not stat.S_ISDIR(st.st_mode):
        return [], [f"{submission.name} is neither a notebook nor a folder"]
    found: list[Path] = []
    root_depth = len(submission.parts)
    for folder, dirs, files in os.walk(submission, followlinks=False):
        here = Path(folder)
        if len(here.parts) - root_depth >= MAX_DEPTH:
            dirs[:] = []
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS and not d.startswith("."))
        found += [here / f for f in sorted(files) if f.endswith(".ipynb") and not f.startswith(".")]
    found.sort(key=lambda p: p.relative_to(submission).as_posix())
    if len(found) > MAX_NOTEBOOKS:
        notes.append(f"{len(found)} notebooks found; only the first {MAX_NOTEBOOKS} were read")
        found = found[:MAX_NOTEBOOKS]
    return found, notes

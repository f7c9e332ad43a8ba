"""Small file helpers every writer shares: atomic writes, rewriting only what changed, checking
an output location before any work is done, and turning a name from the file system into text.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Pseudo file systems and system folders: never a place for results, even when mkdir works as root.
_NOT_FOR_OUTPUT = ("/proc", "/sys", "/dev")


class OutputError(Exception):
    """An output location cannot be used; the message says which and why, in one line."""


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write `path` so that readers see the old file or the new one, never a part."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_if_changed(path: Path, text: str) -> Path:
    """`atomic_write`, skipped when the file already holds `text` (its mtime then stays)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return path
    except (OSError, UnicodeDecodeError):
        pass
    return atomic_write(path, text)


def _system_path(path: Path) -> bool:
    s = str(path)
    return any(s == p or s.startswith(p + "/") for p in _NOT_FOR_OUTPUT)


def prepare_output_dir(path: Path, what: str = "--out") -> Path:
    """The resolved folder `path`, created when missing and proven writable (a file is written
    and removed), so that a command can refuse a bad output folder before it grades anything.
    Raises OutputError with one line saying what is wrong."""
    path = Path(path).expanduser().resolve()
    if _system_path(path):
        raise OutputError(f"{what} {path} is inside a system folder; give a folder of your own")
    try:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{what} {path} is a file, not a folder; give a folder for the results")
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".autograder-write-test-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"{what} {path} cannot be written: {e.strerror or e}; give a writable folder") from None
    return path


def prepare_output_file(path: Path, what: str = "--out") -> Path:
    """The resolved file `path` whose folder exists (created when missing) and is writable;
    `path` itself must not be a folder. Raises OutputError."""
    path = Path(path).expanduser().resolve()
    try:
        folder = path.is_dir()
    except OSError as e:
        raise OutputError(f"{what} {path} cannot be reached: {e.strerror or e}") from None
    if folder:
        raise OutputError(f"{what} {path} is a folder; give the path of the file to write")
    prepare_output_dir(path.parent, what=f"{what} {path.name}: its folder")
    return path


def display_name(name: str) -> str:
    """A name read from the file system as valid text. Python decodes undecodable bytes of file
    names to lone surrogates (which no UTF-8 writer accepts); they become U+FFFD here, once, where
    the name enters, so that every message, record and page can carry it."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _only_escapes(name) \
            else name.encode("utf-8", "replace").decode("utf-8")


def _only_escapes(name: str) -> bool:
    try:
        name.encode("utf-8", "surrogateescape")
        return True
    except UnicodeEncodeError:
        return False

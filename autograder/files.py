"""The file system boundary: reading a submission's files, and writing the grader's outputs.

Every byte of a submission is hostile, its file types included: a git clone or a tarball keeps
symbolic links, so a "notebook" may be a link to the instructor's source notebook or a
classmate's file, to /dev/zero (never ends), a FIFO (blocks forever), a device or a socket. The
grader reads a submission only through this module:

- `regular_files(folder, suffix)` lists the regular files below a folder without following a
  link (a linked file or folder is not listed);
- `read_regular(path, limit, root)` reads one file, refusing anything but a regular file, opened
  without following a link in the file's name or in any folder between `root` (trusted: the
  folder the grader was given) and it, and never more than `limit` bytes;
- `is_regular`, `regular_size` look at a name without following it.

Outputs are written with `atomic_write`: a reader sees the old file or the new one, never a part
(a grader killed mid-write leaves no 0-byte results file). `prepare_output_dir`/`_file` check an
output location before any work is done, so that a bad `--out` costs no grading.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from autograder.unicode import valid

MAX_SUBMITTED_FILE = 50 * 1024 * 1024  # bytes of one submitted notebook: more is no homework


class NotRegularFile(OSError):
    """A submitted name that is not a regular file, or is larger than allowed; `str()` is a
    sentence for the student."""


def display_name(name: str | os.PathLike) -> str:
    """A name from the file system, fit to show: a path gives its last part, a string is taken
    whole. Python decodes bytes of a name that are not UTF-8 to lone surrogates (which no UTF-8
    writer accepts); each becomes U+FFFD here, where the name enters."""
    return valid(name.name if isinstance(name, Path) else os.fspath(name))


def kind_of(mode: int) -> str:
    for test, what in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return what
    return "not a regular file"


def is_regular(path: Path) -> bool:
    """A regular file, by its own name (a link to one is not)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def regular_size(path: Path) -> int:
    """The size of a regular file (0 for anything else, links included)."""
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _walk(folder: Path, suffix: str, skip: tuple[str, ...]):
    """(path, lstat mode) of every entry below `folder` whose name ends with `suffix`; links to
    folders are not entered (os.walk with followlinks=False)."""
    for here, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in sorted(dirs) + sorted(files):
            path = Path(here) / name
            if name.endswith(suffix):
                try:
                    yield path, os.lstat(path).st_mode
                except OSError:
                    continue


def regular_files(folder: Path, suffix: str = "", skip: tuple[str, ...] = (".ipynb_checkpoints",)) -> list[Path]:
    """Regular files below `folder` whose name ends with `suffix`, in name order; links (to
    files or folders) are neither listed nor followed."""
    return sorted(p for p, mode in _walk(folder, suffix, skip) if stat.S_ISREG(mode))


def irregular_files(folder: Path, suffix: str = "", skip: tuple[str, ...] = (".ipynb_checkpoints",)) -> list[tuple[Path, str]]:
    """What below `folder` is named like `suffix` but is no regular file (a link, a FIFO, a
    socket, a device), with what it is: it is not read, and the student is told why."""
    return sorted((p, kind_of(mode)) for p, mode in _walk(folder, suffix, skip)
                  if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode))


def _refuse(path: Path, mode: int) -> NotRegularFile:
    return NotRegularFile(f"{display_name(path)} is {kind_of(mode)}, not a regular file: submit "
                          "the file itself (links, pipes and devices are not read)")


def open_regular(path: Path, root: Path | None = None) -> int:
    """A read-only fd of the regular file `path`; no link is followed below `root` (default: the
    file's own folder). Raises NotRegularFile, or OSError when it cannot be opened."""
    path = Path(path)
    root = Path(root) if root is not None else path.parent
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        raise NotRegularFile(f"{display_name(path)} is outside {display_name(root)}") from None
    if not parts:
        raise NotRegularFile(f"{display_name(path)} is a folder, not a file")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, part in enumerate(parts[:-1]):
            st = os.stat(part, dir_fd=fd, follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode):
                raise _refuse(root.joinpath(*parts[: i + 1]), st.st_mode)
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = nxt
        st = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):  # before opening: opening a device or FIFO can act
            raise _refuse(path, st.st_mode)
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        file_fd = os.open(parts[-1], flags, dir_fd=fd)
    finally:
        os.close(fd)
    mode = os.fstat(file_fd).st_mode
    if not stat.S_ISREG(mode):  # replaced between the look and the open
        os.close(file_fd)
        raise _refuse(path, mode)
    return file_fd


def read_regular(path: Path, limit: int = MAX_SUBMITTED_FILE, root: Path | None = None) -> bytes:
    """The bytes of the regular file `path` (see open_regular); NotRegularFile when it holds
    more than `limit` bytes."""
    fd = open_regular(path, root)
    try:
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise NotRegularFile(f"{display_name(path)} is larger than {limit // 2**20} MB; clear its "
                             "outputs and submit again")
    return data


# Pseudo file systems and system folders: never a place for results, even when mkdir works as root.
_NOT_FOR_OUTPUT = ("/proc", "/sys", "/dev")


class OutputError(Exception):
    """An output location cannot be used; the message says which and why, in one line."""


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write `path` so that readers see the old file or the new one, never a part. A link or
    file planted at `path` is replaced, never followed."""
    if isinstance(data, str):
        data = valid(data).encode("utf-8")
    path = Path(path)
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

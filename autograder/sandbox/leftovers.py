"""Sandbox folders a killed grading process left behind, and their removal.

A grading process removes the folders it made (`launchers.make_runtime`: the runtime copy, the
workers' working folders, a fork server's folder) when it ends normally; SIGKILL, os._exit or an
out-of-memory kill skip that. So each folder holds an owner lock (`flock` on `.owner`), held by the
process that made it for as long as it lives, and the next grading process on the machine removes
the folders whose lock nobody holds any more (once, at its first sandbox). A folder of a live
grader (another user's, a concurrent grade-all) keeps its lock and is left alone. Only real
folders of this user, named as make_runtime names them, are ever removed: never a link, never
another user's folder. Standard library only.
"""
from __future__ import annotations

import fcntl
import os
import stat
import tempfile
import threading

PREFIX = "autograder-sandbox-"
OWNER = ".owner"

_held: dict[str, int] = {}  # folder -> descriptor holding its owner lock
_lock = threading.Lock()
_swept = False


def claim(base: str) -> None:
    """Hold `base`'s owner lock for the life of this process (until `release`). The lock is taken
    on a file of another name, then renamed: a sweeper never sees `.owner` unlocked."""
    tmp = os.path.join(base, OWNER + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(tmp, os.path.join(base, OWNER))
    with _lock:
        _held[base] = fd


def release(base: str) -> None:
    with _lock:
        fd = _held.pop(base, None)
    if fd is not None:
        os.close(fd)


def stale_folders(tmp: str | None = None) -> list[str]:
    """This user's sandbox folders under the temporary folder whose owner lock nobody holds."""
    tmp = tmp or tempfile.gettempdir()
    try:
        names = sorted(os.listdir(tmp))
    except OSError:
        return []
    found = []
    for name in names:
        if not name.startswith(PREFIX):
            continue
        base = os.path.join(tmp, name)
        try:
            st = os.lstat(base)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            continue  # a link, a file, another user's: not ours
        try:
            fd = os.open(os.path.join(base, OWNER), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # no lock: not made by make_runtime (or being made right now)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its grading process is alive
        finally:
            os.close(fd)
        found.append(base)
    return found


def sweep_once(remove) -> list[str]:
    """Remove the stale folders with `remove` (launchers.rmtree), the first time it is called in
    this process; returns what it removed."""
    global _swept
    with _lock:
        if _swept:
            return []
        _swept = True
    removed = []
    for base in stale_folders():
        try:
            remove(base)
        except Exception:  # noqa: BLE001 - a leftover that cannot go stays; grading goes on
            continue
        removed.append(base)
    return removed

"""Numeric users for workers when the grader runs as root: one per Sandbox, unique on the machine
while held, and a way to kill every process of one.
"""
from __future__ import annotations

import errno
import fcntl
import os
import pwd
import random
import signal
import tempfile
import warnings

from .errors import SandboxError

UID_RANGE = (61000, 62000)  # numeric users for workers (no passwd entry)


class UidLease:
    """A numeric uid for this sandbox's workers, unique on the machine while held: an flock on
    a root-only lock file, and no process running as that uid."""

    _local: set[int] = set()

    def __init__(self) -> None:
        d = os.path.join(tempfile.gettempdir(), "autograder-sandbox-uids")
        os.makedirs(d, mode=0o700, exist_ok=True)
        st = os.lstat(d)
        if st.st_uid != 0 or not os.path.isdir(d) or os.path.islink(d) or st.st_mode & 0o077:
            raise SandboxError(f"{d} is not a root-only folder")
        rng = random.SystemRandom()
        for _ in range(500):
            uid = rng.randrange(*UID_RANGE)
            if uid in self._local or uid_known(uid) or uid_running(uid):
                continue
            fd = os.open(os.path.join(d, f"{uid}.lock"),
                         os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    continue
                raise
            self.uid, self._fd = uid, fd
            self._local.add(uid)
            return
        raise SandboxError(f"no free uid in {UID_RANGE} for a sandbox worker")

    def release(self) -> None:
        if self._fd >= 0:
            self._local.discard(self.uid)
            os.close(self._fd)
            self._fd = -1


def kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid`, atomically (kill(-1) as that user): nothing a submission
    forked survives, whatever session or group it moved to. Root only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def uid_known(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


def uid_running(uid: int) -> bool:
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    return True
            except OSError:
                pass
    return False

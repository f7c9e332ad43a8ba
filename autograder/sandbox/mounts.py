"""Mounts of the launcher (isolation.py): what the worker's file system and /proc look like.

Runtime module of the launcher (copied next to it; standard library only). Used inside a new
mount namespace only, so nothing here changes what the grader or other workers see.
"""
from __future__ import annotations

import ctypes
import os
import stat

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
NEVER_HIDE = ("/", "/proc", "/sys", "/dev", "/usr", "/etc", "/bin", "/lib", "/lib64", "/sbin")
# A /proc where a user sees only its own processes ("invisible" since Linux 5.8, "2" before).
PROC_OPTIONS = ("hidepid=invisible", "hidepid=2")

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                       ctypes.c_char_p]


def check(ret: int, what: str) -> None:
    if ret != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def mount(src, target: str, fstype, flags: int, data=None) -> None:
    enc = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    check(libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _mount_flags(path: str) -> int:
    """The flags a read-only remount must keep (inside a user namespace, dropping a locked
    nosuid/nodev/noexec flag is refused)."""
    f = os.statvfs(path).f_flag
    out = 0
    for st, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                   (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
                   (getattr(os, "ST_RELATIME", 4096), MS_RELATIME)):
        if f & st:
            out |= ms
    return out


def _readonly_bind(path: str, report: dict) -> None:
    try:
        mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _mount_flags(path))
    except OSError as e:
        report["notes"].append(f"could not make {path} read-only: {e.strerror}")


def hide_paths(hide: list, keep: list, report: dict) -> None:
    """Cover each hidden path, keeping the `keep` paths below it visible (read-only): a folder
    by an empty read-only tmpfs, anything else (a file, a socket, a FIFO) by /dev/null."""
    keep = sorted({os.path.realpath(k) for k in keep if os.path.exists(k)})
    hide = sorted({os.path.realpath(h) for h in hide if os.path.lexists(h)},
                  key=lambda p: (p.count("/"), p))
    # Open the kept paths before anything is covered; bind mounts are made from these fds.
    fds = {k: os.open(k, os.O_PATH | os.O_CLOEXEC) for k in keep}
    done: list = []
    for h in hide:
        if h in NEVER_HIDE or h in keep:
            report["notes"].append(f"refused to hide {h}: the worker needs it")
            continue
        if any(_under(h, d) for d in done) and not any(_under(h, k) for k in keep):
            continue  # already covered by a hidden parent
        if not os.path.isdir(h):
            mount("/dev/null", h, None, MS_BIND)
            _readonly_bind(h, report)
            done.append(h)
            continue
        opts = "size=1m,nr_inodes=4096,mode=0755"
        mount("tmpfs", h, "tmpfs", MS_NOSUID | MS_NODEV, opts)
        inside = [k for k in keep if _under(k, h) and k != h]
        outer = [k for k in inside if not any(_under(k, o) and k != o for o in inside)]
        for k in outer:
            parent = os.path.dirname(k)
            os.makedirs(parent, mode=0o755, exist_ok=True)
            if stat.S_ISDIR(os.stat(f"/proc/self/fd/{fds[k]}").st_mode):
                os.makedirs(k, mode=0o755, exist_ok=True)
            else:
                os.close(os.open(k, os.O_CREAT | os.O_WRONLY, 0o644))
            mount(f"/proc/self/fd/{fds[k]}", k, None, MS_BIND | MS_REC)
            _readonly_bind(k, report)
        mount("tmpfs", h, "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, opts)
        done.append(h)
    for fd in fds.values():
        os.close(fd)
    report["hidden"] = done


def untraversable_ancestors(paths: list) -> list:
    """Folders on the way to a kept path that the worker's user could not enter (e.g. /root
    holding Python): hiding them puts a 0755 tmpfs skeleton there."""
    out = set()
    for p in paths:
        p = os.path.realpath(p)
        while p != "/":
            p = os.path.dirname(p)
            try:
                if not os.stat(p).st_mode & stat.S_IXOTH:
                    out.add(p)
            except OSError:
                pass
    return sorted(out)


def mount_workdir(path: str, size_mb: int, uid, gid) -> None:
    """The worker's working folder: a fresh tmpfs of at most `size_mb`, owned by its user."""
    owner = f",uid={uid},gid={gid}" if uid is not None else ""
    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={int(size_mb)}m,nr_inodes=20000,mode=0700{owner}")


def mount_proc(report: dict) -> None:
    """A /proc of the calling process's PID namespace (run by its init), where each user sees
    only its own processes: the grader's and other students' command lines and environments
    are not there at all. Raises OSError when no proc can be mounted."""
    last: OSError | None = None
    for opts in (*PROC_OPTIONS, None):
        try:
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts)
            report["proc"] = opts or "own namespace"
            if opts is None:
                report["notes"].append("/proc could not hide other users' processes (hidepid)")
            return
        except OSError as e:
            last = e
    raise last  # type: ignore[misc]

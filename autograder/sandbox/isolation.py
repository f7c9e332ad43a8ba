"""The launcher: what happens between the grader's fork and the worker's start.

Run as `python -I -S isolation.py CONFIG_JSON` (a copy in the runtime folder; standard library
only). It is a separate tiny process rather than a `preexec_fn`, so that nothing here runs in a
forked copy of the multi-threaded grader, and a failure can be reported and judged. In order:

1. namespaces: a new network namespace (no network at all: a connect fails at once, loopback is
   down), a new mount namespace and a new IPC namespace. As non-root, inside a new user
   namespace that maps the user to itself, where the kernel allows it.
2. mounts (mount namespace only): every hidden path is covered by an empty read-only tmpfs (a
   hidden file by /dev/null) except what the worker needs inside it (Python, the venv, the
   runtime folder, the working folder), bound back read-only; the working folder becomes a fresh
   tmpfs of at most `file_size_mb`, owned by the worker's user, mode 0700.
3. resource limits: CPU seconds, address space (not on CUDA), file size, processes, no core.
4. as root: a unique unprivileged uid/gid, no supplementary groups; then no_new_privs (no
   set-uid program can give privileges back).
5. exec the worker with the scrubbed environment.

What could not be done (not root, no user namespaces) is recorded in the report the worker passes
to the grader; as root, failing to drop privileges is fatal (exit 70), never ignored.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import stat
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
PR_SET_NO_NEW_PRIVS = 38
NEVER_HIDE = ("/", "/proc", "/sys", "/dev", "/usr", "/etc", "/bin", "/lib", "/lib64", "/sbin")
FATAL = 70

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]


class Fatal(Exception):
    pass


def _check(ret: int, what: str) -> None:
    if ret != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(flags)
    else:
        _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(src, target: str, fstype, flags: int, data=None) -> None:
    enc = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    _check(_libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


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
    """Cover each hidden path, keeping the `keep` paths below it visible (read-only)."""
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


def _untraversable_ancestors(paths: list) -> list:
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


def _processes_of(uid: int) -> int:
    n = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                n += os.stat(f"/proc/{name}").st_uid == uid
            except OSError:
                pass
    return n


def set_limits(cfg: dict, report: dict, root: bool) -> None:
    lim = cfg["rlimits"]
    wanted = [("RLIMIT_CORE", 0, 0), ("RLIMIT_CPU", lim["cpu"], lim["cpu"] + 5),
              ("RLIMIT_FSIZE", lim["fsize"], lim["fsize"])]
    if lim.get("as"):
        wanted.append(("RLIMIT_AS", lim["as"], lim["as"]))
    nproc = lim["nproc"]
    if not root:  # counted over all the user's processes: leave room for the ones running
        nproc += _processes_of(os.getuid())
    wanted.append(("RLIMIT_NPROC", nproc, nproc))
    done = []
    for name, soft, hard in wanted:
        res = getattr(resource, name)
        cur_soft, cur_hard = resource.getrlimit(res)
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        try:
            resource.setrlimit(res, (soft, hard))
            done.append(name)
        except (ValueError, OSError) as e:
            report["notes"].append(f"could not set {name}: {e}")
    report["limits"] = done


def isolate(cfg: dict, report: dict) -> None:
    root = os.geteuid() == 0
    uid, gid = cfg.get("uid"), cfg.get("gid")
    notes = report["notes"]
    # 1. Namespaces.
    ns = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC
    report["namespaces"] = False
    if cfg.get("namespaces", True):
        try:
            if root:
                unshare(ns)
            else:
                ruid, rgid = os.getuid(), os.getgid()
                unshare(CLONE_NEWUSER | ns)
                _write("/proc/self/setgroups", "deny")
                _write("/proc/self/uid_map", f"{ruid} {ruid} 1")
                _write("/proc/self/gid_map", f"{rgid} {rgid} 1")
                report["user_namespace"] = True
            report["namespaces"] = True
        except OSError as e:
            notes.append(f"no network/mount namespaces ({e.strerror}): the worker has the "
                         "network and can read every path its user can")
    else:
        notes.append("namespaces turned off: the worker has the network and can read every "
                     "path its user can")
    # 2. Mounts.
    work = cfg["workdir"]
    if report["namespaces"]:
        try:
            mount(None, "/", None, MS_REC | MS_PRIVATE)
            hide = list(cfg["hide"])
            if root and uid is not None:
                hide += _untraversable_ancestors(cfg["keep"])
            hide_paths(hide, cfg["keep"], report)
            owner = f",uid={uid},gid={gid}" if uid is not None else ""
            mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV,
                  f"size={int(cfg['work_mb'])}m,nr_inodes=20000,mode=0700{owner}")
            os.chdir(work)
            report["work_tmpfs"] = True
        except OSError as e:
            if root:
                raise Fatal(f"mount isolation failed: {e}")
            notes.append(f"paths could not be hidden ({e}): the worker can read them")
    else:
        report["hidden"] = []
        blocked = _untraversable_ancestors(cfg["keep"]) if root and uid is not None else []
        if blocked:
            raise Fatal(f"no mount namespace, and the worker's user cannot enter {blocked[0]} "
                        f"to reach Python: install Python where every user can read it")
    # 3. Resource limits.
    set_limits(cfg, report, root)
    # 4. An unprivileged user.
    report["user_switched"] = False
    if root:
        if uid is None:
            raise Fatal("running as root but no uid was given for the worker")
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        except OSError as e:
            raise Fatal(f"could not switch to uid {uid}: {e}")
        if os.geteuid() == 0 or os.getuid() == 0 or os.getegid() == 0:
            raise Fatal("still root after switching user")
        report["user_switched"] = True
    else:
        notes.append("not root: the worker runs as the grader's own user, so it can signal the "
                     "grader's processes and write the user's files that are not hidden")
    report["uid"] = os.getuid()
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        notes.append("could not set no_new_privs")


def main(argv: list) -> None:
    cfg = json.loads(argv[1])
    report: dict = {"notes": []}
    try:
        isolate(cfg, report)
    except (Fatal, OSError) as e:
        os.write(2, f"sandbox launcher: {e}\n".encode(errors="replace"))
        os._exit(FATAL)
    cfg["isolation"] = report
    cfg.pop("hide", None)  # the worker need not know what is hidden
    cfg.pop("keep", None)
    py = cfg["python"]
    os.execve(py, [py, "-s", "-B", cfg["worker"], json.dumps(cfg)], cfg["env"])


if __name__ == "__main__":
    main(sys.argv)

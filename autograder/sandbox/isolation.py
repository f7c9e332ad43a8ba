"""The launcher: what happens between the grader's fork and the worker's start, and the watchdog
that ends the submission when the grader is gone.

Run as `python -I -S isolation.py` with the configuration (JSON) on stdin (a copy in the runtime
folder; standard library only). It is a separate tiny process rather than a `preexec_fn`, so that nothing here runs in a
forked copy of the multi-threaded grader, and a failure can be reported and judged. As root:

    grader ── launcher   root, in the grader's PID namespace: the watchdog
                 └── init      PID 1 of a new PID namespace, root: mounts /proc, reaps orphans
                       └── worker   the submission's own uid: worker.py

1. namespaces (launcher): new PID, network (no network at all), mount and IPC namespaces. As
   non-root, inside a new user namespace that maps the user to itself, where the kernel allows.
2. mounts (launcher, mounts.py): hidden paths covered, kept paths bound back read-only, the
   working folder a fresh tmpfs owned by the worker's user.
3. init: a /proc of the new namespace where each user sees only its own processes; then it forks
   the worker, reaps every orphan, and reports the worker's end to the launcher.
4. worker, before exec: resource limits (CPU seconds, address space unless CUDA, file size,
   processes, no core); as root a unique unprivileged uid/gid and no groups; no_new_privs.
5. the launcher waits for the worker's end or the grader's: its `life_fd` is the read end of a
   pipe whose write end only the grader holds, so it reads EOF when the grader closes it or
   dies in any way (even SIGKILL). Either way it kills init, and the kernel kills every process
   of the namespace: nothing a submission started can outlive it, whatever the student's code
   did to its own process (blinded watchdogs, ignored signals, daemons in new sessions). Then
   it exits the way the worker did, so the grader reads the worker's exit code or signal.

No PR_SET_PDEATHSIG on the launcher: it fires when the grader *thread* that started it ends.
What could not be done (not root, no user namespaces) is recorded in the report the worker passes
to the grader; as root, failing to isolate is fatal (exit 70), never ignored.
"""
from __future__ import annotations

import json
import os
import resource
import select
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out
import mounts  # noqa: E402

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_REC, MS_PRIVATE = mounts.MS_REC, mounts.MS_PRIVATE
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
FATAL = 70


class Fatal(Exception):
    pass


def unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(flags)
    else:
        mounts.check(mounts.libc.unshare(flags), "unshare")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _processes_of(uid: int) -> int:
    n = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                n += os.stat(f"/proc/{name}").st_uid == uid
            except OSError:
                pass
    return n


def _namespaces(cfg: dict, report: dict, root: bool) -> None:
    """Enter new namespaces: PID, network, mount and IPC (in a user namespace as non-root)."""
    notes = report["notes"]
    report["namespaces"] = report["pid_namespace"] = False
    if not cfg.get("namespaces", True):
        notes.append("namespaces turned off: the worker has the network, can read every path its "
                     "user can and see every process")
        return
    base = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC
    ruid, rgid = os.getuid(), os.getgid()
    for flags in (base | CLONE_NEWPID, base):
        try:
            unshare(flags if root else CLONE_NEWUSER | flags)
            break
        except OSError as e:
            error = e
    else:
        notes.append(f"no network/mount namespaces ({error.strerror}): the worker has the "
                     "network and can read every path its user can")
        return
    if not root:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{ruid} {ruid} 1")
        _write("/proc/self/gid_map", f"{rgid} {rgid} 1")
        report["user_namespace"] = True
    report["namespaces"] = True
    report["pid_namespace"] = bool(flags & CLONE_NEWPID)
    if not report["pid_namespace"]:
        notes.append(f"no PID namespace ({error.strerror}): the worker can see other processes")


def isolate(cfg: dict, report: dict) -> None:
    """The launcher's part: namespaces and mounts (what the worker process does itself is in
    start_worker)."""
    root = os.geteuid() == 0
    uid = cfg.get("uid")
    _namespaces(cfg, report, root)
    if not root:  # RLIMIT_NPROC counts all the user's processes: leave room for the running ones
        cfg["rlimits"]["nproc"] += _processes_of(os.getuid())
    work = cfg["workdir"]
    if report["namespaces"]:
        try:
            mounts.mount(None, "/", None, MS_REC | MS_PRIVATE)
            hide = list(cfg["hide"])
            if root and uid is not None:
                hide += mounts.untraversable_ancestors(cfg["keep"])
            mounts.hide_paths(hide, cfg["keep"], report)
            mounts.mount_workdir(work, cfg["work_mb"], uid, cfg.get("gid"))
            os.chdir(work)
            report["work_tmpfs"] = True
        except OSError as e:
            if root:
                raise Fatal(f"mount isolation failed: {e}")
            report["notes"].append(f"paths could not be hidden ({e}): the worker can read them")
    else:
        report["hidden"] = []
        blocked = mounts.untraversable_ancestors(cfg["keep"]) if root and uid is not None else []
        if blocked:
            raise Fatal(f"no mount namespace, and the worker's user cannot enter {blocked[0]} "
                        f"to reach Python: install Python where every user can read it")


def set_limits(cfg: dict, report: dict) -> None:
    lim = cfg["rlimits"]
    wanted = [("RLIMIT_CORE", 0, 0), ("RLIMIT_CPU", lim["cpu"], lim["cpu"] + 5),
              ("RLIMIT_FSIZE", lim["fsize"], lim["fsize"]), ("RLIMIT_NPROC", lim["nproc"], lim["nproc"])]
    if lim.get("as"):
        wanted.append(("RLIMIT_AS", lim["as"], lim["as"]))
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
    # The grader may run under a data limit of its own; the worker's memory is memory_mb.
    _, data_hard = resource.getrlimit(resource.RLIMIT_DATA)
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (data_hard, data_hard))
    except (ValueError, OSError):
        pass
    report["limits"] = done


def start_worker(cfg: dict, report: dict, enter) -> None:
    """In the forked worker process: limits, user, no_new_privs, then `enter(cfg)` runs the
    worker (exec_worker, or the fork server's worker already in memory). Never returns."""
    try:
        set_limits(cfg, report)
        uid, gid = cfg.get("uid"), cfg.get("gid")
        report["user_switched"] = False
        if os.geteuid() == 0:
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
            report["notes"].append("not root: the worker runs as the grader's own user, so it can "
                                   "signal the grader's processes and write the user's files that "
                                   "are not hidden")
        report["uid"] = os.getuid()
        if mounts.libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            report["notes"].append("could not set no_new_privs")
        # Cleared by the user switch above, so set after it; the launcher's death ends the worker
        # too (belt and braces: the namespace's end below does not depend on it).
        mounts.libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (Fatal, OSError) as e:
        os.write(2, f"sandbox launcher: {e}\n".encode(errors="replace"))
        os._exit(FATAL)
    cfg["isolation"] = report
    for key in ("hide", "keep", "life_fd"):  # the worker need not know what is hidden
        cfg.pop(key, None)
    enter(cfg)
    os._exit(1)  # `enter` never returns


def exec_worker(cfg: dict) -> None:
    """A fresh interpreter runs worker.py (it imports torch itself)."""
    py = cfg["python"]
    os.execve(py, [py, "-s", "-B", cfg["worker"], json.dumps(cfg)], cfg["env"])


def run_init(cfg: dict, report: dict, status_w: int, enter) -> None:
    """PID 1 of the new PID namespace: mount its /proc, fork the worker, reap every process that
    ends (orphans are re-parented here), write the worker's wait status to the launcher and
    exit, which makes the kernel kill whatever is left in the namespace. Never returns."""
    mounts.libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the launcher gone: all gone
    try:
        mounts.mount_proc(report)
    except OSError as e:
        if os.geteuid() == 0:
            os.write(2, f"sandbox launcher: no /proc of its own for the worker: {e}\n".encode())
            os._exit(FATAL)
        report["notes"].append(f"/proc could not be replaced ({e.strerror}): the worker can see "
                               "other processes")
    worker = os.fork()
    if worker == 0:
        os.close(status_w)
        start_worker(cfg, report, enter)
    for fd in (cfg["req_fd"], cfg["rep_fd"]):
        os.close(fd)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    status = None
    while status is None:
        while True:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == worker:
                status = st
        if status is None:
            signal.sigtimedwait({signal.SIGCHLD}, 1.0)
    os.write(status_w, f"{status}\n".encode())
    os._exit(0)


def watch(top: int, life: int, status_r: int | None) -> int | None:
    """Wait for the worker's end (its wait status; `top` is then reaped) or the grader's (None;
    `top` still runs)."""
    poller = select.poll()
    poller.register(life, select.POLLIN)
    pidfd = None
    try:
        pidfd = os.pidfd_open(top)
        poller.register(pidfd, select.POLLIN)
    except (AttributeError, OSError):
        pass
    while True:
        pid, st = os.waitpid(top, os.WNOHANG)
        if pid == top:
            return _reported(status_r, st)
        for fd, _ in poller.poll(1000 if pidfd is not None else 200):
            if fd == life:
                try:
                    data = os.read(life, 64)
                except OSError:
                    data = b""
                if not data:
                    return None


def _reported(status_r: int | None, own: int) -> int:
    """The worker's wait status as init reported it, else `own` (that of the launcher's child)."""
    if status_r is None:
        return own
    os.set_blocking(status_r, False)
    try:
        return int(os.read(status_r, 64).decode().strip())
    except (OSError, ValueError):
        return own


def end(top: int, status: int | None, pid_namespace: bool, cfg: dict) -> None:
    """Kill everything the submission started, then exit the way the worker did. Never returns.
    `status` None: the grader is gone and `top` still runs."""
    if status is None:
        os.kill(top, signal.SIGKILL)  # init: the kernel kills its whole namespace with it
        os.waitpid(top, 0)
    if not pid_namespace and os.geteuid() == 0 and cfg.get("uid") is not None:
        kill = os.fork()  # no namespace to end: every process of the worker's uid instead
        if kill == 0:
            try:
                os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(kill, 0)
    if status is None:  # the grader is gone: nobody reads the exit status
        os._exit(1)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def main() -> None:
    cfg = json.loads(sys.stdin.buffer.read())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the worker reads nothing from the grader but its request pipe
    os.close(null)
    launch(cfg, exec_worker)


def launch(cfg: dict, enter) -> None:
    """The launcher's whole life: isolate, fork init and the worker (which calls `enter`), watch,
    end. Never returns."""
    life = cfg["life_fd"]
    report: dict = {"notes": []}
    try:
        isolate(cfg, report)
    except (Fatal, OSError) as e:
        os.write(2, f"sandbox launcher: {e}\n".encode(errors="replace"))
        os._exit(FATAL)
    pid_namespace = report["pid_namespace"]
    status_r, status_w = os.pipe() if pid_namespace else (None, None)
    top = os.fork()
    if top == 0:
        os.close(life)
        if pid_namespace:
            os.close(status_r)
            run_init(cfg, report, status_w, enter)
        start_worker(cfg, report, enter)
    if status_w is not None:
        os.close(status_w)
    for fd in (cfg["req_fd"], cfg["rep_fd"]):
        os.close(fd)  # only the worker holds them: its end is the grader's end of file
    end(top, watch(top, life, status_r), pid_namespace, cfg)


if __name__ == "__main__":
    main()

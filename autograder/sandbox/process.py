"""Starting and ending worker processes: the runtime folder, the launcher's configuration, the
scrubbed environment, and a kill that takes everything a submission started along.

A worker's launcher (isolation.py; its configuration read from a pipe) isolates the worker, runs
worker.py and ends it with the grader. The launcher is forked from the grading process's fork
server, which has torch imported already, or where none can run it is `python -I -S
isolation.py` (launchers.py). Runtime files are copies in a fresh root-owned folder, read-only, so
that nothing of the installed `autograder` package is in the worker's reach.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from . import wire
from .builds import WorkerBuilds
from .channel import Broken, RawOutput, WorkerProcess
from .errors import SandboxError
from .fsview import default_hidden, keep_paths
from .launchers import SERVERS, ForkServerError, Launched, environment, rmtree, server_environment
from .limits import Limits
from .replies import no_handles
from .uids import UidLease, kill_uid

START_TIMEOUT_S = 120.0  # process start + torch import on a loaded machine


@dataclass(frozen=True)
class Spec:
    """What a worker is started with (everything but the generation and the uid)."""

    limits: Limits
    device: str
    hide: tuple[str, ...]
    namespaces: bool
    rlimit_as: bool
    builds: WorkerBuilds = field(default_factory=WorkerBuilds)
    fork_server: bool = True  # False: a new interpreter per worker (the fallback, for its tests)


def spawn(spec: Spec, base: str, gen: int, lease: UidLease | None, raw: RawOutput) -> WorkerProcess:
    """Start worker generation `gen` in `base` and wait until it is ready (torch imported)."""
    workdir = os.path.join(base, f"work{gen}")
    os.mkdir(workdir, 0o700)
    uid = gid = None
    if lease is not None:
        uid = gid = lease.uid
        os.chown(workdir, uid, gid)
    runtime = os.path.join(base, "runtime")
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    out_r, out_w = os.pipe()
    # The lifeline: the launcher reads EOF when the grader closes its end or dies in any way,
    # and then ends everything the submission started. Only this process holds the write end
    # (pipes are close-on-exec: no other child of the grader inherits it).
    life_r, life_w = os.pipe()
    env = environment(workdir, spec.device)
    lim = spec.limits
    cfg = {
        "python": sys.executable,
        "worker": os.path.join(runtime, "worker.py"),
        "workdir": workdir,
        "work_mb": max(1, lim.file_size_mb),
        "env": env,
        "uid": uid,
        "gid": gid,
        "namespaces": spec.namespaces,
        "hide": sorted(set(default_hidden()) | {os.getcwd(), os.path.expanduser("~")}
                       | set(spec.hide)),
        "keep": keep_paths() + [runtime, workdir],
        "rlimits": {
            "cpu": int(lim.cpu_time_s),
            "as": int(lim.memory_mb) << 20 if spec.rlimit_as else None,
            "fsize": int(lim.file_size_mb) << 20,
            "nproc": int(lim.max_processes),
        },
        "req_fd": req_r,
        "rep_fd": rep_w,
        "life_fd": life_r,
        "output_kb": lim.output_kb,
        "call_budgets": dict(lim.call_budgets_s),  # a cell's call of one of these is stopped at its budget
        "builds": spec.builds.to_worker(),  # what the grader may build there; the worker refuses the rest
        # the grader's caps on replies, so that the worker says "too large" instead of sending
        "reply_caps": {"frame_bytes": int(lim.reply_mb) << 20,
                       "tensor_elements": int(lim.reply_tensor_elements),
                       "tensors": int(lim.reply_tensors)},
    }
    # The configuration goes through a pipe, not the command line: nothing of it (hidden paths)
    # shows in the processes' /proc/N/cmdline.
    cfg_r, cfg_w = os.pipe()
    try:
        proc = _launch(spec, cfg_r, (req_r, rep_w, out_w, life_r), env, runtime, workdir)
    except BaseException:
        os.close(life_w)
        os.close(cfg_w)
        raise
    finally:
        for fd in (cfg_r, req_r, rep_w, out_w, life_r):
            os.close(fd)
    try:
        with os.fdopen(cfg_w, "wb") as f:
            f.write(json.dumps(cfg).encode())
    except OSError:
        pass  # the launcher died at once: the wait for its ready message says so
    for fd in (req_w, rep_r, out_r):
        os.set_blocking(fd, False)
    w = WorkerProcess(proc, req_w, rep_r, out_r, gen, workdir, lim, raw)
    w.life = life_w
    t0 = time.monotonic()
    try:
        ready = w.recv(t0 + START_TIMEOUT_S, expect_seq=0)
        info = wire.decode(ready["value"], no_handles)
    except (Broken, wire.WireError) as e:
        kill(w, "did not start", lease)
        raise SandboxError(
            f"the sandbox worker did not start ({e}); its output:\n{raw.text()[-3000:]}"
        ) from None
    w.info = info
    w.start_s = time.monotonic() - t0
    w.watch_pid = worker_pid(proc.pid, bool(info.get("isolation", {}).get("pid_namespace")))
    return w


def _launch(spec: Spec, cfg_r: int, fds: tuple[int, int, int, int], env: dict[str, str],
            runtime: str, workdir: str):
    """Start the launcher: forked by the fork server when one runs, else a new interpreter."""
    req_r, rep_w, out_w, life_r = fds
    # CPU workers only: CUDA must not be initialised before a fork, and that a server's imports
    # leave it so has not been verified on a GPU machine; a CUDA worker starts the slow, sure way.
    forked = spec.fork_server and not spec.device.startswith("cuda")
    server = SERVERS.get(server_environment(spec.device)) if forked else None
    if server is not None:
        try:
            return server.launch([cfg_r, out_w, req_r, rep_w, life_r])
        except ForkServerError:
            pass  # it died since: this worker starts the slow way, the next one a new server
    return subprocess.Popen(
        [sys.executable, "-I", "-S", os.path.join(runtime, "isolation.py")],
        stdin=cfg_r, stdout=out_w, stderr=out_w, env=env, cwd=workdir,
        pass_fds=(req_r, rep_w, life_r), close_fds=True, start_new_session=True,
    )


def worker_pid(launcher: int, pid_namespace: bool) -> int:
    """The worker's pid as the grader sees it: the launcher's child, or with a PID namespace the
    first child of the namespace's init (read when the worker is ready, before any student code
    ran). The launcher's own pid when it cannot be found."""
    pid = launcher
    for _ in range(2 if pid_namespace else 1):
        kids = children(pid)
        if not kids:
            return launcher
        pid = min(kids)
    return pid


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process `pid`, the children it reaped, and every
    live process below it, read from /proc by the grader: a figure the submission cannot forge
    and that scheduling delays on a loaded machine do not inflate as they do wall time."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        except (OSError, ValueError, IndexError):
            continue
        todo += children(p)
    return total / tick


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    if int(f.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        out.append(int(name))
            except (OSError, ValueError, IndexError):
                pass
    return out


def kill(w: WorkerProcess, reason: str, lease: UidLease | None) -> None:
    """Kill the worker and every process its user or session started; close its pipes."""
    if w.dead_reason is not None and w.proc.returncode is not None and w.req < 0:
        return
    w.dead_reason = w.dead_reason or reason
    # Signals by number only while the launcher's pid is its own (running, or a zombie not yet
    # reaped): a reaped pid, group or session may already be another process's.
    held = launcher_holds_pid(w.proc)
    w.close_lifeline()  # the launcher ends the worker's PID namespace
    pid = w.proc.pid
    if lease is not None:
        kill_uid(lease.uid)
    if held:
        for target in session_members(pid):
            _signal(target, signal.SIGKILL)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        _signal(pid, signal.SIGKILL)
    try:
        w.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    if isinstance(w.proc, Launched):
        w.proc.release()
    if lease is not None:
        kill_uid(lease.uid)  # anything forked meanwhile
    for fd in (w.req, w.rep, w.out):
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
    w.req = w.rep = w.out = -1
    rmtree(w.workdir)


def launcher_holds_pid(proc) -> bool:
    """A Popen holds its pid until it is reaped (returncode set); a Launched until released."""
    if isinstance(proc, Launched):
        return proc.holds_pid
    return proc.returncode is None


def session_members(sid: int) -> list[int]:
    """Processes in the worker's session (its launcher is a session leader): its children that
    did not start a session of their own."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[3]) == sid:  # fields after the name: state ppid pgrp session
                out.append(int(name))
        except (OSError, ValueError, IndexError):
            pass
    return out


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass

"""The fork server: a process that imported torch once, so that a worker starts by a fork (a few
milliseconds) instead of a new interpreter importing torch (about 2 CPU seconds each, most of the
cost of a short submission, and the grader starts one worker per notebook).

Runtime file (copied next to isolation.py and worker.py; standard library and torch). Started by
the grader (launchers.py) as `python -s -B forkserver.py CTL_FD` with the workers' environment.
Each request on the control socket (a packet) is `L` and five file descriptors: a pipe holding the
launcher's configuration, the output pipe, and the request, reply and lifeline pipes of one
worker. The server forks; the child is that worker's launcher (isolation.launch: new session,
namespaces, mounts, init, limits, user) and its worker runs worker.run in memory. The server
answers `started PID` and, when that launcher ends, `ended PID CODE` (as Popen's returncode). It
reaps the launcher only on `R PID`: until then the zombie holds the pid, so that the grader's
kill by pid, group and session cannot reach a process that took the number over.

What a worker inherits from here is what a fresh interpreter has after `import torch`, because
the server never reads a configuration (the child does, after the fork), never runs a
submission's code, and never computes with torch (a thread pool started before a fork can hang
the child); in the child every descriptor but those five is closed before anything else.
One difference from a worker started by exec: no exec follows its switch to an unprivileged user,
so the kernel keeps it non-dumpable (its /proc files are root's, nothing of its user can ptrace it).
"""
from __future__ import annotations

import importlib
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import isolation  # noqa: E402
import wire  # noqa: E402,F401  (the worker's runtime modules: their folder is hidden from the worker)
import worker  # noqa: E402

# What every worker of this course would import itself, imported once here: torch (1.5 s), what
# the first optimizer a worker builds imports lazily (torch._dynamo and sympy, 1.4 s), and
# pyplot with the Agg backend (0.4 s, and its font list built once instead of in every worker).
# Only imports: nothing here computes.
PRELOAD = ("torch", "torch._dynamo", "matplotlib.pyplot")

N_FDS = 5  # configuration, output, request, reply, lifeline


def preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a worker that needs it fails on its own import, with the student's traceback


def serve(ctl: socket.socket) -> None:
    live: set[int] = set()  # launchers running, or ended and not yet reported
    held: set[int] = set()  # ended and reported, kept as zombies until the grader releases them
    wake_r, wake_w = os.pipe()
    for fd in (wake_r, wake_w):
        os.set_blocking(fd, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)  # a launcher's end wakes the poll below
    poller = select.poll()
    poller.register(ctl.fileno(), select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    ctl.sendall(b"ready\n")
    while True:
        for fd, _ in poller.poll():
            if fd == wake_r:
                try:
                    os.read(wake_r, 512)
                except BlockingIOError:
                    pass
            elif not _request(ctl, (wake_r, wake_w), live, held):
                return  # the grader closed its end, or is gone: launchers keep their lifelines
        _report_ends(ctl, live, held)


def _request(ctl: socket.socket, own: tuple[int, int], live: set[int], held: set[int]) -> bool:
    """One packet: `L` with five descriptors (start a launcher) or `R PID` (reap an ended one)."""
    try:
        msg, fds, flags, _ = socket.recv_fds(ctl, 64, N_FDS)
    except OSError:
        return False
    if not msg:
        return False
    if msg.startswith(b"R ") and not fds:
        pid = int(msg[2:]) if msg[2:].isdigit() else -1
        if pid in held:  # its pid, group and session are free for reuse from now on
            held.discard(pid)
            os.waitpid(pid, 0)
        return True
    if msg != b"L" or len(fds) != N_FDS or flags & socket.MSG_CTRUNC:
        for fd in fds:
            os.close(fd)
        ctl.sendall(f"failed expected {N_FDS} file descriptors, got {len(fds)}\n".encode())
        return True
    try:
        pid = os.fork()
    except OSError as e:
        pid, error = -1, e
    if pid == 0:
        _launcher(ctl, own, fds)
    for fd in fds:
        os.close(fd)
    if pid > 0:
        live.add(pid)
    ctl.sendall(f"started {pid}\n".encode() if pid > 0 else f"failed fork: {error}\n".encode())
    return True


def _report_ends(ctl: socket.socket, live: set[int], held: set[int]) -> None:
    """Say which launchers ended, without reaping them: a zombie keeps its pid, so that the
    grader's signals to that pid, group and session (process.kill) reach no other process
    until it sends `R PID`."""
    for pid in sorted(live):
        try:
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            info = None
            live.discard(pid)
        if info is None:
            continue
        code = -info.si_status if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else info.si_status
        live.discard(pid)
        held.add(pid)
        ctl.sendall(f"ended {pid} {code}\n".encode())


def _launcher(ctl: socket.socket, own: tuple[int, int], fds: list[int]) -> None:
    """In the forked child: become the launcher of one worker. Never returns."""
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        ctl.close()
        for fd in own:
            os.close(fd)
        os.setsid()  # a session of its own, as the grader's start_new_session gives a launcher
        cfg_fd, out_fd, req_fd, rep_fd, life_fd = fds
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        with os.fdopen(cfg_fd, "rb") as f:
            cfg = json.loads(f.read())
        _close_all_but({0, 1, 2, req_fd, rep_fd, life_fd})
        cfg.update(req_fd=req_fd, rep_fd=rep_fd, life_fd=life_fd)
        os.environ.clear()
        os.environ.update(cfg["env"])
        os.chdir(cfg["workdir"])
        isolation.launch(cfg, _enter)
    except BaseException:
        traceback.print_exc()
    os._exit(isolation.FATAL)


def _forget_server_paths() -> None:
    """In the worker (its user, folder and environment): what the preloaded modules worked out
    from the server's HOME, TMPDIR and folder at import, worked out again from the worker's
    (tests/test_forkserver.py compares them with a worker started by exec): the temporary folder,
    matplotlib's config and cache folders, dynamo's debug folder, inductor's cache folder (which
    its import puts in the environment)."""
    tempfile.tempdir = None
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        for name, fmt in (("get_configdir", "CONFIGDIR=%s"), ("get_cachedir", "CACHEDIR=%s")):
            inner = getattr(getattr(mpl, name), "__wrapped__", None)
            if inner is not None:
                setattr(mpl, name, mpl._logged_cached(fmt, inner))  # its memo is a closure: wrap anew
    config = getattr(sys.modules.get("torch._dynamo"), "config", None)
    if config is not None:
        config.debug_dir_root = os.path.join(os.getcwd(), "torch_compile_debug")
    cache_dir_utils = sys.modules.get("torch._inductor.runtime.cache_dir_utils")
    if cache_dir_utils is not None:
        try:
            cache_dir_utils.cache_dir()
        except Exception:  # noqa: BLE001  a worker that cannot have it still starts
            pass  # and, as one started by exec would, meets the error where it uses inductor


def _enter(cfg: dict) -> None:
    """The worker process, isolated and under its own user: serve the grader. Never returns."""
    for d in (os.environ.get("TMPDIR"), os.environ.get("MPLCONFIGDIR")):
        if d:  # as worker.run makes them, but before the folders below are worked out again
            os.makedirs(d, mode=0o700, exist_ok=True)
    _forget_server_paths()
    sys.argv = [cfg["worker"], json.dumps(cfg)]  # what a worker started by exec has
    if "numpy.random" in sys.modules:  # numpy does not reseed its global generator after a fork
        sys.modules["numpy.random"].seed()
    try:
        worker.run(cfg)
    except BaseException:
        traceback.print_exc()
    os._exit(1)


def _close_all_but(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor, closed already


def remove_own_folder() -> None:
    """The server's folder (its runtime copy, log and HOME): removed by the server itself, because
    a grading process that ends without its exit handlers (os._exit in a multiprocessing child,
    SIGKILL) cannot, and its end is what brings the server here."""
    base = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.basename(base).startswith("autograder-sandbox-"):
        return  # not a folder launchers.make_runtime made: not ours to remove
    try:
        os.chmod(os.path.join(base, "runtime"), 0o700)
    except OSError:
        pass
    shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    ctl = socket.socket(fileno=int(sys.argv[1]))
    preload()
    try:
        serve(ctl)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the grader is gone
    remove_own_folder()
    os._exit(0)  # at once: tearing down torch and sympy takes seconds and serves nobody


if __name__ == "__main__":
    main()

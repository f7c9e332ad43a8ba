"""Starting a worker's launcher: forked from a fork server that has torch imported already
(forkserver.py; one per grading process and device), or, where none can run, as a new interpreter
(`python -I -S isolation.py`, which then execs worker.py). Either way the launcher reads its
configuration from a pipe, and the grader gets a process handle with `pid`, `poll`, `wait` and
`returncode`.

A launcher forked by the server is the server's child, not the grader's: the server reports its
end (`ended PID STATUS`), and a reader thread here hands the status to the waiting handle.
"""
from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

from . import leftovers

HERE = Path(__file__).resolve().parent
RUNTIME_FILES = ("worker.py", "worker_cells.py", "worker_summaries.py", "wire.py", "wire_checks.py",
                 "isolation.py", "mounts.py", "forkserver.py")
PER_WORKER_ENV = ("HOME", "TMPDIR", "MPLCONFIGDIR")  # set by the launcher a fork server forks
SERVER_START_TIMEOUT_S = 120.0  # process start + torch import on a loaded machine
REPLY_TIMEOUT_S = 30.0  # a fork and one line


def make_runtime() -> str:
    """A fresh base folder holding a read-only copy of the worker's runtime files (and the owner
    lock that tells a later grading process whether this one is still alive: leftovers.py)."""
    leftovers.sweep_once(rmtree)  # what killed grading processes left behind
    base = tempfile.mkdtemp(prefix=leftovers.PREFIX)
    os.chmod(base, 0o711)  # the worker's user may pass through, not list
    leftovers.claim(base)
    runtime = os.path.join(base, "runtime")
    os.mkdir(runtime)
    for name in RUNTIME_FILES:
        dst = os.path.join(runtime, name)
        shutil.copyfile(HERE / name, dst)
        os.chmod(dst, 0o444)
    os.chmod(runtime, 0o555)
    return base


def environment(workdir: str, device: str) -> dict[str, str]:
    """The worker's whole environment: nothing of the grader's but the GPU it may use."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": os.path.join(workdir, "tmp"),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(workdir, ".config", "matplotlib"),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    if device.startswith("cuda"):
        if "CUDA_VISIBLE_DEVICES" in os.environ:
            env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
    else:
        env["CUDA_VISIBLE_DEVICES"] = ""  # a CPU-graded worker sees no GPU
    return env


def server_environment(device: str) -> dict[str, str]:
    """A fork server's environment: the workers' without what differs from one worker to the next."""
    return {k: v for k, v in environment("/", device).items() if k not in PER_WORKER_ENV}


def prestart(device: str) -> None:
    """Start the fork server of `device` now, so that its imports run while the grader is busy
    with its own (standard library only: callable before the grader imports torch)."""
    if device == "cpu":
        SERVERS.get(server_environment(device))


class ForkServerError(Exception):
    """The fork server did not start or is gone: the caller starts a new interpreter instead."""


class Launched:
    """A launcher forked by the fork server: the part of subprocess.Popen the grader uses, and
    `holds_pid`/`release` (Popen's equivalents: returncode None / wait)."""

    def __init__(self, server: "ForkServer", pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._server = server
        self._released = False

    @property
    def holds_pid(self) -> bool:
        """Whether `pid` (and the group and session it leads) is still this launcher's, alive or
        a zombie the server keeps until `release`: only then may the grader signal it by number."""
        return not self._released and self._server.alive

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._server.release(self.pid)

    def poll(self) -> int | None:
        if self.returncode is None:
            status = self._server.status(self.pid)
            if status is not None:
                self.returncode = status
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(f"launcher {self.pid}", timeout)
            self._server.wait_for_change(0.2 if left is None else min(left, 0.2))
        return self.returncode


class ForkServer:
    """One fork server process and the grader's end of its control socket."""

    def __init__(self, runtime: str, env: dict[str, str]) -> None:
        self.runtime = runtime
        # packets: a launch request and its descriptors arrive together, a line is never split
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log = open(os.path.join(os.path.dirname(runtime), "forkserver.log"), "w+b")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-s", "-B", os.path.join(runtime, "forkserver.py"), str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, env=env, cwd=runtime,
                pass_fds=(theirs.fileno(),), close_fds=True, start_new_session=True,
            )
        finally:
            theirs.close()
        self._sock = ours
        self._requests = threading.Lock()  # one request at a time: its answer is the next `started`
        self._state = threading.Condition()
        self._answers: deque[str] = deque()
        self._ended: dict[int, int] = {}  # launcher pid -> exit code as Popen gives it
        self._gone: str | None = None
        self.ready: bool | None = None  # None: still importing (the first launch waits for it)
        threading.Thread(target=self._read, name="forkserver-reader", daemon=True).start()

    def _wait_ready(self) -> None:
        """Called with the request lock held. Raises ForkServerError if the server did not start."""
        end = time.monotonic() + SERVER_START_TIMEOUT_S
        with self._state:
            while self.ready is None and self._gone is None and time.monotonic() < end:
                self._state.wait(end - time.monotonic())
            if self.ready is None:
                self.ready = False
        if not self.ready:
            self.close()
            raise ForkServerError(f"the fork server did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return Path(self._log.name).read_text(errors="replace")[-2000:].strip() or "(no output)"
        except OSError:
            return "(no output)"

    def _read(self) -> None:
        while True:
            try:
                packet = self._sock.recv(4096)  # one packet, one line
            except OSError:
                packet = b""
            if not packet:
                break
            line = packet.decode(errors="replace").strip()
            words = line.split()
            with self._state:
                if words and words[0] == "ended" and len(words) == 3:
                    self._ended[int(words[1])] = int(words[2])
                elif words == ["ready"] and self.ready is None:
                    self.ready = True
                elif words:
                    self._answers.append(line)
                self._state.notify_all()
        with self._state:
            self._gone = self._gone or "the fork server ended"
            self._state.notify_all()

    @property
    def alive(self) -> bool:
        return self._gone is None and self.proc.poll() is None

    def launch(self, fds: list[int]) -> Launched:
        """Fork a launcher that gets `fds` (configuration, output, request, reply, lifeline)."""
        with self._requests:
            if not self.ready:
                self._wait_ready()
            if not self.alive:
                raise ForkServerError(self._gone or "the fork server is gone")
            try:
                socket.send_fds(self._sock, [b"L"], fds)
            except OSError as e:
                raise ForkServerError(f"the fork server is gone ({e})") from None
            end = time.monotonic() + REPLY_TIMEOUT_S
            with self._state:
                while not self._answers and self._gone is None and time.monotonic() < end:
                    self._state.wait(end - time.monotonic())
                if not self._answers:
                    raise ForkServerError(self._gone or "the fork server did not answer")
                answer = self._answers.popleft().split(maxsplit=1)
        if answer[0] != "started":
            raise ForkServerError(f"the fork server could not start a launcher: {answer[-1]}")
        return Launched(self, int(answer[1]))

    def release(self, pid: int) -> None:
        """Let the server reap an ended launcher: its pid may be reused from then on."""
        try:
            self._sock.send(f"R {pid}".encode())
        except OSError:
            pass  # the server is gone: the orphan was reaped by init already

    def status(self, pid: int) -> int | None:
        """The launcher's exit code when it has ended, else None."""
        with self._state:
            if pid in self._ended:
                return self._ended.pop(pid)
            gone = self._gone is not None
        # With the server gone nobody reports: the launcher, now an orphan, has ended when its
        # process is gone (or a zombie); how it ended is not known.
        return -9 if gone and not _running(pid) else None

    def wait_for_change(self, timeout: float) -> None:
        with self._state:
            self._state.wait(timeout)

    def close(self) -> None:
        """The server exits when its socket closes; running launchers keep their lifelines."""
        with self._state:
            self._gone = self._gone or "closed"
        try:
            # shutdown, not close alone: the reader thread's recv holds the socket open until
            # it returns, so the server would not see its end
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def rmtree(path: str) -> None:
    """Remove a folder make_runtime made (a sandbox's, a server's) even where the submission (or
    the read-only runtime) left no write permission on a subfolder."""

    root = os.path.abspath(path)

    def retry(func, p, exc_info):
        if func not in (os.unlink, os.rmdir, os.remove):
            return  # os.open / os.scandir of a folder it may not read: what it holds stays
        parent = os.path.dirname(os.path.abspath(p))
        try:
            # only a folder inside `path` is opened up: never the folder that holds `path` (/tmp),
            # never through a link a student planted
            if parent.startswith(root + os.sep) or parent == root:
                if not os.path.islink(parent):
                    os.chmod(parent, 0o700)
            func(p)
        except OSError:
            pass

    if os.path.lexists(path):
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=retry)
        else:
            shutil.rmtree(path, onerror=retry)
    leftovers.release(path)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


class ForkServers:
    """The fork servers of this grading process, one per worker environment (a CPU worker's and a
    CUDA worker's differ), started on first use. A server that failed to start is not tried again
    (each try costs a torch import): workers start as new interpreters then."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: dict[tuple, ForkServer] = {}
        self._failed: dict[tuple, str] = {}
        self._pid = os.getpid()

    def get(self, env: dict[str, str]) -> ForkServer | None:
        """The running (or starting: see ForkServer.launch) server for `env`, None if none can run."""
        key = tuple(sorted(env.items()))
        with self._lock:
            if os.getpid() != self._pid:  # a forked copy of the grader starts servers of its own
                self._servers, self._failed, self._pid = {}, {}, os.getpid()
            server = self._servers.get(key)
            if server is not None and server.alive and server.ready is not False:
                return server
            if server is not None:  # it never started, or it died (killed, say): its folder goes
                if server.ready is False:
                    self._fail(key, f"the fork server did not start: {server.log_tail()}")
                del self._servers[key]
                server.close()
                rmtree(os.path.dirname(server.runtime))
            if key in self._failed:
                return None
            base = make_runtime()
            try:
                # its own folders, as a worker's are in its working folder (nothing lands in /tmp)
                own = {k: v for k, v in environment(base, "cpu").items() if k in PER_WORKER_ENV}
                os.makedirs(own["TMPDIR"], exist_ok=True)
                server = ForkServer(os.path.join(base, "runtime"), {**env, **own})
            except OSError as e:
                rmtree(base)
                self._fail(key, f"the fork server did not start: {e}")
                return None
            self._servers[key] = server
            return server

    def _fail(self, key: tuple, reason: str) -> None:
        self._failed[key] = reason
        print(f"autograder: {reason}; each sandbox worker starts a new interpreter instead (slower)",
              file=sys.stderr)

    def close_all(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()
            rmtree(os.path.dirname(server.runtime))


SERVERS = ForkServers()
atexit.register(SERVERS.close_all)

"""A pool of grading worker processes (`python -m autograder.batch.worker`).

Each worker grades one submission at a time and stays warm between jobs. A worker that dies or
overruns its deadline is killed with everything it started (it runs in its own session) and
replaced; its job is reported as crashed, and the pool goes on with the others.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


class PoolBroken(Exception):
    """A grading worker died before it could take any job: the grader's installation is broken
    (not any submission's fault), so no record is written."""


@dataclass
class Job:
    id: int
    student: str
    submission: Path
    source: str
    fingerprint: str
    device: str = ""  # "": the batch's device

    def line(self) -> str:
        return json.dumps({"id": self.id, "student": self.student, "submission": str(self.submission),
                           "source": self.source, "fingerprint": self.fingerprint, "device": self.device}) + "\n"


@dataclass
class Outcome:
    job: Job
    reply: dict | None  # the worker's answer; None when it crashed or overran
    crash: str = ""  # why there is no answer (for the TA)
    log_tail: str = ""
    retryable: bool = True  # a crash another try may fix (not an overrun: it would overrun again)
    tries: int = 1  # attempts so far (set by executor.run_jobs)


@dataclass
class _Worker:
    n: int
    proc: subprocess.Popen
    log: Path
    buf: bytes = b""
    job: Job | None = None
    deadline: float = 0.0
    started: float = 0.0
    done: int = 0
    ready: bool = False
    dead: bool = False
    extra: dict = field(default_factory=dict)


class WorkerPool:
    """The local executor (see executor.py): `size` warm grading processes on this machine."""

    def __init__(self, size: int, settings: dict, log_dir: Path, timeout_s: float,
                 recycle_after: int = 200, env: dict | None = None) -> None:
        self.size = max(1, size)
        self.settings = settings
        self.log_dir = log_dir
        self.timeout_s = timeout_s
        self.recycle_after = recycle_after
        self.env = env
        self.sel = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        self._spawned = 0

    # -- processes --------------------------------------------------------------------------
    def _spawn(self) -> _Worker:
        self._spawned += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"worker-{self._spawned}.log"
        with log.open("wb") as err:
            proc = subprocess.Popen([sys.executable, "-m", "autograder.batch.worker"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                    start_new_session=True, env=self.env, close_fds=True)
        w = _Worker(self._spawned, proc, log)
        os.set_blocking(proc.stdout.fileno(), False)
        self.sel.register(proc.stdout, selectors.EVENT_READ, w)
        proc.stdin.write((json.dumps(self.settings) + "\n").encode())
        proc.stdin.flush()
        self.workers.append(w)
        return w

    def _kill(self, w: _Worker) -> None:
        if w.dead:
            return
        w.dead = True
        try:
            self.sel.unregister(w.proc.stdout)
        except (KeyError, ValueError):
            pass
        try:
            os.killpg(w.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (w.proc.stdin, w.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            w.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.workers.remove(w)

    def close(self) -> None:
        for w in list(self.workers):
            if w.job is None and not w.dead:
                try:
                    w.proc.stdin.close()  # a clean end of input: the worker exits
                    w.proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            self._kill(w)
        self.sel.close()

    @staticmethod
    def _tail(path: Path, n: int = 4000) -> str:
        try:
            data = path.read_bytes()
        except OSError:
            return ""
        return data[-n:].decode("utf-8", "replace")

    def _describe_exit(self, w: _Worker) -> str:
        code = w.proc.poll()
        if code is None:
            return "the grading process stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the grading process was killed by {name}"
        return f"the grading process exited with code {code}"

    # -- scheduling -------------------------------------------------------------------------
    def run(self, jobs: list[Job], on_start: Callable[[Job], None], on_done: Callable[[Outcome], None]) -> None:
        queue = deque(jobs)
        in_flight = 0
        while queue or in_flight:
            # Start workers for pending jobs, up to the pool size.
            idle = [w for w in self.workers if w.job is None and not w.dead]
            while queue and not idle and len(self.workers) < self.size:
                idle.append(self._spawn())
            for w in idle:
                if not queue:
                    break
                job = queue.popleft()
                w.job, w.started = job, time.monotonic()
                w.deadline = w.started + self.timeout_s
                try:
                    w.proc.stdin.write(job.line().encode())
                    w.proc.stdin.flush()
                except (BrokenPipeError, OSError):
                    pass  # noticed as a dead worker below
                in_flight += 1
                on_start(job)
            for key, _ in self.sel.select(timeout=0.25):
                w: _Worker = key.data
                try:
                    chunk = os.read(w.proc.stdout.fileno(), 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    in_flight -= self._lost(w, on_done)
                    continue
                w.buf += chunk
                while b"\n" in w.buf:
                    line, w.buf = w.buf.split(b"\n", 1)
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue
                    if "ready" in msg:
                        w.ready = True
                        if w.job is not None:  # the deadline counts from when the worker can start
                            w.deadline = time.monotonic() + self.timeout_s
                    elif w.job is not None and msg.get("id") == w.job.id:
                        job, w.job = w.job, None
                        w.done += 1
                        in_flight -= 1
                        on_done(Outcome(job, msg))
                        if w.done >= self.recycle_after:
                            self.close_one(w)
            now = time.monotonic()
            for w in list(self.workers):
                if w.job is not None and now > w.deadline and not self._readable(w):  # (an answer waiting is read first)
                    job = w.job
                    self._kill(w)
                    in_flight -= 1
                    on_done(Outcome(job, None, f"grading took longer than {self.timeout_s:g} s and was stopped",
                                    self._tail(w.log), retryable=False))
                elif w.job is not None and w.proc.poll() is not None and not self._readable(w):
                    in_flight -= self._lost(w, on_done)

    def _readable(self, w: _Worker) -> bool:
        import select

        try:
            r, _, _ = select.select([w.proc.stdout], [], [], 0)
        except (OSError, ValueError):
            return False
        return bool(r)

    def _lost(self, w: _Worker, on_done: Callable[[Outcome], None]) -> int:
        """A worker's output ended: report its job (if any) as crashed and drop it."""
        job = w.job
        try:
            w.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        why = self._describe_exit(w)
        self._kill(w)
        if not w.ready:
            raise PoolBroken(f"a grading worker failed to start ({why}); its log {w.log}:\n{self._tail(w.log)}")
        if job is None:
            return 0
        on_done(Outcome(job, None, why, self._tail(w.log)))
        return 1

    def close_one(self, w: _Worker) -> None:
        try:
            w.proc.stdin.close()
            w.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self._kill(w)

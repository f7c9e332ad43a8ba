"""The grader's ends of one worker's pipes: send a request, wait for its reply, drain the output.

Every wait has a deadline; while waiting, the worker's own stdout/stderr (a third pipe) is drained
into a capped buffer and its resident memory is watched. Any failure (deadline, death, garbage on
the pipe, memory) raises `Broken`; the caller then kills the worker (process.py).
"""
from __future__ import annotations

import itertools
import os
import select
import signal
import subprocess
import time

from . import wire
from .limits import Limits
from .replies import check_envelope, reply_caps

GRACE_S = 5.0  # the worker stops a cell/call itself at its timeout; the grader kills it up to
# this much later (a quarter of the timeout, at least 1 s)


class Broken(Exception):
    """The worker is unusable (timed out, died, sent garbage)."""

    def __init__(self, kind: str, reason: str, total: bool = False) -> None:
        super().__init__(reason)
        self.kind, self.reason, self.total = kind, reason, total


class RawOutput:
    """What the worker processes wrote to their fd 1 and 2 (C code, subprocesses), capped."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        text = self.data.decode("utf-8", "replace")
        if self.dropped:
            text += f"\n[... {self.dropped} more bytes of output not kept]\n"
        return text


class WorkerProcess:
    """One worker (its launcher process: a Popen, or a launchers.Launched that acts like one) and
    the grader's ends of its pipes."""

    def __init__(self, proc: subprocess.Popen, req: int, rep: int, out: int, gen: int,
                 workdir: str, limits: Limits, raw: RawOutput) -> None:
        self.proc, self.req, self.rep, self.out, self.gen = proc, req, rep, out, gen
        self.workdir = workdir
        self.limits = limits
        self.raw = raw
        self.buf = bytearray()
        self.seq = itertools.count(1)
        self.dead_reason: str | None = None
        self.mem_killed = False
        self.next_mem_check = 0.0
        self.info: dict = {}  # the worker's ready message
        self.start_s = 0.0  # how long it took to start
        self.watch_pid = proc.pid  # the process whose memory is watched (the worker itself)
        self.life = -1  # the grader's end of the launcher's lifeline (see isolation.py)

    def close_lifeline(self) -> None:
        """The launcher then ends the worker and everything it started."""
        if self.life >= 0:
            try:
                os.close(self.life)
            except OSError:
                pass
            self.life = -1

    @property
    def alive(self) -> bool:
        return self.dead_reason is None and self.proc.poll() is None

    def roundtrip(self, msg: dict, timeout: float, deadline: float | None) -> dict:
        """Send one request and wait for its reply until timeout + grace, or the submission's
        `deadline` when that comes first (then a timeout is `total`)."""
        seq = next(self.seq)
        data = wire.dumps({**msg, "seq": seq})
        limit = time.monotonic() + float(timeout) + min(GRACE_S, max(1.0, timeout / 4))
        total = deadline is not None and deadline < limit
        end = min(limit, deadline) if deadline is not None else limit
        try:
            self.send(data, end)
            return self.recv(end, expect_seq=seq)
        except Broken as b:
            if b.kind == "timeout":
                b.total = total
            raise
        except wire.WireError as e:
            raise Broken("bad", str(e)) from None

    def send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self.wait(deadline, write=True)
            try:
                n = os.write(self.req, view[: 1 << 20])
            except BlockingIOError:
                continue
            except OSError:  # BrokenPipeError included
                raise Broken("died", self.death_reason("closed its connection to the grader"))
            view = view[n:]

    def recv(self, deadline: float, expect_seq: int) -> dict:
        caps = reply_caps(self.limits)
        while True:
            if len(self.buf) >= wire.HEADER.size:
                length = wire.parse_header(bytes(self.buf[: wire.HEADER.size]), caps.frame_bytes)
                end = wire.HEADER.size + length
                if len(self.buf) >= end:
                    payload = bytes(self.buf[wire.HEADER.size:end])
                    del self.buf[:end]
                    return check_envelope(wire.loads(payload, caps), expect_seq, self.limits)
            self.wait(deadline, write=False)
            try:
                chunk = os.read(self.rep, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise Broken("died", self.death_reason("closed its connection to the grader"))
            self.buf += chunk

    def wait(self, deadline: float, write: bool) -> None:
        """Block until the protocol fd is ready, draining output meanwhile; raise Broken at the
        deadline, when the worker died, or when it is over its memory limit."""
        fd = self.req if write else self.rep
        poller = select.poll()
        poller.register(fd, select.POLLOUT if write else select.POLLIN)
        if self.out >= 0:
            poller.register(self.out, select.POLLIN)
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise Broken("timeout", "ran past its time limit")
            events = poller.poll(max(0, min(deadline - now, 0.2)) * 1000)
            ready = False
            for efd, ev in events:
                if efd == self.out:
                    self.drain()
                    if self.out < 0:
                        poller = select.poll()
                        poller.register(fd, select.POLLOUT if write else select.POLLIN)
                elif ev & (select.POLLOUT if write else (select.POLLIN | select.POLLHUP)):
                    ready = True
                elif ev & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                    ready = True  # the read/write that follows reports it
            if ready:
                return
            if self.proc.poll() is not None:
                raise Broken("died", self.death_reason())
            self.check_memory()

    def drain(self) -> None:
        try:
            chunk = os.read(self.out, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            os.close(self.out)
            self.out = -1
            return
        self.raw.add(chunk)

    def check_memory(self) -> None:
        now = time.monotonic()
        if now < self.next_mem_check:
            return
        self.next_mem_check = now + 0.25
        try:
            with open(f"/proc/{self.watch_pid}/statm") as f:
                rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return
        if rss > self.limits.memory_mb << 20:
            self.mem_killed = True
            raise Broken("died", f"used more than {self.limits.memory_mb} MB of memory")

    def death_reason(self, default: str = "stopped") -> str:
        """Why the worker ended, in words for the student."""
        lim = self.limits
        if self.mem_killed:
            return f"used more than {lim.memory_mb} MB of memory"
        try:
            rc = self.proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            return default
        if rc is None:
            return default
        if rc < 0:
            sig = -rc
            if sig == signal.SIGXCPU:
                return f"used more than {lim.cpu_time_s} s of CPU time"
            if sig == signal.SIGSEGV:
                return "crashed (segmentation fault)"
            if sig == signal.SIGXFSZ:
                return f"wrote a file larger than {lim.file_size_mb} MB"
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            return f"was killed ({name})"
        if rc == 70:
            return "could not be isolated"
        return f"exited with code {rc}"

"""The grader's side of the sandbox: `Sandbox`, one worker process per notebook.

The grader never imports or runs submission code. It starts a worker (launcher isolation.py ->
worker.py, copies in a fresh root-owned runtime folder), sends it requests over one pipe and reads
replies from another, each reply decoded with the weights-only loader and checked (wire.py).
The worker's stdout/stderr go to a third pipe that is drained while waiting and kept only up to
`output_kb`. Every wait has a deadline; past it, or when the worker dies or sends garbage, the
worker and everything it started are killed, and the next operation starts a new one and replays
the cells (minus the one that killed it).
"""
from __future__ import annotations

import atexit
import errno
import fcntl
import importlib.util
import itertools
import os
import pwd
import random
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from . import wire
from .errors import (
    BadReply,
    CallTimeout,
    MissingFunction,
    NotImplementedByStudent,
    SandboxError,
    StudentError,
    SubmissionFault,
    WorkerDied,
)
from .limits import Limits
from .wire import Handle, Unsupported

HERE = Path(__file__).resolve().parent
RUNTIME_FILES = ("worker.py", "wire.py", "isolation.py")
GRACE_S = 5.0  # the worker stops a cell/call itself at its timeout; the grader kills it up to
# this much later (a quarter of the timeout, at least 1 s)
START_TIMEOUT_S = 120.0  # process start + torch import on a loaded machine
UID_RANGE = (61000, 62000)  # numeric users for workers when the grader is root (no passwd entry)
# A worker sees the system folders below and nothing else of the machine: every other top-level
# folder is hidden (other courses' checkouts, /opt, /srv, /var, home folders, ...), with what
# Python needs inside them mounted back read-only. An allowlist, because a denylist misses the
# one folder nobody thought of.
VISIBLE_TOP_LEVEL = frozenset({"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc",
                               "dev", "proc", "sys"})
ALSO_HIDDEN = ("/dev/shm",)  # writable by everyone: no place for notes between workers
ERROR_KINDS = ("missing", "notimplemented", "student", "timeout", "lost", "internal", "request")
LAYERS = {"Linear": 2, "ReLU": 0, "Sigmoid": 0, "Tanh": 0}  # build_module: name -> int args


@dataclass(frozen=True)
class CellError:
    exc_type: str
    message: str
    cell: int | None
    line: int | None

    def __str__(self) -> str:
        where = f"cell {self.cell}" + (f", line {self.line}" if self.line is not None else "")
        return f"{where}: {self.exc_type}: {self.message}" if self.message else f"{where}: {self.exc_type}"


@dataclass
class RunReport:
    errors: list[CellError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # skipped magics, skipped/killed cells
    output: str = ""  # bounded excerpt of what the cells printed, "[cell N]" headed
    cells_run: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # cells not run (killed the worker, time)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped


class _Broken(Exception):
    """The worker is unusable (timed out, died, sent garbage); it has been killed already."""

    def __init__(self, kind: str, reason: str, total: bool = False) -> None:
        super().__init__(reason)
        self.kind, self.reason, self.total = kind, reason, total


class _Proc:
    """One worker process and the grader's ends of its pipes."""

    def __init__(self, proc: subprocess.Popen, req: int, rep: int, out: int, gen: int,
                 workdir: str) -> None:
        self.proc, self.req, self.rep, self.out, self.gen = proc, req, rep, out, gen
        self.workdir = workdir
        self.buf = bytearray()
        self.seq = itertools.count(1)
        self.dead_reason: str | None = None
        self.mem_killed = False
        self.next_mem_check = 0.0
        self.info: dict = {}

    @property
    def alive(self) -> bool:
        return self.dead_reason is None and self.proc.poll() is None


class Sandbox:
    """One sandboxed worker for one notebook (see docs/architecture.md, the sandbox contract)."""

    def __init__(
        self,
        limits: Limits | None = None,
        device: str = "cpu",
        hide: Iterable[str | os.PathLike] = (),
        *,
        namespaces: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self.device = resolve_device(device)
        self.hide = tuple(os.path.abspath(os.fspath(p)) for p in hide)
        self.namespaces = namespaces  # False: only for tests of the reduced (non-root) mode
        # Address-space limit on CPU; CUDA reserves huge virtual memory, so there only the
        # resident-size watchdog (checked while waiting for a reply) applies.
        self.rlimit_as = not self.device.startswith("cuda")
        self.notes: list[str] = []  # for the student: restarts, skipped cells
        self.isolation: dict = {}  # for the TA: what the launcher achieved
        self.start_s: float | None = None  # measured start of the last worker (torch import)
        self._raw = bytearray()  # the workers' own stdout/stderr (fd 1 and 2), capped
        self._raw_dropped = 0
        self._cells: list[tuple[int, str]] = []
        self._skip: dict[int, str] = {}  # cell -> why it is not replayed
        self._w: _Proc | None = None
        self._gen = 0
        self._restarts = 0
        self._deadline: float | None = None
        self._token = secrets.token_hex(4)
        self._base: str | None = None
        self._lease: _UidLease | None = None
        self._closed = False
        self._last_death = ""
        _LIVE.add(self)

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def start(self) -> "Sandbox":
        """Start the worker now (process, isolation, torch import) without running anything;
        run_cells and call start it when needed. The submission's clock does not run yet."""
        self._ensure("start")
        return self

    def close(self) -> None:
        """Kill the worker and everything it started; remove the temporary folders."""
        if self._closed:
            return
        self._closed = True
        if self._w is not None:
            self._kill(self._w, "closed")
        if self._lease is not None:
            self._lease.release()
        if self._base is not None:
            _rmtree(self._base)
            self._base = None
        _LIVE.discard(self)

    @property
    def reduced_isolation(self) -> list[str]:
        """For the TA: what the last worker's launcher could not do ([] when fully isolated)."""
        return list(self.isolation.get("notes", []))

    @property
    def raw_output(self) -> str:
        """What the worker processes wrote to their fd 1 and 2 (C code, subprocesses), capped."""
        text = self._raw.decode("utf-8", "replace")
        if self._raw_dropped:
            text += f"\n[... {self._raw_dropped} more bytes of output not kept]\n"
        return text

    # -- the contract -------------------------------------------------------------------------

    def run_cells(self, cells: Sequence[tuple[int, str]]) -> RunReport:
        """Run code cells top to bottom in one namespace; an error in a cell does not stop the
        next. A cell that kills the worker (or outlives the hard deadline) is skipped: the
        worker is restarted, the cells before it replayed, and the run goes on."""
        report = RunReport()
        seen = len(self.notes)  # sandbox notes (restarts) are copied in as they happen
        cap = self.limits.output_kb * 1024
        out: list[str] = []
        size = 0
        for index, source in cells:
            index, source = int(index), str(source)
            if self._over_budget():
                self._skip[index] = "time"
                report.skipped.append(index)
                report.notes.append(f"cell {index}: not run, the notebook used up its total time "
                                    f"of {self.limits.submission_timeout_s:g} s")
                self._cells.append((index, source))
                continue
            try:
                reply = self._cell(index, source)
            except _Broken as b:
                self._skip[index] = b.reason
                report.skipped.append(index)
                report.notes.extend(self.notes[seen:])
                report.notes.append(self._skip_note(index, b))
                seen = len(self.notes)
                self._cells.append((index, source))
                continue
            except SubmissionFault as f:  # could not restart the worker to run it
                self._skip[index] = str(f)
                report.skipped.append(index)
                report.notes.extend(self.notes[seen:])
                report.notes.append(f"cell {index}: not run: {f}")
                seen = len(self.notes)
                self._cells.append((index, source))
                continue
            report.notes.extend(self.notes[seen:])
            seen = len(self.notes)
            self._cells.append((index, source))
            report.cells_run.append(index)
            report.notes.extend(reply["notes"])
            err = reply["error"]
            if err is not None:
                if err["kind"] == "timeout":
                    self._skip[index] = "timeout"  # do not spend its time again on a replay
                    msg = (f"the cell ran longer than {self.limits.cell_timeout_s:g} s and was "
                           "stopped; it is not run again if the notebook is restarted")
                    report.errors.append(CellError("TimeoutError", msg, index, None))
                else:
                    report.errors.append(
                        CellError(err["exc_type"], err["message"], err["cell"] or index, err["line"])
                    )
            text = reply["output"]
            if text and size < cap:
                chunk = f"[cell {index}]\n{text}"
                if len(chunk) > cap - size:
                    mark = "\n[... more output not kept]\n"
                    chunk = chunk[: max(0, cap - size - len(mark))] + mark
                out.append(chunk)
                size += len(chunk)
        report.output = "".join(out)
        report.notes.extend(self.notes[seen:])
        return report

    def call(self, function: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call a top-level name of the notebook's namespace on the grader's arguments (plain
        values, tensors, handles) and return the decoded reply."""
        t = self.limits.call_timeout_s if timeout is None else float(timeout)
        return self._op("call", function, t, lambda: {
            "name": str(function), "args": self._enc(list(args), function),
            "kwargs": self._enc(dict(kwargs), function),
        })

    def forward(self, handle: Handle, x: Any, timeout: float | None = None) -> Any:
        """`module(x)` under torch.no_grad() in the worker."""
        self._expect(handle, "module")
        t = self.limits.call_timeout_s if timeout is None else float(timeout)
        return self._op("forward", _what(handle), t, lambda: {
            "handle": self._enc(handle, _what(handle)), "x": self._enc(x, _what(handle))})

    def state_dict(self, handle: Handle, timeout: float | None = None) -> dict:
        """The state dict of a module (or optimizer) handle, as tensors and plain values."""
        self._expect(handle, "module", "optimizer")
        t = self.limits.call_timeout_s if timeout is None else float(timeout)
        return self._op("state_dict", _what(handle), t,
                        lambda: {"handle": self._enc(handle, _what(handle))})

    def build_module(self, layers: Sequence[Sequence[Any]], state_dict: dict | None = None,
                     device: str | None = None) -> Handle:
        """A reference nn.Sequential built in the worker from a plain spec such as
        [("Linear", 2, 100), ("ReLU",), ("Linear", 100, 3)], optionally loaded with a state
        dict, on `device` (the sandbox's device by default)."""
        spec = []
        for layer in layers:
            name, args = layer[0], tuple(layer[1:])
            if name not in LAYERS or len(args) not in (LAYERS[name], LAYERS[name] + 1) or not all(
                type(a) in (int, bool) for a in args
            ):
                raise ValueError(f"build_module: layer {tuple(layer)!r} is not allowed")
            spec.append((name, *args))
        dev = self.device if device is None else device
        return self._op("build_module", "build_module", self.limits.call_timeout_s, lambda: {
            "layers": self._enc(spec, None), "state_dict": self._enc(state_dict, None),
            "device": self._enc(dev, None)})

    def build_optimizer(self, model: Handle, kind: str, **hyper: Any) -> Handle:
        """torch.optim.SGD or Adam over a module handle's parameters, in the worker."""
        if kind not in ("SGD", "Adam"):
            raise ValueError(f"build_optimizer: kind must be 'SGD' or 'Adam', not {kind!r}")
        self._expect(model, "module")
        return self._op("build_optimizer", "build_optimizer", self.limits.call_timeout_s, lambda: {
            "model": self._enc(model, None), "kind": kind, "hyper": self._enc(hyper, None)})

    # Beyond the minimal contract: values kept in the worker, figures, seeding.

    def put(self, value: Any) -> Handle:
        """Keep a value in the worker (e.g. the `state` dict a function fills in) and return a
        handle to pass to later calls; `get` reads it back."""
        return self._op("put", "put", self.limits.call_timeout_s,
                        lambda: {"value": self._enc(value, None)})

    def get(self, handle: Handle, timeout: float | None = None) -> Any:
        """The current value of a handle, encoded afresh (a module comes back as a handle)."""
        t = self.limits.call_timeout_s if timeout is None else float(timeout)
        return self._op("get", _what(handle), t, lambda: {"handle": self._enc(handle, None)})

    def figures(self, close: bool = True) -> list[Handle]:
        """Handles of the figures open in the worker's pyplot (drawn by calls since the last
        cell), closing them there unless close=False."""
        return self._op("figures", "figures", self.limits.call_timeout_s,
                        lambda: {"close": bool(close)})

    def seed(self, seed: int) -> None:
        """Seed the worker's global RNGs (random, torch, numpy if imported)."""
        self._op("seed", "seed", self.limits.call_timeout_s, lambda: {"seed": int(seed)})

    # -- operations -------------------------------------------------------------------------

    def _op(self, op: str, function: str | None, timeout: float, fields) -> Any:
        w = self._ensure(function)
        self._start_clock()  # after the start: a cold start is not the submission's time
        msg = {"op": op, **fields(), "timeout": timeout}
        try:
            reply = self._roundtrip(w, msg, timeout)
        except _Broken as b:
            raise self._fault_of_broken(b, function, timeout) from None
        if not reply["ok"]:
            raise self._fault(reply["error"], function, timeout)
        try:
            return wire.decode(reply["value"], self._handle)
        except wire.WireError as e:
            self._kill(w, "sent a malformed reply")
            raise BadReply(function, str(e)) from None

    def _cell(self, index: int, source: str) -> dict:
        w = self._ensure(f"cell {index}")
        self._start_clock()
        msg = {"op": "run_cell", "cell": index, "source": source,
               "timeout": float(self.limits.cell_timeout_s)}
        return self._roundtrip(w, msg, self.limits.cell_timeout_s)

    def _fault(self, err: dict, function: str | None, timeout: float) -> SubmissionFault:
        kind = err["kind"]
        if kind == "missing":
            return MissingFunction(function or "?", None if err["exc_type"] == "NameError"
                                   else err["exc_type"])
        if kind == "notimplemented":
            return NotImplementedByStudent(function or "?")
        if kind == "timeout":
            return CallTimeout(function, timeout)
        if kind == "lost":
            return WorkerDied(function, self._last_death or "was restarted", lost=True)
        if kind == "internal":
            return BadReply(function, err["message"])
        if kind == "request":  # the worker could not decode what the grader sent
            raise SandboxError(f"the worker rejected the grader's request: {err['message']}")
        return StudentError(function, err["exc_type"], err["message"], err["cell"], err["line"])

    def _fault_of_broken(self, b: _Broken, function: str | None, timeout: float) -> SubmissionFault:
        if b.kind == "timeout":
            return CallTimeout(function, self.limits.submission_timeout_s if b.total else timeout,
                               total=b.total)
        if b.kind == "bad":
            return BadReply(function, b.reason)
        return WorkerDied(function, b.reason)

    def _skip_note(self, index: int, b: _Broken) -> str:
        if b.kind == "timeout" and b.total:
            return (f"cell {index}: stopped, the notebook used up its total time of "
                    f"{self.limits.submission_timeout_s:g} s")
        what = {"timeout": f"did not stop within {self.limits.cell_timeout_s:g} s",
                "bad": "wrote garbage to the grader's connection"}.get(b.kind, b.reason)
        return (f"cell {index}: skipped: the process running the notebook {what} while running "
                "this cell")

    # -- values -------------------------------------------------------------------------------

    def _enc(self, value: Any, function: str | None) -> tuple:
        owner = self._owner()

        def other(v):
            if isinstance(v, Handle):
                if v.owner == owner:
                    return ("H", v.id)
                if v.owner.split(":")[0] == self._token:
                    raise WorkerDied(function, self._last_death or "was restarted", lost=True)
                raise ValueError(f"{v!r} belongs to another sandbox")
            raise TypeError(f"cannot send a {type(v).__name__} to the worker")

        try:
            return wire.encode(value, other)
        except wire.TooLarge as e:
            raise ValueError(f"argument too large to send: {e}") from None

    def _handle(self, node: tuple) -> Handle:
        if len(node) != 4 or type(node[2]) is not str or node[2] not in (
            "module", "optimizer", "figure", "value"
        ):
            raise wire.WireError("malformed handle")
        summary = wire.decode(node[3], _no_handles)
        if type(summary) is not dict:
            raise wire.WireError("handle summary is not a dict")
        return Handle(node[2], node[1], summary, self._owner())

    def _owner(self) -> str:
        return f"{self._token}:{self._gen}"

    def _expect(self, handle: Any, *kinds: str) -> None:
        """A value the grader got back from the student and now uses as a model/optimizer: when
        it is none, that is the submission's fault."""
        names = {"module": "an nn.Module", "optimizer": "an optimizer", "figure": "a Figure"}
        want = " or ".join(names.get(k, k) for k in kinds)
        if not isinstance(handle, Handle):
            raise SubmissionFault(f"expected {want}, got {_describe(handle)}")
        if handle.kind not in kinds:
            raise SubmissionFault(f"expected {want}, got {names.get(handle.kind, handle.kind)}")

    # -- processes ----------------------------------------------------------------------------

    def _start_clock(self) -> None:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.limits.submission_timeout_s

    def _over_budget(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _ensure(self, function: str | None = None) -> _Proc:
        """The live worker; starts one, or restarts a dead one and replays the cells."""
        if self._closed:
            raise SandboxError("the sandbox is closed")
        if self._over_budget():
            raise CallTimeout(function, self.limits.submission_timeout_s, total=True, started=False)
        while True:
            w = self._w
            if w is not None and w.alive:
                return w
            if w is not None:
                reason = w.dead_reason or self._death_reason(w)
                self._kill(w, reason)
                self._last_death = reason
            if self._gen > 0:
                if self._restarts >= self.limits.restarts:
                    raise WorkerDied(function, self._last_death, gave_up=True)
                if self._over_budget():
                    raise CallTimeout(function, self.limits.submission_timeout_s, total=True,
                                      started=False)
                self._restarts += 1
            self._w = self._spawn()
            if self._gen > 1 and self._cells and not self._replay():
                continue  # a replayed cell killed it again: that cell is now skipped too
            if self._gen > 1:
                self.notes.append(
                    f"the process running the notebook was restarted after it {self._last_death}"
                    + ("; cells run again: " + ", ".join(str(i) for i, _ in self._cells
                                                         if i not in self._skip)
                       if self._cells else "")
                )
            return self._w

    def _replay(self) -> bool:
        for index, source in self._cells:
            if index in self._skip:
                continue
            try:
                self._roundtrip(self._w, {"op": "run_cell", "cell": index, "source": source,
                                          "timeout": float(self.limits.cell_timeout_s)},
                                self.limits.cell_timeout_s)
            except _Broken as b:
                self._skip[index] = b.reason
                self.notes.append(f"cell {index}: skipped after it stopped the process again "
                                  f"when the notebook was replayed ({b.reason})")
                return False
        return True

    def _spawn(self) -> _Proc:
        if self._base is None:
            self._make_base()
        self._gen += 1
        workdir = os.path.join(self._base, f"work{self._gen}")
        os.mkdir(workdir, 0o700)
        uid = gid = None
        if os.geteuid() == 0:
            if self._lease is None:
                self._lease = _UidLease()
            uid = gid = self._lease.uid
            os.chown(workdir, uid, gid)
        runtime = os.path.join(self._base, "runtime")
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
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
        if self.device.startswith("cuda"):
            if "CUDA_VISIBLE_DEVICES" in os.environ:
                env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
        else:
            env["CUDA_VISIBLE_DEVICES"] = ""  # a CPU-graded worker sees no GPU
        lim = self.limits
        cfg = {
            "python": sys.executable,
            "worker": os.path.join(runtime, "worker.py"),
            "workdir": workdir,
            "work_mb": max(1, lim.file_size_mb),
            "env": env,
            "uid": uid,
            "gid": gid,
            "namespaces": self.namespaces,
            "hide": sorted(set(_default_hidden()) | {os.getcwd(), os.path.expanduser("~")}
                           | set(self.hide)),
            "keep": _keep_paths() + [runtime, workdir],
            "rlimits": {
                "cpu": int(lim.cpu_time_s),
                "as": int(lim.memory_mb) << 20 if self.rlimit_as else None,
                "fsize": int(lim.file_size_mb) << 20,
                "nproc": int(lim.max_processes),
            },
            "req_fd": req_r,
            "rep_fd": rep_w,
            "output_kb": lim.output_kb,
        }
        argv = [sys.executable, "-I", "-S", os.path.join(runtime, "isolation.py"), _json(cfg)]
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, env=env, cwd=workdir,
                pass_fds=(req_r, rep_w), close_fds=True, start_new_session=True,
            )
        finally:
            for fd in (req_r, rep_w, out_w):
                os.close(fd)
        for fd in (req_w, rep_r, out_r):
            os.set_blocking(fd, False)
        w = _Proc(proc, req_w, rep_r, out_r, self._gen, workdir)
        t0 = time.monotonic()
        try:
            ready = self._recv(w, t0 + START_TIMEOUT_S, expect_seq=0)
            info = wire.decode(ready["value"], _no_handles)
        except (_Broken, wire.WireError) as e:
            self._kill(w, "did not start")
            raise SandboxError(
                f"the sandbox worker did not start ({e}); its output:\n{self.raw_output[-3000:]}"
            ) from None
        self.start_s = time.monotonic() - t0
        w.info = info
        self.isolation = dict(info.get("isolation", {}))
        return w

    def _make_base(self) -> None:
        base = tempfile.mkdtemp(prefix="autograder-sandbox-")
        os.chmod(base, 0o711)  # the worker's user may pass through, not list
        runtime = os.path.join(base, "runtime")
        os.mkdir(runtime)
        for name in RUNTIME_FILES:
            dst = os.path.join(runtime, name)
            shutil.copyfile(HERE / name, dst)
            os.chmod(dst, 0o444)
        os.chmod(runtime, 0o555)
        self._base = base

    # -- the pipes ----------------------------------------------------------------------------

    def _roundtrip(self, w: _Proc, msg: dict, timeout: float) -> dict:
        """Send one request, wait for its reply until timeout + grace (or the submission's
        deadline). Any failure kills the worker and raises _Broken."""
        seq = next(w.seq)
        data = wire.dumps({**msg, "seq": seq})
        limit = time.monotonic() + float(timeout) + min(GRACE_S, max(1.0, timeout / 4))
        total = self._deadline is not None and self._deadline < limit
        deadline = min(limit, self._deadline) if self._deadline is not None else limit
        try:
            self._send(w, data, deadline)
            return self._recv(w, deadline, expect_seq=seq)
        except _Broken as b:
            if b.kind == "timeout":
                b.total = total
            self._kill(w, b.reason)
            raise
        except wire.WireError as e:
            self._kill(w, "sent a malformed reply")
            raise _Broken("bad", str(e)) from None

    def _send(self, w: _Proc, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self._wait(w, deadline, write=True)
            try:
                n = os.write(w.req, view[: 1 << 20])
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise _Broken("died", self._death_reason(w, "closed its connection to the grader"))
            view = view[n:]

    def _recv(self, w: _Proc, deadline: float, expect_seq: int) -> dict:
        while True:
            if len(w.buf) >= wire.HEADER.size:
                length = wire.parse_header(bytes(w.buf[: wire.HEADER.size]))
                end = wire.HEADER.size + length
                if len(w.buf) >= end:
                    payload = bytes(w.buf[wire.HEADER.size:end])
                    del w.buf[:end]
                    return self._check_reply(wire.loads(payload), expect_seq)
            self._wait(w, deadline, write=False)
            try:
                chunk = os.read(w.rep, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise _Broken("died", self._death_reason(w, "closed its connection to the grader"))
            w.buf += chunk

    def _wait(self, w: _Proc, deadline: float, write: bool) -> None:
        """Block until the protocol fd is ready, draining output meanwhile; raise _Broken at
        the deadline, when the worker died, or when it is over its memory limit."""
        fd = w.req if write else w.rep
        poller = select.poll()
        poller.register(fd, select.POLLOUT if write else select.POLLIN)
        if w.out >= 0:
            poller.register(w.out, select.POLLIN)
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise _Broken("timeout", "ran past its time limit")
            events = poller.poll(max(0, min(deadline - now, 0.2)) * 1000)
            ready = False
            for efd, ev in events:
                if efd == w.out:
                    self._drain(w)
                    if w.out < 0:
                        poller = select.poll()
                        poller.register(fd, select.POLLOUT if write else select.POLLIN)
                elif ev & (select.POLLOUT if write else (select.POLLIN | select.POLLHUP)):
                    ready = True
                elif ev & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                    ready = True  # the read/write that follows reports it
            if ready:
                return
            if w.proc.poll() is not None:
                raise _Broken("died", self._death_reason(w))
            self._check_memory(w)

    def _drain(self, w: _Proc) -> None:
        try:
            chunk = os.read(w.out, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            os.close(w.out)
            w.out = -1
            return
        room = self.limits.output_kb * 1024 - len(self._raw)
        if room > 0:
            self._raw += chunk[:room]
        self._raw_dropped += max(0, len(chunk) - max(room, 0))

    def _check_memory(self, w: _Proc) -> None:
        now = time.monotonic()
        if now < w.next_mem_check:
            return
        w.next_mem_check = now + 0.25
        try:
            with open(f"/proc/{w.proc.pid}/statm") as f:
                rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return
        if rss > self.limits.memory_mb << 20:
            w.mem_killed = True
            raise _Broken("died", f"used more than {self.limits.memory_mb} MB of memory")

    def _check_reply(self, reply: Any, seq: int) -> dict:
        """The envelope of a reply, checked field by field (the worker is not trusted)."""
        keys = {"seq", "ok", "value", "error", "notes", "output"}
        if type(reply) is not dict or set(reply) != keys:
            raise wire.WireError("reply is not a reply envelope")
        if type(reply["seq"]) is not int or reply["seq"] != seq:
            raise wire.WireError("reply answers another request")
        if type(reply["ok"]) is not bool or type(reply["output"]) is not str:
            raise wire.WireError("malformed reply envelope")
        notes = reply["notes"]
        if type(notes) is not list or len(notes) > 1000 or any(
            type(n) is not str or len(n) > 1000 for n in notes
        ):
            raise wire.WireError("malformed notes")
        reply["output"] = reply["output"][: self.limits.output_kb * 1024 + 200]
        err = reply["error"]
        if reply["ok"]:
            if err is not None:
                raise wire.WireError("malformed reply envelope")
        else:
            if type(err) is not dict or set(err) != {"kind", "exc_type", "message", "cell", "line"}:
                raise wire.WireError("malformed error")
            if err["kind"] not in ERROR_KINDS or type(err["exc_type"]) is not str or type(
                err["message"]
            ) is not str or any(err[k] is not None and type(err[k]) is not int
                                for k in ("cell", "line")):
                raise wire.WireError("malformed error")
            err["exc_type"] = err["exc_type"][:200]
            err["message"] = err["message"][:1024]
        return reply

    def _death_reason(self, w: _Proc, default: str = "stopped") -> str:
        if w.mem_killed:
            return f"used more than {self.limits.memory_mb} MB of memory"
        try:
            rc = w.proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            return default
        if rc is None:
            return default
        if rc < 0:
            sig = -rc
            if sig == signal.SIGXCPU:
                return f"used more than {self.limits.cpu_time_s} s of CPU time"
            if sig == signal.SIGSEGV:
                return "crashed (segmentation fault)"
            if sig == signal.SIGXFSZ:
                return f"wrote a file larger than {self.limits.file_size_mb} MB"
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            return f"was killed ({name})"
        if rc == 70:
            return "could not be isolated"
        return f"exited with code {rc}"

    def _kill(self, w: _Proc, reason: str) -> None:
        """Kill the worker and every process its user or session started; close its pipes."""
        if w.dead_reason is not None and w.proc.returncode is not None and w.req < 0:
            return
        w.dead_reason = w.dead_reason or reason
        pid = w.proc.pid
        if self._lease is not None:
            _kill_uid(self._lease.uid)
        for target in _session_members(pid):
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
        if self._lease is not None:
            _kill_uid(self._lease.uid)  # anything forked meanwhile
        for fd in (w.req, w.rep, w.out):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        w.req = w.rep = w.out = -1
        _rmtree(w.workdir)


# ---------------------------------------------------------------------------------------------


def resolve_device(device: str) -> str:
    """'cpu', 'cuda' ('cuda:N') or 'auto'; cuda where there is none is an error, not a fallback."""
    device = str(device)
    if device == "cpu":
        return device
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" or device.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise SandboxError(f"device {device!r} was requested but no CUDA GPU is available")
        return device
    raise ValueError(f"device must be 'cpu', 'cuda' or 'auto', not {device!r}")


def _default_hidden() -> list[str]:
    """Every top-level folder but the system ones (symlinks such as /lib -> usr/lib point
    into visible folders and are left alone)."""
    out = list(ALSO_HIDDEN)
    for entry in sorted(os.listdir("/")):
        path = os.path.join("/", entry)
        if entry not in VISIBLE_TOP_LEVEL and os.path.isdir(path) and not os.path.islink(path):
            out.append(path)
    return out


def _keep_paths() -> list[str]:
    """What the worker needs even inside hidden folders: the interpreter and its prefixes, and
    the folders holding torch, numpy and matplotlib."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.realpath(sys.executable)}
    for name in ("torch", "numpy", "matplotlib"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            paths.add(os.path.dirname(list(spec.submodule_search_locations)[0]))
    return sorted(p for p in paths if p)


def _rmtree(path: str) -> None:
    """Remove a folder even where the submission (or the read-only runtime) left no write
    permission on a subfolder."""

    def retry(func, p, exc_info):
        parent = os.path.dirname(p)
        try:
            if not os.path.islink(parent):  # never chmod through a link a student planted
                os.chmod(parent, 0o700)
            func(p)
        except OSError:
            pass

    if os.path.lexists(path):
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=retry)
        else:
            shutil.rmtree(path, onerror=retry)


_LIVE: "weakref.WeakSet[Sandbox]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Sandboxes a grader forgot to close still take their workers along at exit."""
    for sb in list(_LIVE):
        try:
            sb.close()
        except Exception:
            pass


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj)


def _no_handles(node: tuple) -> Any:
    raise wire.WireError("unexpected handle")


def _what(handle: Any) -> str:
    return f"your {handle.kind}" if isinstance(handle, Handle) else "the object"


def _describe(value: Any) -> str:
    if isinstance(value, Unsupported):
        return f"a {value.type_name}"
    return f"a {type(value).__name__}"


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _session_members(sid: int) -> list[int]:
    """Processes in the worker's session (it is a session leader): its children that did not
    start a session of their own."""
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


def _kill_uid(uid: int) -> None:
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


class _UidLease:
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
            if uid in self._local or _uid_known(uid) or _uid_running(uid):
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


def _uid_known(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


def _uid_running(uid: int) -> bool:
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    return True
            except OSError:
                pass
    return False

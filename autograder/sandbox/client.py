"""The grader's side of the sandbox: `Sandbox`, one worker process per notebook.

The grader never imports or runs submission code. It starts a worker (process.py: launcher
isolation.py -> worker.py, copies in a fresh root-owned runtime folder, forked from a fork server
that has torch imported, launchers.py), sends it requests and
reads the replies (channel.py), each reply decoded with the weights-only loader and checked
(replies.py, wire.py). Every wait has a deadline; past it, or when the worker dies or sends
garbage, the worker and everything it started are killed, and the next operation starts a new
one and replays the cells (minus the one that killed it).
"""
from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import threading
import time
import weakref
from typing import Any, Callable, Iterable, Sequence

from . import launchers, process, wire
from .channel import Broken, RawOutput, WorkerProcess
from .errors import BadReply, CallTimeout, SandboxError, SubmissionFault, WorkerDied
from .builds import WorkerBuilds, layer_spec
from .handles import encode_request, expect, what
from .hung import HungCalls
from .limits import Limits
from .replies import decode_value, fault_of_broken, fault_of_error, relabel, reply_caps, skip_note
from .reports import CellError, RunReport
from .uids import UidLease
from .wire import Handle
from autograder.devices import resolve_device


class Sandbox:
    """One sandboxed worker for one notebook (see docs/architecture.md, the sandbox contract)."""

    def __init__(
        self,
        limits: Limits | None = None,
        device: str = "cpu",
        hide: Iterable[str | os.PathLike] = (),
        *,
        namespaces: bool = True,
        builds: WorkerBuilds | None = None,
        cell_label: Callable[[int], str] | None = None,
        fork_server: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self.builds = builds or WorkerBuilds()  # what build_module/build_optimizer may build
        # how messages name a cell (the grader names it from the notebook: the function it defines)
        self.cell_label = cell_label or (lambda index: f"cell {index}")
        self.device = resolve_device(device)
        self.hide = tuple(os.path.abspath(os.fspath(p)) for p in hide)
        self.namespaces = namespaces  # False: only for tests of the reduced (non-root) mode
        self.fork_server = fork_server  # False: only for tests of the new-interpreter fallback
        # Address-space limit on CPU; CUDA reserves huge virtual memory, so there only the
        # resident-size watchdog (checked while waiting for a reply) applies.
        self.rlimit_as = not self.device.startswith("cuda")
        self.notes: list[str] = []  # for the student: restarts, skipped cells
        self.isolation: dict = {}  # for the TA: what the launcher achieved
        self.start_s: float | None = None  # measured start of the last worker (torch import)
        self._raw = RawOutput(self.limits.output_kb * 1024)  # the workers' own fd 1 and 2
        self._cells: list[tuple[int, str]] = []
        self._skip: dict[int, str] = {}  # cell -> why it is not replayed
        self.hung = HungCalls()  # functions a cell was stopped in: not waited for again
        self._w: WorkerProcess | None = None
        self._gen = 0
        self._restarts = 0
        self._deadline: float | None = None
        self._token = secrets.token_hex(4)
        self._base: str | None = None
        self._lease: UidLease | None = None
        self._closed = False
        self._life = threading.Lock()  # close() from another thread waits for a start in progress
        self._last_death = ""
        _LIVE.add(self)

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def start(self) -> "Sandbox":
        """Start the worker now (process, isolation, torch import) without running anything;
        run_cells and call start it when needed. The submission's clock does not run yet."""
        self._ensure("start")
        return self

    def close(self) -> None:
        """Kill the worker and everything it started; remove the temporary folders. Safe to call
        from another thread while an operation runs: that operation fails (the worker is gone)."""
        with self._life:
            if self._closed:
                return
            self._closed = True
            if self._w is not None:
                process.kill(self._w, "closed", self._lease)
            if self._lease is not None:
                self._lease.release()
            if self._base is not None:
                launchers.rmtree(self._base)
                self._base = None
        _LIVE.discard(self)

    @property
    def reduced_isolation(self) -> list[str]:
        """For the TA: what the last worker's launcher could not do ([] when fully isolated)."""
        return list(self.isolation.get("notes", []))

    @property
    def raw_output(self) -> str:
        """What the worker processes wrote to their fd 1 and 2 (C code, subprocesses), capped."""
        return self._raw.text()

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
                report.notes.append(f"{self.cell_label(index)}: not run, the notebook used up its total time "
                                    f"of {self.limits.submission_timeout_s:g} s")
                self._cells.append((index, source))
                continue
            try:
                reply = self._cell(index, source)
            except Broken as b:
                self._skip[index] = b.reason
                report.skipped.append(index)
                report.notes.extend(self.notes[seen:])
                report.notes.append(skip_note(self.cell_label(index), b.kind, b.reason, b.total, self.limits))
                seen = len(self.notes)
                self._cells.append((index, source))
                continue
            except SubmissionFault as f:  # could not restart the worker to run it
                self._skip[index] = str(f)
                report.skipped.append(index)
                report.notes.extend(self.notes[seen:])
                report.notes.append(f"{self.cell_label(index)}: not run: {f}")
                seen = len(self.notes)
                self._cells.append((index, source))
                continue
            report.notes.extend(self.notes[seen:])
            seen = len(self.notes)
            self._cells.append((index, source))
            report.cells_run.append(index)
            report.notes.extend(relabel(n, index, self.cell_label) for n in reply["notes"])
            err = reply["error"]
            if err is not None:
                if err["kind"] == "timeout":
                    self._skip[index] = "timeout"  # do not spend its time again on a replay
                    hung = self.hung.note(err, index, self.cell_label(index), self.limits)
                    if hung and hung[0].budget:  # the function's budget stopped it: that is the news
                        msg = f"{hung[0].message} (The grader does not run this cell again if it restarts the notebook.)"
                    else:
                        msg = (f"the cell ran longer than {self.limits.cell_timeout_s:g} s and was stopped; it is "
                               "not run again if the notebook is restarted" + "".join(f". {c.message}" for c in hung[:1]))
                    report.errors.append(CellError("TimeoutError", msg, index, None, self.cell_label(index)))
                    if hung:
                        with contextlib.suppress(Broken):  # a restart refuses them again (_replay)
                            self._roundtrip(self._w, HungCalls.refusal(hung), self.limits.call_timeout_s)
                else:
                    cell = err["cell"] or index
                    report.errors.append(
                        CellError(err["exc_type"], err["message"], cell, err["line"], self.cell_label(cell))
                    )
            text = reply["output"]
            if text and size < cap:
                chunk = f"[{self.cell_label(index)}]\n{text}"
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
        values, tensors, handles) and return the decoded reply. Without `timeout`, the
        function's budget ([limits] call_budgets_s) or the default call limit."""
        t = self.limits.call_limit(function) if timeout is None else float(timeout)
        return self._op("call", function, t, lambda: {
            "name": str(function), "args": self._enc(list(args), function),
            "kwargs": self._enc(dict(kwargs), function),
        })

    def forward(self, handle: Handle, x: Any, timeout: float | None = None) -> Any:
        """`module(x)` under torch.no_grad() in the worker."""
        expect(handle, "module")
        t = self.limits.call_timeout_s if timeout is None else float(timeout)
        return self._op("forward", what(handle), t, lambda: {
            "handle": self._enc(handle, what(handle)), "x": self._enc(x, what(handle))})

    def state_dict(self, handle: Handle, timeout: float | None = None) -> dict:
        """The state dict of a module (or optimizer) handle, as tensors and plain values."""
        expect(handle, "module", "optimizer")
        t = self.limits.call_timeout_s if timeout is None else float(timeout)
        return self._op("state_dict", what(handle), t,
                        lambda: {"handle": self._enc(handle, what(handle))})

    def build_module(self, layers: Sequence[Sequence[Any]], state_dict: dict | None = None,
                     device: str | None = None) -> Handle:
        """A reference nn.Sequential built in the worker from a plain spec such as
        [("Linear", 2, 100), ("ReLU",), ("Linear", 100, 3)], optionally loaded with a state
        dict, on `device` (the sandbox's device by default)."""
        spec = layer_spec(layers, self.builds)
        dev = self.device if device is None else device
        return self._op("build_module", "build_module", self.limits.call_timeout_s, lambda: {
            "layers": self._enc(spec, None), "state_dict": self._enc(state_dict, None),
            "device": self._enc(dev, None)})

    def build_optimizer(self, model: Handle, kind: str, **hyper: Any) -> Handle:
        """A torch.optim optimizer of the assignment's [worker_builds] over a module handle's
        parameters, in the worker."""
        if kind not in self.builds.optimizers:
            raise ValueError(f"build_optimizer: {kind!r} is not one of {', '.join(self.builds.optimizers)} "
                             "([worker_builds] optimizers)")
        expect(model, "module")
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
        return self._op("get", what(handle), t, lambda: {"handle": self._enc(handle, None)})

    def figures(self, close: bool = True) -> list[Handle]:
        """Handles of the figures open in the worker's pyplot (drawn by calls since the last
        cell), closing them there unless close=False."""
        return self._op("figures", "figures", self.limits.call_timeout_s,
                        lambda: {"close": bool(close)})

    def seed(self, seed: int) -> None:
        """Seed the worker's global RNGs (random, torch, numpy if imported)."""
        self._op("seed", "seed", self.limits.call_timeout_s, lambda: {"seed": int(seed)})

    def cpu_seconds(self) -> float:
        """CPU seconds the current worker (and what it started) has used so far, measured by the
        grader from /proc (see process.cpu_seconds); 0.0 when no worker runs. Differences
        around a call time the call's own work, unlike wall time on a loaded machine."""
        w = self._w
        return process.cpu_seconds(w.watch_pid) if w is not None and w.alive else 0.0

    # -- operations -------------------------------------------------------------------------

    def _op(self, op: str, function: str | None, timeout: float, fields) -> Any:
        w = self._ensure(function)
        self._start_clock()  # after the start: a cold start is not the submission's time
        msg = {"op": op, **fields(), "timeout": timeout}
        try:
            reply = self._roundtrip(w, msg, timeout)
        except Broken as b:
            raise fault_of_broken(b.kind, b.reason, b.total, function, timeout,
                                  self.limits) from None
        if not reply["ok"]:
            raise fault_of_error(reply["error"], function, timeout, lambda: self._last_death, self.cell_label)
        try:
            return decode_value(reply["value"], self._owner(), reply_caps(self.limits))
        except wire.WireError as e:
            process.kill(w, "sent a malformed reply", self._lease)
            raise BadReply(function, str(e)) from None

    def _cell(self, index: int, source: str) -> dict:
        w = self._ensure(self.cell_label(index))
        self._start_clock()
        msg = {"op": "run_cell", "cell": index, "source": source,
               "timeout": float(self.limits.cell_timeout_s)}
        return self._roundtrip(w, msg, self.limits.cell_timeout_s)

    def _roundtrip(self, w: WorkerProcess, msg: dict, timeout: float) -> dict:
        """One request and its reply; a worker that broke is killed before Broken goes up."""
        try:
            return w.roundtrip(msg, timeout, self._deadline)
        except Broken as b:
            process.kill(w, "sent a malformed reply" if b.kind == "bad" else b.reason, self._lease)
            raise

    def _enc(self, value: Any, function: str | None) -> tuple:
        return encode_request(value, function, self._owner(), self._last_death)

    def _owner(self) -> str:
        return f"{self._token}:{self._gen}"

    # -- processes ----------------------------------------------------------------------------

    def _start_clock(self) -> None:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.limits.submission_timeout_s

    def _over_budget(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _ensure(self, function: str | None = None) -> WorkerProcess:
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
                reason = w.dead_reason or w.death_reason()
                process.kill(w, reason, self._lease)
                self._last_death = reason
            if self._gen > 0:
                if self._restarts >= self.limits.restarts:
                    raise WorkerDied(function, self._last_death, gave_up=True)
                if self._over_budget():
                    raise CallTimeout(function, self.limits.submission_timeout_s, total=True,
                                      started=False)
                self._restarts += 1
            self._spawn()
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
            msg = {"op": "run_cell", "cell": index, "source": source,
                   "timeout": float(self.limits.cell_timeout_s)}
            if index in self._skip:
                if index not in self.hung.at_cell:
                    continue
                msg = HungCalls.refusal(self.hung.at_cell[index])  # where the first run refused them
            try:
                self._roundtrip(self._w, msg, self.limits.cell_timeout_s)
            except Broken as b:
                self._skip[index] = b.reason
                self.notes.append(f"{self.cell_label(index)}: skipped after it stopped the process again "
                                  f"when the notebook was replayed ({b.reason})")
                return False
        return True

    def _spawn(self) -> WorkerProcess:
        with self._life:
            if self._closed:
                raise SandboxError("the sandbox is closed")
            if self._base is None:
                self._base = launchers.make_runtime()
            if os.geteuid() == 0 and self._lease is None:
                self._lease = UidLease()
            self._gen += 1
            spec = process.Spec(self.limits, self.device, self.hide, self.namespaces, self.rlimit_as,
                                self.builds, self.fork_server)
            w = self._w = process.spawn(spec, self._base, self._gen, self._lease, self._raw)
        self.start_s = w.start_s
        self.isolation = dict(w.info.get("isolation", {}))
        return w


_LIVE: "weakref.WeakSet[Sandbox]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Sandboxes a grader forgot to close still take their workers along at exit."""
    for sb in list(_LIVE):
        with contextlib.suppress(Exception):
            sb.close()

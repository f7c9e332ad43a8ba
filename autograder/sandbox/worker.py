"""The sandbox worker: the only process that ever runs a submission's code.

Self-contained on purpose: it imports the standard library, torch, its runtime modules (`wire`,
`worker_cells`, `worker_summaries`: copies placed next to this file in the runtime folder) and,
only when a student uses it, matplotlib. It never imports the rest of `autograder`, which stays
out of its reach (see isolation.py).

Started by the launcher (isolation.py) with the config as a JSON argument, or, in a worker forked
from the fork server (forkserver.py), called in memory with torch already imported. It imports
torch first (free when the fork server did), says it is ready, then serves requests read from the
request pipe and answers on the reply pipe: run a cell, call a function of the notebook, operate
on a handle. Everything a cell or function produces goes back as plain values (wire.encode);
modules, optimizers and figures stay here in the handle table and go back as handles with a plain
summary.
"""
from __future__ import annotations

import builtins
import json
import os
import signal
import sys
import time
import types

from worker_cells import (CELL_PREFIX, CappedText, CellWatch, Refused, Timeout, display, err,
                          message_of, on_alarm, prepare_cell, where)
from worker_summaries import (class_name, close_figures, figure_of, figure_summary,
                              module_summary, optimizer_summary, type_name)


class Worker:
    def __init__(self, cfg: dict, torch, wire) -> None:
        self.cfg = cfg
        self.torch = torch
        self.wire = wire
        self.req_fd = cfg["req_fd"]
        self.rep_fd = cfg["rep_fd"]
        self.out = CappedText(int(cfg["output_kb"]) * 1024)
        # the grader's caps on replies: a value over them goes back as "too large", not sent
        self.caps = wire.Caps(**cfg["reply_caps"]) if cfg.get("reply_caps") else None
        # the reference layers and optimizers the grader may build here ([worker_builds])
        self.builds = cfg.get("builds") or {"layers": [], "optimizers": [], "hyperparameters": []}
        self.ns: dict = {"__name__": "__main__", "__builtins__": builtins, "display": display}
        self.handles: dict[int, object] = {}
        self.handle_ids: dict[int, int] = {}  # id(obj) -> handle id (objects kept alive)
        self._limit = self.caps.frame_bytes if self.caps is not None else wire.MAX_FRAME
        self._torch_save = torch.save  # a student replacing torch.save must not break replies
        self._write = os.write

    # -- protocol ------------------------------------------------------------------------------

    def serve(self) -> None:
        while True:
            msg = self.wire.read_frame(self.req_fd)
            if msg is None:  # the grader closed the pipe: nothing more to do
                return
            seq = msg.get("seq", -1) if type(msg) is dict else -1
            reply = {"seq": seq, "ok": True, "value": ("n",), "error": None, "notes": [], "output": ""}
            self._capture()
            try:
                op = getattr(self, "op_" + str(msg["op"]))
                value, notes = op(msg)
                reply["value"] = self._encode(value)
                reply["notes"] = notes
            except _Fault as f:
                reply["ok"] = False
                reply["error"] = f.info
            except Timeout:
                reply["ok"] = False
                reply["error"] = err("timeout", "TimeoutError", "stopped")
            except BaseException as e:  # a student's object broke our own code
                reply["ok"] = False
                reply["error"] = err("student", type(e).__name__, message_of(e), *where(e))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            reply["output"] = self.out.take()
            self._send(reply)

    def _send(self, reply: dict) -> None:
        try:
            self.wire.write_frame(self.rep_fd, reply, self._limit)
        except self.wire.WireError as e:  # too large: say so instead
            reply.update(ok=False, value=("n",), error=err("internal", "TooLarge", str(e)),
                         output=reply["output"][:4096])
            self.wire.write_frame(self.rep_fd, reply, self._limit)

    def _capture(self) -> None:
        sys.stdout = sys.stderr = self.out
        signal.signal(signal.SIGALRM, on_alarm)

    def _alarm(self, seconds) -> None:
        if seconds and seconds > 0:
            signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, float(seconds))

    # -- values -----------------------------------------------------------------------------

    def _encode(self, value):
        try:
            return self.wire.encode(value, self._other, self.caps)
        except self.wire.TooLarge as e:
            return ("U", type(value).__name__, str(e))

    def _decode(self, node):
        try:
            return self.wire.decode(node, self._resolve, device_as_str=False, keep_grad=True)
        except self.wire.WireError as e:  # the grader's own request: its fault, not the student's
            raise _Fault(err("request", "WireError", str(e))) from None

    def _resolve(self, node):
        obj = self.handles.get(node[1], _MISSING)
        if obj is _MISSING:
            raise _Fault(err("lost", "LookupError", f"no object {node[1]}"))
        return obj

    def _other(self, value) -> tuple:
        if type(value) is _Raw:
            return value.node
        torch = self.torch
        kind = None
        if isinstance(value, torch.nn.Module):
            kind = "module"
        elif isinstance(value, torch.optim.Optimizer):
            kind = "optimizer"
        else:
            fig = figure_of(value)
            if fig is not None:
                kind, value = "figure", fig
        if kind is None:
            return ("U", type_name(value), "")
        return ("H", self._register(value), kind, self._summary(kind, value))

    def _register(self, obj) -> int:
        hid = self.handle_ids.get(id(obj))
        if hid is None:
            hid = len(self.handles) + 1
            self.handles[hid] = obj
            self.handle_ids[id(obj)] = hid
        return hid

    def _summary(self, kind: str, obj) -> tuple:
        try:
            data = {"module": module_summary, "optimizer": optimizer_summary,
                    "figure": figure_summary, "value": lambda o: {"type": class_name(o)}}[kind](obj)
        except Exception as e:  # a hostile object: the summary says so, the handle still works
            data = {"type": class_name(obj), "error": f"{type(e).__name__}: {message_of(e)}"}
        return self._encode(data)

    # -- operations ---------------------------------------------------------------------------

    def op_ping(self, msg):
        return {"pid": os.getpid()}, []

    def op_run_cell(self, msg):
        index, source, timeout = int(msg["cell"]), str(msg["source"]), msg["timeout"]
        notes: list[str] = []
        code = prepare_cell(index, source, notes)
        if code is None:
            return None, notes
        try:
            compiled = compile(code, f"{CELL_PREFIX}{index}>", "exec")
        except SyntaxError as e:
            raise _Fault(err("student", type(e).__name__, message_of(e.msg), index, e.lineno))
        watch = CellWatch(compiled, timeout, self.cfg.get("call_budgets") or {}, self.ns)
        try:
            watch.start()
            exec(compiled, self.ns)
        except Timeout as t:
            info = err("timeout", "TimeoutError", f"cell ran longer than {timeout:g} s", index, None)
            hung = watch.hung(t, self.ns)
            if hung is not None:
                info["hung"] = hung
            raise _Fault(info) from None
        except BaseException as e:
            raise _Fault(err("student", type(e).__name__, message_of(e), *where(e))) from None
        finally:
            watch.stop()
            close_figures()
        return None, notes

    def op_refuse(self, msg):
        """Later cells get a TimeoutError at once from these functions (see Refused)."""
        message = str(msg["message"])
        budgeted = {str(n) for n in msg.get("budgeted") or ()}
        for name in msg["names"]:
            fn = self.ns.get(str(name))
            if type(fn) is types.FunctionType:  # nothing of the student's runs here
                self.ns[str(name)] = Refused(fn, message, str(name) in budgeted)
        return None, []

    def op_call(self, msg):
        name = str(msg["name"])
        fn = self.ns.get(name, _MISSING) if type(self.ns) is dict else _MISSING
        if fn is _MISSING:
            raise _Fault(err("missing", "NameError", name))
        if not callable(fn):
            raise _Fault(err("missing", type_name(fn), name))
        if type(fn) is Refused:  # the grader chose to call it again, with more time
            fn = fn.fn
        args = self._decode(msg["args"])
        kwargs = self._decode(msg["kwargs"])
        return self._invoke(fn, args, kwargs, msg.get("timeout")), []

    def _invoke(self, fn, args, kwargs, timeout):
        try:
            self._alarm(timeout)
            return fn(*args, **kwargs)
        except Timeout:
            raise _Fault(err("timeout", "TimeoutError", "stopped")) from None
        except NotImplementedError as e:
            raise _Fault(err("notimplemented", type(e).__name__, message_of(e), *where(e))) from None
        except BaseException as e:
            raise _Fault(err("student", type(e).__name__, message_of(e), *where(e))) from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def op_forward(self, msg):
        module = self._decode(msg["handle"])
        x = self._decode(msg["x"])
        with self.torch.no_grad():
            return self._invoke(module, (x,), {}, msg.get("timeout")), []

    def op_state_dict(self, msg):
        obj = self._decode(msg["handle"])
        return self._invoke(obj.state_dict, (), {}, msg.get("timeout")), []

    def op_build_module(self, msg):
        nn = self.torch.nn
        layers = []
        for spec in self._decode(msg["layers"]):
            name, args = spec[0], tuple(spec[1:])
            cls = getattr(nn, name, None) if name in self.builds["layers"] else None
            if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
                raise _Fault(err("request", "ValueError", f"layer {name!r} not allowed"))
            if not all(type(a) in (int, float, bool) for a in args):
                raise _Fault(err("request", "ValueError", "layer arguments must be numbers"))
            layers.append(cls(*args))
        model = nn.Sequential(*layers)
        state = self._decode(msg["state_dict"])
        if state is not None:
            model.load_state_dict(state)
        return model.to(self._decode(msg["device"])), []

    def op_build_optimizer(self, msg):
        model = self._decode(msg["model"])
        kind = str(msg["kind"])
        hyper = self._decode(msg["hyper"])
        cls = getattr(self.torch.optim, kind, None) if kind in self.builds["optimizers"] else None
        if not (isinstance(cls, type) and issubclass(cls, self.torch.optim.Optimizer)) \
                or not set(hyper) <= set(self.builds["hyperparameters"]):
            raise _Fault(err("request", "ValueError", "optimizer kind or hyperparameter not allowed"))
        return cls(model.parameters(), **hyper), []

    def op_put(self, msg):
        obj = self._decode(msg["value"])
        hid = self._register(obj)
        return _Raw(("H", hid, "value", self._summary("value", obj))), []

    def op_get(self, msg):
        return self._decode(msg["handle"]), []

    def op_figures(self, msg):
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return [], []
        figs = [plt.figure(n) for n in plt.get_fignums()]
        if msg.get("close", True):
            plt.close("all")
        return figs, []

    def op_seed(self, msg):
        seed = int(msg["seed"])
        import random

        random.seed(seed)
        self.torch.manual_seed(seed)
        np = sys.modules.get("numpy")
        if np is not None:
            np.random.seed(seed % 2**32)
        return None, []


class _Raw:
    """An already-encoded node (handles made by the worker itself)."""

    def __init__(self, node) -> None:
        self.node = node


class _Fault(Exception):
    def __init__(self, info: dict) -> None:
        self.info = info


_MISSING = object()


def main(argv: list) -> None:
    run(json.loads(argv[1]))


def run(cfg: dict) -> None:
    """Serve the grader until it closes the request pipe, then end everything. Never returns."""
    for fd in (cfg["req_fd"], cfg["rep_fd"]):
        os.set_inheritable(fd, False)  # a student's subprocess does not get the protocol
    home = os.getcwd()
    for d in (os.environ.get("TMPDIR"), os.environ.get("MPLCONFIGDIR")):
        if d:
            os.makedirs(d, mode=0o700, exist_ok=True)
    own_uid = bool(cfg.get("isolation", {}).get("user_switched"))
    t0 = time.monotonic()
    import torch  # first: a warm worker has paid for this before any submission arrives

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    import wire  # the copy next to this file (the script's folder is sys.path[0])

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p != here]  # the student's imports see no runtime
    sys.dont_write_bytecode = True
    worker = Worker(cfg, torch, wire)
    ready = {"pid": os.getpid(), "uid": os.getuid(), "torch": torch.__version__,
             "import_s": time.monotonic() - t0, "home": home, "isolation": cfg.get("isolation", {})}
    wire.write_frame(cfg["rep_fd"], {"seq": 0, "ok": True, "value": wire.encode(ready, _no_other),
                                     "error": None, "notes": [], "output": ""})
    worker.serve()
    _end_all(own_uid)  # the grader closed the pipe (it is done, or gone): nothing may stay


def _end_all(own_uid: bool) -> None:
    """Kill what the submission forked, then exit: with a uid of its own, kill(-1) reaches
    exactly that uid's processes; otherwise the process group."""
    try:
        if own_uid:
            os.kill(-1, signal.SIGKILL)
        else:
            os.killpg(0, signal.SIGKILL)
    finally:
        os._exit(3)


def _no_other(value):
    return ("U", type_name(value), "")


if __name__ == "__main__":
    main(sys.argv)

"""What the worker does around a notebook cell or a call: capture output, stop at a deadline, and
describe the student's exception without trusting it. Runtime module of the worker (copied next
to worker.py; standard library only).
"""
from __future__ import annotations

import signal
import sys
import time
import types

CELL_PREFIX = "<cell "
MAX_MESSAGE = 1024  # characters of an exception message sent back
TICK_S = 1.0  # how often a running cell is looked at (see CellWatch)
MAX_HUNG_NAMES = 8


class Timeout(BaseException):
    """Raised by SIGALRM in the student's code; BaseException so `except Exception` misses it."""


def on_alarm(signum, frame):
    raise Timeout()


class CellWatch:
    """Stops a cell at its deadline and, once a tick, notes which notebook function the cell is
    inside. When the cell is stopped inside the same call that was running at a tick, that one
    call ran since the tick before it was first seen, at most (a tick's precision): the grader
    learns that this function did not return within the cell's limit, so later cells and checks
    need not wait for it again (sandbox/hung.py). A function with a budget of its own (the
    assignment's [limits] call_budgets_s) is stopped once one call of it from the cell has
    surely run that long (counted from the tick it was first seen at)."""

    def __init__(self, code, timeout: float, budgets: dict | None = None, namespace: dict | None = None) -> None:
        self.code = code  # the cell's compiled module code
        self.timeout = float(timeout or 0)
        self.budgets = {str(k): float(v) for k, v in (budgets or {}).items()}
        self.ns = namespace if type(namespace) is dict else {}
        now = time.monotonic()
        self.deadline = now + self.timeout
        self.last_tick = now
        self.frame = None  # the notebook function the cell was inside at the last tick
        self.since = now  # the tick before that frame was first seen: its call began after it
        self.seen = now  # the tick that frame was first seen at: its call began before it

    def start(self) -> None:
        if self.timeout > 0:
            signal.signal(signal.SIGALRM, self.on_tick)
            signal.setitimer(signal.ITIMER_REAL, min(TICK_S, self.timeout), TICK_S)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.frame = None  # a finished call's frame keeps its locals alive

    def on_tick(self, signum, frame) -> None:
        now = time.monotonic()
        left = self.deadline - now
        if left <= 0.001:
            raise Timeout()  # again at every tick if the student's code swallows it
        callee = outermost_call(frame, self.code)
        if callee is not self.frame:
            self.frame, self.since, self.seen = callee, self.last_tick, now
        self.last_tick = now
        if callee is not None and now - self.seen >= self.budget(callee):
            raise Timeout()  # again at every tick while the same call goes on
        if left < TICK_S:
            signal.setitimer(signal.ITIMER_REAL, left, TICK_S)

    def budget(self, frame) -> float:
        """The smallest budget among the names of the notebook that bind the function `frame` is a call of."""
        best = float("inf")
        for name, seconds in self.budgets.items():
            if runs(self.ns.get(name), frame):
                best = min(best, seconds)
        return best

    def hung(self, exc, namespace: dict) -> dict | None:
        """{"names", "seconds"} of the notebook function whose one call the cell was stopped in,
        when that call was already running at the last tick and a name of the notebook binds it;
        None otherwise."""
        callee = outermost_call_in(exc.__traceback__, self.code)
        if callee is None or callee is not self.frame:
            return None
        names = [k for k, v in list(namespace.items())
                 if type(k) is str and k.isidentifier() and runs(v, callee)][:MAX_HUNG_NAMES]
        return {"names": names, "seconds": round(time.monotonic() - self.since, 3)} if names else None


def runs(fn, frame) -> bool:
    """Whether `frame` is a call of the function `fn`: its code and, for a closure, the same
    values of its free variables (the wrapper a decorator returns has one code for every
    function it decorates: a decorated fit_spiral is not a decorated train)."""
    if type(fn) is not types.FunctionType or fn.__code__ is not frame.f_code:
        return False
    cells = fn.__closure__ or ()
    values = frame.f_locals if cells else {}
    for name, cell in zip(frame.f_code.co_freevars, cells):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            if name in values:
                return False
            continue
        if values.get(name, _UNSET) is not value:
            return False
    return True


_UNSET = object()


def _notebook_code(code) -> bool:
    name = code.co_filename
    return type(name) is str and name.startswith(CELL_PREFIX)


def outermost_call(frame, module_code):
    """The outermost frame of notebook code called from the cell's own code (`module_code`),
    walking out from `frame`; None when the cell is running its own lines."""
    callee = None
    while frame is not None:
        if frame.f_code is module_code:
            return callee
        if _notebook_code(frame.f_code):
            callee = frame
        frame = frame.f_back
    return None


def outermost_call_in(tb, module_code):
    """outermost_call for a traceback (walked from the outside in)."""
    inside = False
    while tb is not None:
        if inside and _notebook_code(tb.tb_frame.f_code):
            return tb.tb_frame
        inside = inside or tb.tb_frame.f_code is module_code
        tb = tb.tb_next
    return None


class Refused:
    """Stands in, in the notebook's namespace, for a function that did not return within a
    cell's limit: a later cell calling it gets a TimeoutError at once. The grader's own calls
    reach the function itself (Worker.op_call), the grader decides when they are not worth it.
    One stopped at its own budget (`budgeted`) is refused only where its budget holds, a cell
    calling it itself: called from another function (fit_spiral calling train, in a cell or a
    check), it runs, within that function's limit."""

    def __init__(self, fn, message: str, budgeted: bool = False) -> None:
        # the name and docstring only (not the function's __dict__, which the student controls)
        self.__name__, self.__qualname__, self.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
        self.fn = fn
        self.message = message
        self.budgeted = budgeted

    def __call__(self, *args, **kwargs):
        if self.budgeted and not from_cell(sys._getframe(1)):
            return self.fn(*args, **kwargs)
        raise TimeoutError(self.message)


def from_cell(frame) -> bool:
    """Whether a call made in `frame` is a cell's own call (the cell's lines, not a function of
    the notebook, are the nearest notebook code walking out), as CellWatch's budgets count one."""
    while frame is not None:
        if _notebook_code(frame.f_code):
            return frame.f_code.co_name == "<module>"
        frame = frame.f_back
    return False


class CappedText:
    """A text stream keeping only the first `cap` characters (a student printing 100 MB costs
    nothing); stands in for sys.stdout and sys.stderr."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, s) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self.cap - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def writelines(self, lines) -> None:
        for s in lines:
            self.write(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def take(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output not kept]\n"
        self.parts, self.size, self.dropped = [], 0, 0
        return text


def display(*args, **kwargs) -> None:
    """Stands in for IPython's display(): the grader shows nothing."""


def err(kind, exc_type, message, cell=None, line=None) -> dict:
    return {"kind": kind, "exc_type": str(exc_type)[:200], "message": str(message)[:MAX_MESSAGE],
            "cell": cell, "line": line}


def message_of(e) -> str:
    """str(exception), guarded: a student's __str__ may raise or never end (the grader's
    deadline covers the latter)."""
    try:
        s = e if isinstance(e, str) else str(e)
        return s if type(s) is str else "<message not a string>"
    except BaseException:
        return "<message could not be printed>"


def where(exc) -> tuple:
    """(cell, line) of the innermost frame that is notebook code, from the traceback."""
    cell = line = None
    tb = exc.__traceback__ if isinstance(exc, BaseException) else None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith(CELL_PREFIX) and name.endswith(">"):
            try:
                cell, line = int(name[len(CELL_PREFIX):-1]), tb.tb_lineno
            except ValueError:
                pass
        tb = tb.tb_next
    if isinstance(exc, SyntaxError) and str(exc.filename).startswith(CELL_PREFIX):
        try:
            cell, line = int(exc.filename[len(CELL_PREFIX):-1]), exc.lineno
        except ValueError:
            pass
    return cell, line



def prepare_cell(index: int, source: str, notes: list) -> str | None:
    """Drop IPython-only syntax: a cell starting with %% is skipped whole; when the cell does
    not compile as it is, lines starting with ! or % become `pass` (line numbers unchanged)."""
    stripped = source.lstrip()
    if stripped.startswith("%%"):
        notes.append(f"cell {index}: skipped cell magic `{short(stripped.splitlines()[0])}`")
        return None
    try:
        compile(source, f"{CELL_PREFIX}{index}>", "exec")
        return source
    except SyntaxError:
        pass
    out = []
    for line in source.splitlines():
        body = line.lstrip()
        if body.startswith(("!", "%")):
            notes.append(f"cell {index}: skipped shell/magic line `{short(body)}`")
            line = line[: len(line) - len(body)] + "pass"
        out.append(line)
    return "\n".join(out) + "\n"


def short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


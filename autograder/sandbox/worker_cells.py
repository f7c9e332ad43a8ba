"""What the worker does around a notebook cell or a call: capture output, stop at a deadline, and
describe the student's exception without trusting it. Runtime module of the worker (copied next
to worker.py; standard library only).
"""
from __future__ import annotations

CELL_PREFIX = "<cell "
MAX_MESSAGE = 1024  # characters of an exception message sent back


class Timeout(BaseException):
    """Raised by SIGALRM in the student's code; BaseException so `except Exception` misses it."""


def on_alarm(signum, frame):
    raise Timeout()


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


"""A small text progress display for grade-all, on stderr (no dependency).

On a terminal it keeps one status line up to date under the finished submissions; elsewhere
(CI logs, pipes) it prints one line per finished submission and nothing else.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    def __init__(self, total: int, jobs: int, stream: TextIO | None = None, enabled: bool = True,
                 tty: bool | None = None, width: int = 24) -> None:
        self.total = total
        self.jobs = jobs
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty() if tty is None else tty
        self.width = width
        self.done = 0
        self.ungradable = 0
        self.running: dict[str, float] = {}
        self.started = time.monotonic()
        self._durations: list[float] = []
        self._drawn = False

    def _write(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()

    def _clear(self) -> None:
        if self.tty and self._drawn:
            self._write("\r\x1b[2K")
            self._drawn = False

    def bar(self) -> str:
        frac = self.done / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        elapsed = time.monotonic() - self.started
        eta = ""
        if self.done and self.done < self.total:
            per = elapsed / self.done
            eta = f" eta {_clock(per * (self.total - self.done))}"
        running = ", ".join(sorted(self.running)[:3]) + (" ..." if len(self.running) > 3 else "")
        text = (f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
                f" {_clock(elapsed)}{eta}")
        if self.ungradable:
            text += f" ({self.ungradable} ungradable)"
        if running:
            text += f" grading: {running}"
        return text

    def redraw(self) -> None:
        if self.tty:
            self._clear()
            self._write(self.bar())
            self._drawn = True

    def start(self, student: str) -> None:
        self.running[student] = time.monotonic()
        self.redraw()

    def finish(self, student: str, line: str, ungradable: bool = False) -> None:
        self.running.pop(student, None)
        self.done += 1
        self.ungradable += int(ungradable)
        self._clear()
        width = len(str(self.total))
        self._write(f"[{self.done:>{width}}/{self.total}] {line}\n")
        self.redraw()

    def message(self, line: str) -> None:
        self._clear()
        self._write(line + "\n")
        self.redraw()

    def close(self) -> None:
        self._clear()

"""Where the time of one grading goes: a timeline of phases, recorded by the parts that do the
work (session: workers and cells; plugin: checks; grading: short answers) and kept in
`SubmissionResult.timings` for TAs and `benchmarks/phases.py`. Recording is thread-safe: the
notebooks' workers start side by side."""
from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

from autograder.results import PhaseTime


class Timeline:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self._phases: list[PhaseTime] = []
        self._lock = threading.Lock()

    def add(self, phase: str, part: str, started: float, seconds: float, count: int = 1) -> None:
        """A phase that began at `started` (a perf_counter reading) and took `seconds` (in
        `count` pieces, e.g. calls)."""
        with self._lock:
            self._phases.append(PhaseTime(phase, part, round(seconds, 3), round(started - self.t0, 3), count))

    @contextlib.contextmanager
    def phase(self, phase: str, part: str = "") -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(phase, part, started, time.perf_counter() - started)

    def phases(self) -> list[PhaseTime]:
        with self._lock:
            return sorted(self._phases, key=lambda p: p.start_s)


class ReferenceLedger:
    """What this process spent computing references (the check library's `@reference` cache
    misses): a grading reads the entries added while its checks ran (`mark`, `since`)."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, float, float]] = []  # (name, perf_counter start, seconds)
        self._lock = threading.Lock()

    def add(self, name: str, started: float, seconds: float) -> None:
        with self._lock:
            self._entries.append((name, started, seconds))

    def mark(self) -> int:
        with self._lock:
            return len(self._entries)

    def since(self, mark: int) -> list[tuple[str, float, float]]:
        with self._lock:
            return list(self._entries[mark:])


REFERENCES = ReferenceLedger()

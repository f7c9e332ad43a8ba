"""References computed once per grading process, keyed by their inputs.

A reference (the grader's own model, its outputs on the grader's inputs, a balanced model to
plot) depends on what the check passes in, never on the student graded: `@reference` keeps each
result for the life of the process (a grade-all worker grades a whole share of the class), so
only the first submission pays for it. Every computation is recorded in the engine's ledger, so
a grading's timings say what its references cost (`SubmissionResult.timings`, phase
"references").

    @reference
    def reference_model(n_per_class: int, noise: float) -> torch.nn.Module: ...

Arguments must be hashable (numbers, strings, tuples); a result is shared by every later call,
so a check must not change it (use it under torch.no_grad(), copy before training).
"""
from __future__ import annotations

import functools
import inspect
import threading
import time
from typing import Any, Callable, TypeVar

from autograder.engine.timing import REFERENCES

F = TypeVar("F", bound=Callable[..., Any])


def reference(fn: F) -> F:
    results: dict[tuple, Any] = {}
    locks: dict[tuple, threading.Lock] = {}
    guard = threading.Lock()
    name = fn.__qualname__
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def cached(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)  # f(3) and f(n=3) are one reference
        bound.apply_defaults()
        key = tuple(bound.arguments.items())
        with guard:
            if key in results:
                return results[key]
            lock = locks.setdefault(key, threading.Lock())
        with lock:  # two threads asking for one reference compute it once
            if key not in results:
                started = time.perf_counter()
                value = fn(*args, **kwargs)
                REFERENCES.add(name, started, time.perf_counter() - started)
                with guard:
                    results[key] = value
        return results[key]

    cached.cache_clear = lambda: results.clear()  # type: ignore[attr-defined]
    return cached  # type: ignore[return-value]


def prefetch(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Start computing the `@reference` `fn(*args, **kwargs)` in a thread of its own and return
    at once: the grading process is idle while a worker runs the student's code (a training),
    and the check that needs the reference later waits only for what is left of it. A failure
    is not reported here: the later call computes it again and meets it."""

    def run() -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - raised again by the call that needs it
            pass

    # Not a daemon: a process that ends while this thread is inside torch aborts ("terminate called
    # without an active exception", exit -6) after its results are written; the exit waits for it.
    threading.Thread(target=run, name=f"reference {getattr(fn, '__qualname__', fn)}", daemon=False).start()

"""Calling student functions so that what they do to their inputs shows.

Inputs are put in the worker first (`Sandbox.put`), the function gets handles to them, and they
are read back after the call: a function that changes its input in place is caught, whatever
it returns. Functions that keep state between calls get one state object that lives in the
worker (`call_sequence`).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Sequence

import torch

from autograder.checks.values import same


@dataclass(frozen=True)
class Called:
    value: Any  # what the function returned
    changed: tuple[int, ...]  # positions (from 0) of the tensor arguments it changed in place

    @property
    def inputs_kept(self) -> bool:
        return not self.changed


def _put_tensors(box: Any, args: Sequence[Any]) -> list[Any]:
    return [box.put(a) if isinstance(a, torch.Tensor) else a for a in args]


def call_watching_inputs(box: Any, fn: str, *args: Any, **kwargs: Any) -> Called:
    """Call `fn` with every tensor argument put in the worker first; say which it changed."""
    sent = _put_tensors(box, args)
    value = box.call(fn, *sent, **kwargs)
    changed = tuple(i for i, (h, a) in enumerate(zip(sent, args))
                    if isinstance(a, torch.Tensor) and not same(box.get(h), a))
    return Called(value, changed)


def call_keeping_inputs(box: Any, fn: str, *tensors: torch.Tensor, **kwargs: Any) -> tuple[Any, bool]:
    """Call fn on tensors put in the worker; also say whether fn left them unchanged."""
    called = call_watching_inputs(box, fn, *tensors, **kwargs)
    return called.value, called.inputs_kept


def changed_message(what: str, called: Called, names: Sequence[str] = ()) -> str:
    which = ", ".join(names[i] if i < len(names) else f"argument {i + 1}" for i in called.changed)
    return (f"{what}: changed {which} in place; return a new tensor and leave the inputs as they were")


def call_sequence(box: Any, fn: str, first: torch.Tensor, others: Sequence[Sequence[Any]],
                  state: Any = None, **kwargs: Any) -> list[dict]:
    """Call `fn(x, *other, state, **kwargs)` once per entry of `others`, feeding each call the
    tensor the previous one returned, with ONE state object (default: an empty dict) that lives
    in the worker, so the student's own bookkeeping carries from call to call.

    Per call: {"value": what came back, "state": the state read back, "inputs_kept": bool}.
    The sequence stops early when a call returns something other than a tensor."""
    state_handle = box.put({} if state is None else state)
    x = first
    out = []
    for other in others:
        args = [x, *other]
        sent = _put_tensors(box, args)
        value = box.call(fn, *sent, state_handle, **kwargs)
        kept = all(same(box.get(h), a) for h, a in zip(sent, args) if isinstance(a, torch.Tensor))
        out.append({"value": value, "state": box.get(state_handle), "inputs_kept": kept})
        if not isinstance(value, torch.Tensor):
            break
        x = value
    return out


# -- helpers the grader defines in the worker --------------------------------------------------

_DEFINED: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()
HELPER_CELL = 0  # how a failing helper names its cell; students never write a cell 0


class HelperFailed(AssertionError):
    """The submission's process could not run a helper of the grader's (it broke Python or
    torch there): the check that needed it fails with this message."""


def worker_helper(box: Any, name: str, source: str) -> str:
    """Define `name` in the worker's namespace from the grader's `source` (once per worker) so
    that checks can call it like a student function: for what the sandbox has no operation for
    (a model in float64, torch's default dtype, stepping an optimizer a student built). The
    source is the grader's own, plain and public; `name` starts with `_autograder_` so that it
    does not shadow a student's name."""
    if not name.startswith("_autograder_"):
        raise ValueError(f"worker helper {name!r}: the name must start with _autograder_")
    done = _DEFINED.setdefault(box, set())
    if name not in done:
        report = box.run_cells([(HELPER_CELL, source)])
        if not report.ok:
            errors = "; ".join(f"{e.exc_type}: {e.message}" for e in report.errors) or "it did not run"
            raise HelperFailed(f"the grader could not prepare its own helper in your notebook's process ({errors}); "
                               "did your notebook change Python or torch?")
        done.add(name)
    return name

"""The common shape of a check, declared: call the student's function on the grader's inputs,
validate the reply, compare it with the grader's own value, and say what is wrong in words.

    judge(nb, "pick", m, shown="a float64 matrix of shape [5, 7]", names=("m",), returns=Tuple(
        Tensor(m[0, 2], name="element [0, 2]", wrong="the first value is not the element in row 0, column 2"),
        Tensor(m[:, 1], name="column 1", device=device, wrong="the second value is not column 1"),
        Tensor(m[1], name="row 1", device=device, wrong="the third value is not row 1")))

fails with messages such as "pick(a float64 matrix of shape [5, 7]), column 1: expected shape
[5], got [7]" or "pick(a float64 matrix of shape [5, 7]): the second value is not column 1", and
"pick(...): changed m in place; return a new tensor ..." when the function altered its input
(every tensor argument is put in the worker and read back after the call). It returns the validated
reply, so that a check can go on with rules of its own.

Every spec takes `known`: what known mistakes would reply to the same call (`Known(id, value)`,
autograder.checks.mistakes); a reply that fails the spec and is one of them fails with the same
message and the mistake's hint. `judge(..., raises=[KnownError(...)])` does the same for errors
the student's code raises.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch

from autograder.checks.calls import call_watching_inputs, changed_message
from autograder.checks.mistakes import Known, KnownError, known_errors, mistaken, recognise
from autograder.checks.values import close, expect_number, expect_tensor, expect_tuple, type_name

SAME = "same"  # a Tensor spec's dtype: the reference's


def _part(what: str, name: str) -> str:
    return f"{what}, {name}" if name else what


class _KnownMistakes:
    """What every spec shares: a failed judgement names the known mistake the reply shows."""

    known: Sequence[Known] = ()

    def judge(self, value: Any, what: str) -> Any:
        try:
            return self._judge(value, what)
        except AssertionError as e:
            raise mistaken(e, recognise(value, self.known)) from None


@dataclass(frozen=True)
class Tensor(_KnownMistakes):
    """A tensor of the reference's shape and dtype (unless given), on `device` when given,
    finite, and close to `ref` (when given) within rtol/atol, compared in float64 on the CPU."""

    ref: torch.Tensor | None = None
    name: str = ""
    shape: Sequence[int] | None = None
    dtype: Any = SAME
    device: str | None = None
    finite: bool = True
    rtol: float = 1e-5
    atol: float = 1e-6
    wrong: str = "the values are not right"
    known: Sequence[Known] = ()

    def _judge(self, value: Any, what: str) -> torch.Tensor:
        shape = self.shape if self.shape is not None else (None if self.ref is None else tuple(self.ref.shape))
        dtype = (None if self.ref is None else self.ref.dtype) if self.dtype is SAME else self.dtype
        t = expect_tensor(value, _part(what, self.name), shape=shape, dtype=dtype, device=self.device,
                          finite=self.finite)
        if self.ref is not None:
            assert close(t, self.ref, rtol=self.rtol, atol=self.atol), f"{what}: {self.wrong}"
        return t


@dataclass(frozen=True)
class Number(_KnownMistakes):
    """A Python float (an int too unless `integer` says which), within `tol` of `ref`."""

    ref: float | None = None
    name: str = ""
    tol: float = 1e-6
    integer: bool | None = None  # True: must be an int; False: must be a float; None: either
    wrong: str = "the value is not right"
    known: Sequence[Known] = ()

    def _judge(self, value: Any, what: str) -> float:
        where = _part(what, self.name)
        got = expect_number(value, where, allow_int=self.integer is not False)
        if self.integer:
            assert isinstance(value, int), f"{where}: expected an int, got a {type_name(value)}"
        if self.ref is not None:
            assert abs(got - self.ref) <= self.tol, f"{what}: {self.wrong}"
        return got


@dataclass(frozen=True)
class Equal(_KnownMistakes):
    """A plain value of `kind` (e.g. torch.Size, torch.dtype) equal to `ref`."""

    ref: Any
    kind: type
    name: str = ""
    wrong: str = "the value is not right"
    known: Sequence[Known] = ()

    def _judge(self, value: Any, what: str) -> Any:
        module = "" if self.kind.__module__ == "builtins" else self.kind.__module__ + "."
        assert isinstance(value, self.kind), (
            f"{_part(what, self.name)}: returned a {type_name(value)}, expected a {module}{self.kind.__name__}")
        assert value == self.ref, f"{what}: {self.wrong}"
        return value


@dataclass(frozen=True)
class Tuple(_KnownMistakes):
    """A tuple (or list) of exactly these parts, each judged by its own spec (`known`: mistakes
    seen in the whole reply, when no part's own known mistake is)."""

    parts: tuple
    known: Sequence[Known] = ()

    def __init__(self, *parts: Any, known: Sequence[Known] = ()) -> None:
        object.__setattr__(self, "parts", tuple(parts))
        object.__setattr__(self, "known", tuple(known))

    def _judge(self, value: Any, what: str) -> tuple:
        items = expect_tuple(value, what, len(self.parts))
        return tuple(spec.judge(v, what) for spec, v in zip(self.parts, items))


def judge(nb: Any, fn: str, *args: Any, returns: Any, shown: str = "", what: str = "",
          names: Sequence[str] = (), keep_inputs: bool = True, raises: Sequence[KnownError] = (),
          **kwargs: Any) -> Any:
    """Call `fn(*args, **kwargs)` in the worker, judge the reply with `returns` (a Tensor,
    Number, Equal or Tuple spec, or anything with `.judge(value, what)`), and require every
    tensor argument unchanged (unless keep_inputs=False). Messages begin with `fn(shown)`, or
    with `what` when given (the call as the student should read it); `names` name the
    arguments in the in-place message; `raises`: errors that are known mistakes for these inputs."""
    what = what or f"{fn}({shown})"
    with known_errors(*raises):
        called = call_watching_inputs(nb, fn, *args, **kwargs)
    result = returns.judge(called.value, what)
    if keep_inputs:
        assert called.inputs_kept, changed_message(what, called, names)
    return result

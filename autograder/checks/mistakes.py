"""Known mistakes, recognised from what the student's code returned.

A check that knows what a typical mistake would reply to its call computes that reply itself, on
the same inputs, and names it:

    Tensor(m64 @ v64, wrong="...", known=[Known("products_elementwise_for_matmul", m64 * v64)])

When the reply fails the spec but matches a known mistake's reply, the check fails with the same
message and the mistake's id (`KnownMistake`); the engine adds the mistake's hint from the
assignment's catalogue (grading/mistakes.toml) to the student's feedback. An error the student's
code raised can be known too (`KnownError`: its type and words, for inputs the check chose).

Only a reply that matches is named: a wrong hint is worse than none.
"""
from __future__ import annotations

import math
import numbers
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import torch

from autograder.checks.values import close
from autograder.engine.checks import KnownMistake
from autograder.sandbox import StudentError

ANY = object()  # in a Known value: this part of the reply may be anything


def matches(reply: Any, expected: Any, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Whether `reply` is `expected`: tensors of the same shape and close values (any dtype, any
    device), numbers close, sequences part by part (ANY matches anything), other values equal."""
    if expected is ANY:
        return True
    if isinstance(expected, torch.Tensor):
        return isinstance(reply, torch.Tensor) and tuple(reply.shape) == tuple(expected.shape) and (
            expected.is_floating_point() or reply.is_floating_point() or reply.dtype == expected.dtype
        ) and _finite_close(reply, expected, rtol, atol)
    if isinstance(expected, bool) or expected is None:
        return reply is expected
    if isinstance(expected, numbers.Number):
        return (isinstance(reply, numbers.Number) and not isinstance(reply, bool)
                and math.isclose(float(reply), float(expected), rel_tol=rtol, abs_tol=atol))
    if isinstance(expected, (tuple, list)):
        return (isinstance(reply, (tuple, list)) and len(reply) == len(expected)
                and all(matches(r, e, rtol, atol) for r, e in zip(reply, expected)))
    return type(reply) is type(expected) and reply == expected


def _finite_close(a: torch.Tensor, b: torch.Tensor, rtol: float, atol: float) -> bool:
    a, b = a.detach().cpu(), b.detach().cpu()
    if a.is_floating_point() and not bool(torch.isfinite(a).all()):
        return False
    return close(a, b, rtol=rtol, atol=atol)


@dataclass(frozen=True)
class Known:
    """A known mistake (`id` in the catalogue) and what it would reply to this call (`dtype`: the
    dtype(s) that reply has, when the mistake is a dtype)."""

    id: str
    value: Any
    rtol: float = 1e-4
    atol: float = 1e-5
    dtype: Any = None

    def seen_in(self, reply: Any) -> bool:
        if self.dtype is not None:
            dtypes = (self.dtype,) if isinstance(self.dtype, torch.dtype) else tuple(self.dtype)
            if not (isinstance(reply, torch.Tensor) and reply.dtype in dtypes):
                return False
        return matches(reply, self.value, self.rtol, self.atol)


@dataclass(frozen=True)
class KnownError:
    """A known mistake that makes the student's code raise: the exception's type and words that
    its message holds (all of them, case-insensitive)."""

    id: str
    exc_type: str
    says: tuple[str, ...] = ()

    def seen_in(self, error: StudentError) -> bool:
        text = (error.exc_message or "").lower()
        return error.exc_type == self.exc_type and all(s.lower() in text for s in self.says)


def recognise(reply: Any, known: Sequence[Known]) -> str:
    """The id of the first known mistake whose reply `reply` is ("" for none)."""
    return next((k.id for k in known if k.seen_in(reply)), "")


def mistaken(failure: AssertionError, mistake: str) -> AssertionError:
    """`failure` as it is, or the same failure naming the known mistake (when there is one)."""
    if not mistake or isinstance(failure, KnownMistake):
        return failure
    return KnownMistake(mistake, str(failure))


@contextmanager
def known_errors(*known: KnownError) -> Iterator[None]:
    """Inside it, an error the student's code raises that is a known mistake fails the check with
    the usual message and that mistake's hint."""
    try:
        yield
    except StudentError as e:
        hit = next((k.id for k in known if k.seen_in(e)), "")
        if not hit:
            raise
        raise KnownMistake(hit, str(e)) from None


__all__ = ["ANY", "Known", "KnownError", "KnownMistake", "known_errors", "matches", "mistaken", "recognise"]

"""What a check module imports: the `check` marker, the partial-credit fixture's type, and the
exception that fails a check with a known mistake's hint."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest


def check(grade_id: str, points: float, public: bool = False, tags: tuple[str, ...] = ()) -> Callable:
    """Mark a pytest test as a check worth `points` of the grade cell `grade_id`.

    Public checks mirror the notebook's own check cells and are also run by `autograder check`.
    The first line of the test's docstring is the check's name; it begins with the function
    it judges (e.g. "products: matrix-vector product").
    """
    if points <= 0:
        raise ValueError(f"check for {grade_id}: points must be positive")

    def mark(fn: Callable) -> Callable:
        if not (fn.__doc__ or "").strip():
            raise ValueError(f"{fn.__name__}: a check needs a docstring naming what it judges")
        return pytest.mark.check(grade_id=grade_id, points=float(points), public=public, tags=tuple(tags))(fn)

    return mark


def grader_only(fn: Callable) -> Callable:
    """Mark a helper of a public check that needs grader-only material (a reference model, a
    hidden seed): `autograder release` ships it as a stub returning None, so the public check
    must work without what it returns (e.g. a feedback picture). In the grader it runs as written."""
    fn.__grader_only__ = True
    return fn


class KnownMistake(AssertionError):
    """Fails the running check like `assert`, with `message`, and says which known mistake of the
    assignment's catalogue (grading/mistakes.toml) the reply shows: the student then reads its
    hint beside the message. Raise it only where the reply matches what that mistake produces."""

    def __init__(self, mistake: str, message: str) -> None:
        super().__init__(message)
        self.mistake = mistake


@dataclass
class Credit:
    """Partial credit for the running check: `credit.set(0.4, "median accuracy 0.78 ...")`.

    A check that never calls `set` and raises nothing earns full points. `details` is plain data
    for the reports (e.g. a decision-boundary picture); it is kept whatever the outcome.
    `mistake`: a known mistake the reply shows (its hint goes with the partial credit).
    """

    fraction: float = 1.0
    message: str = ""
    details: dict = field(default_factory=dict)
    mistake: str = ""

    def set(self, fraction: float, message: str, mistake: str = "") -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"credit fraction {fraction} outside [0, 1]")
        self.fraction = float(fraction)
        self.message = message
        self.mistake = mistake

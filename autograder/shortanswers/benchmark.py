"""Agreement of the automatic scores with hand-labelled answers, per split.

Each labelled answer is put into a small notebook (the question's prompt cell, then its answer
cell) and graded end to end with `grade_short_answers`, so extraction, copied-question detection
and scoring are all measured.

Data (tests/data/short_answers/):
- real.toml: real answers with their source, labelled by hand before any grading run. The split
  into a tuning part and a held-out part is `split_of(source)`: fixed by a hash of the source, so
  every answer of one write-up lands in the same part and nobody can move an answer after seeing
  its score.
- traps.toml: denials, keyword lists, copied prompts, off-topic essays, right words in wrong claims.
- labelled.toml / holdout.toml: the earlier, hand-written answers (kept as they were: the first
  was tuned on, the second not).
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..results import CheckResult, SubmissionResult
from .rubric import Rubric, load_rubric
from .grade import grade_short_answers

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "short_answers"
LABELLED = DATA / "labelled.toml"
RUBRIC = ROOT / "source" / "pytorch_basics" / "grading" / "rubrics.toml"

CLASS_ASSIGNMENT = "benchmark"  # the assignment name the labelled answers are graded under as a class
TUNING = "tuning"
HELD_OUT = "held-out"


def split_of(source: str) -> str:
    """The split of a real answer, from its source alone (3 in 5 sources tune, 2 in 5 are held out).
    Fixed before any tuning; changing it would let a rubric be fitted to held-out answers."""
    return TUNING if hashlib.sha256(source.encode("utf-8")).digest()[0] % 5 < 3 else HELD_OUT


@dataclass(frozen=True)
class Labelled:
    id: str
    grade_id: str
    kind: str  # origin (homework | public) for real answers; the trap or synthetic kind otherwise
    lang: str
    label: float
    text: str
    source: str = ""


@dataclass
class Row:
    id: str
    grade_id: str
    kind: str
    lang: str
    label: float
    auto: float
    flagged: bool
    confidence: float
    reasons: list[str] = field(default_factory=list)
    concepts: tuple[str, ...] = ()
    text: str = ""
    check: CheckResult | None = None  # the grader's record of this answer

    @property
    def diff(self) -> float:
        return self.auto - self.label


@dataclass
class Benchmark:
    rows: list[Row]
    name: str = ""

    @property
    def n(self) -> int:
        return len(self.rows)

    def _share(self, pred) -> float:
        return sum(1 for r in self.rows if pred(r)) / self.n if self.n else 0.0

    @property
    def exact(self) -> float:
        """Agreement within half a point (the issue's 'exact (±0.5)')."""
        return self._share(lambda r: abs(r.diff) <= 0.5 + 1e-9)

    @property
    def identical(self) -> float:
        return self._share(lambda r: abs(r.diff) < 1e-9)

    @property
    def within_half(self) -> float:
        return self.exact

    @property
    def within_one(self) -> float:
        return self._share(lambda r: abs(r.diff) <= 1 + 1e-9)

    @property
    def mean_bias(self) -> float:
        return sum(r.diff for r in self.rows) / self.n if self.n else 0.0

    @property
    def mean_abs_error(self) -> float:
        return sum(abs(r.diff) for r in self.rows) / self.n if self.n else 0.0

    @property
    def flagged_share(self) -> float:
        return self._share(lambda r: r.flagged)

    def as_class(self) -> list[SubmissionResult]:
        """The answers as one class: each answer the submission of a student named by its id."""
        return [SubmissionResult(CLASS_ASSIGNMENT, r.id, [r.check]) for r in self.rows if r.check is not None]

    def ta_actions(self) -> int:
        """TA actions the class needs with answer groups: the commands `autograder review list`
        prints for it (one per answer group waiting for a TA), counted by the same code."""
        from autograder.review.groups import class_review

        return len(class_review(self.as_class()).actions)

    def summary(self) -> str:
        wrong = [r for r in self.rows if abs(r.diff) > 0.5 + 1e-9]
        caught = sum(r.flagged for r in wrong)
        actions = self.ta_actions()
        return (
            f"{self.n} answers; exact (±0.5) {self.exact:.1%} (identical {self.identical:.1%}), "
            f"within 1 point {self.within_one:.1%}, mean bias {self.mean_bias:+.2f}, "
            f"mean abs error {self.mean_abs_error:.2f}; sent to a TA {self.flagged_share:.1%} "
            f"({sum(r.flagged for r in self.rows)}), of them off by more than 0.5: {caught}/{len(wrong)}; "
            f"TA actions with answer groups {actions} ({actions / self.n if self.n else 0:.2f} per answer)"
        )

    def table(self) -> str:
        lines = [f"{'id':28} {'kind':15} {'label':>5} {'auto':>5} {'conf':>5} flag"]
        for r in self.rows:
            mark = "" if abs(r.diff) <= 0.5 + 1e-9 else ("  <-- off by %+.1f" % r.diff)
            lines.append(f"{r.id:28} {r.kind:15} {r.label:5.1f} {r.auto:5.1f} {r.confidence:5.2f} "
                         f"{'F' if r.flagged else ' '}{mark}")
        return "\n".join(lines)


def load_labelled(path: str | Path = LABELLED) -> list[Labelled]:
    with open(path, "rb") as f:
        raw = tomllib.load(f)["answer"]
    return [Labelled(a["id"], a["grade_id"], a.get("kind") or a.get("origin", ""), a["lang"], float(a["score"]),
                     a["text"], a.get("source", "")) for a in raw]


def answer_notebook(rubric: Rubric, grade_id: str, text: str) -> dict:
    q = rubric.questions[grade_id]
    prompt = f"**{q.title}** (3 points)\n\n{q.title_zh}"
    return {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": prompt},
            {"cell_type": "markdown", "source": text, "metadata": {"nbgrader": {
                "grade": True, "solution": True, "locked": False, "grade_id": grade_id, "points": q.points,
            }}},
        ],
    }


def grade(answers: Iterable[Labelled], rubric: Rubric, name: str = "") -> Benchmark:
    rows = []
    for a in answers:
        nb = answer_notebook(rubric, a.grade_id, a.text)
        only = Rubric({a.grade_id: rubric.questions[a.grade_id]}, rubric.settings, rubric.source)
        (res,) = grade_short_answers(nb, only)
        d = res.details
        rows.append(Row(
            a.id, a.grade_id, a.kind, a.lang, a.label, res.points, res.flagged, d.get("confidence", 1.0),
            list(d.get("flag_reasons", [])), tuple(c["id"] for c in d.get("concepts_matched", [])), a.text, res,
        ))
    return Benchmark(rows, name)


def run(labelled: str | Path = LABELLED, rubric: Rubric | str | Path = RUBRIC) -> Benchmark:
    """Grade every answer of one labelled file."""
    if not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    return grade(load_labelled(labelled), rubric, Path(labelled).stem)


def real_splits(rubric: Rubric | str | Path = RUBRIC, path: str | Path = DATA / "real.toml") -> dict[str, Benchmark]:
    """The real answers, graded, as {held-out: ..., tuning: ...} (held-out first)."""
    if not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    answers = load_labelled(path)
    return {s: grade([a for a in answers if split_of(a.source) == s], rubric, s) for s in (HELD_OUT, TUNING)}


@dataclass(frozen=True)
class TrapReport:
    rows: Sequence[Row]

    def over(self, kinds: Sequence[str] = ("denial", "keywords"), cap: float = 1.0) -> list[Row]:
        return [r for r in self.rows if r.kind in kinds and r.auto > cap + 1e-9]

    def summary(self) -> str:
        by_kind: dict[str, list[float]] = {}
        for r in self.rows:
            by_kind.setdefault(r.kind, []).append(r.auto)
        parts = [f"{k} max {max(v):g} (n={len(v)})" for k, v in sorted(by_kind.items())]
        flagged = sum(r.flagged for r in self.rows)
        return f"traps: {'; '.join(parts)}; flagged {flagged}/{len(self.rows)}"


def traps(rubric: Rubric | str | Path = RUBRIC, path: str | Path = DATA / "traps.toml") -> TrapReport:
    return TrapReport(run(path, rubric).rows)


__all__ = [
    "Benchmark", "HELD_OUT", "Labelled", "Row", "TUNING", "TrapReport", "answer_notebook", "grade",
    "load_labelled", "real_splits", "run", "split_of", "traps",
]

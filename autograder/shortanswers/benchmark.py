"""Agreement of the automatic scores with a TA-labelled set of answers.

Each labelled answer is put into a small notebook (the question's prompt cell, then its answer
cell) and graded end to end with `grade_short_answers`, so extraction, copied-question detection
and scoring are all measured.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .rubric import Rubric, load_rubric
from .score import grade_short_answers

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "data" / "short_answers" / "labelled.toml"
RUBRIC = ROOT / "source" / "pytorch_basics" / "grading" / "rubrics.toml"


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

    @property
    def diff(self) -> float:
        return self.auto - self.label


@dataclass
class Benchmark:
    rows: list[Row]

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def exact(self) -> float:
        return sum(abs(r.diff) < 1e-9 for r in self.rows) / self.n

    @property
    def within_half(self) -> float:
        return sum(abs(r.diff) <= 0.5 + 1e-9 for r in self.rows) / self.n

    @property
    def within_one(self) -> float:
        return sum(abs(r.diff) <= 1 + 1e-9 for r in self.rows) / self.n

    @property
    def mean_abs_error(self) -> float:
        return sum(abs(r.diff) for r in self.rows) / self.n

    def summary(self) -> str:
        flagged = sum(r.flagged for r in self.rows)
        wrong_flagged = [r for r in self.rows if abs(r.diff) > 0.5]
        caught = sum(r.flagged for r in wrong_flagged)
        return (
            f"short answers: {self.n} labelled answers; exact agreement {self.exact:.1%}, "
            f"within 0.5 point {self.within_half:.1%}, within 1 point {self.within_one:.1%}, "
            f"mean absolute error {self.mean_abs_error:.2f}; flagged for review {flagged}/{self.n}; "
            f"answers off by more than 0.5 that were flagged {caught}/{len(wrong_flagged)}"
        )

    def table(self) -> str:
        lines = [f"{'id':32} {'label':>5} {'auto':>5} {'conf':>5} flag"]
        for r in self.rows:
            mark = "" if abs(r.diff) < 1e-9 else ("  <-- off by %+.1f" % r.diff)
            lines.append(f"{r.id:32} {r.label:5.1f} {r.auto:5.1f} {r.confidence:5.2f} {'F' if r.flagged else ' '}{mark}")
        return "\n".join(lines)


def load_labelled(path: str | Path = LABELLED) -> list[dict]:
    with open(path, "rb") as f:
        return tomllib.load(f)["answer"]


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


def run(labelled: str | Path = LABELLED, rubric: Rubric | str | Path = RUBRIC) -> Benchmark:
    if not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    rows = []
    for a in load_labelled(labelled):
        nb = answer_notebook(rubric, a["grade_id"], a["text"])
        only = Rubric({a["grade_id"]: rubric.questions[a["grade_id"]]}, rubric.settings, rubric.source)
        (res,) = grade_short_answers(nb, only)
        rows.append(Row(
            a["id"], a["grade_id"], a["kind"], a["lang"], float(a["score"]), res.points, res.flagged,
            res.details.get("confidence", 1.0), res.details.get("flag_reasons", []),
        ))
    return Benchmark(rows)

"""The review queue: flagged answers, one entry each, with the one command that settles it."""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from autograder.results import Status, SubmissionResult


class ReviewError(ValueError):
    """A review command could not be carried out; the message says why, for the user."""


def settle_command(assignment: str, student: str, grade_id: str, score: float | str,
                   options: Sequence[str] = ()) -> str:
    """The one command that settles a flagged answer. `options` find the gradebook again
    (`--results DIR`, `--db PATH`, ...), so that the TA's score lands where the next grade-all
    reads it."""
    score_s = f"{score:g}" if isinstance(score, (int, float)) else str(score)
    where = "".join(f" {shlex.quote(o)}" for o in options)
    return (f"autograder review set {shlex.quote(assignment)} {shlex.quote(student)} "
            f"{shlex.quote(grade_id)} {score_s} --comment \"...\"{where}")


@dataclass(frozen=True)
class QueueEntry:
    assignment: str
    student: str | None
    grade_id: str
    notebook: str
    question: str  # the check's name, e.g. "q3_vanishing_gradient: what is ...?"
    points: float
    max_points: float
    confidence: float | None
    reasons: tuple[str, ...]  # why it was flagged, in plain words
    covered: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    answer: str = ""
    options: tuple[str, ...] = ()  # how the settle command finds the gradebook

    @property
    def command(self) -> str:
        return settle_command(self.assignment, self.student or "STUDENT", self.grade_id, self.points, self.options)

    def render(self, number: int | None = None) -> str:
        head = f"[{number}] " if number is not None else ""
        conf = f", confidence {self.confidence:.2f}" if self.confidence is not None else ""
        lines = [
            f"{head}{self.student or '(unknown student)'} - {self.question}",
            f"    automatic score {self.points:g}/{self.max_points:g}{conf}",
            "    flagged because: " + ("; ".join(self.reasons) if self.reasons else "flagged by the grader"),
        ]
        if self.covered:
            lines.append("    covered: " + "; ".join(self.covered))
        if self.missing:
            lines.append("    missing: " + "; ".join(self.missing))
        if self.answer:
            ans = " ".join(self.answer.split())
            if len(ans) > 600:
                ans = ans[:599] + "…"
            lines.append(f"    answer: {ans}")
        lines.append(f"    settle it: {self.command}")
        return "\n".join(lines)


def _labels(items: Iterable[Any]) -> tuple[str, ...]:
    out = []
    for it in items or ():
        if isinstance(it, Mapping):
            out.append(str(it.get("en") or it.get("id")))
        else:
            out.append(str(it))
    return tuple(out)


def review_queue(results: Iterable[SubmissionResult], options: Sequence[str] = ()) -> list[QueueEntry]:
    """The flagged checks of these results, one entry each, sorted question by question (so that a
    TA grades one question across the class consistently), then by student."""
    entries = []
    for r in results:
        for c in r.checks:
            if not c.flagged:
                continue
            d = c.details or {}
            reasons = tuple(d.get("flag_reasons") or ())
            if not reasons:
                reasons = ("the grader could not judge this check",) if c.status == Status.ERROR else ("flagged by the grader",)
            entries.append(QueueEntry(
                assignment=r.assignment, student=r.student, grade_id=c.grade_id, notebook=c.notebook,
                question=c.name, points=c.points, max_points=c.max_points, confidence=d.get("confidence"),
                reasons=reasons, covered=_labels(d.get("concepts_matched")), missing=_labels(d.get("concepts_missed")),
                answer=str(d.get("answer_excerpt") or ""), options=tuple(options),
            ))
    entries.sort(key=lambda e: (e.assignment, e.grade_id, e.student or ""))
    return entries


def render_queue(entries: list[QueueEntry], assignment: str | None = None) -> str:
    what = f" of {assignment}" if assignment else ""
    if not entries:
        return f"No answers{what} are waiting for review."
    head = f"{len(entries)} answer(s){what} waiting for review. Settle each with the command shown " \
           "(change the score if you disagree, and say why in the comment):"
    return head + "\n\n" + "\n\n".join(e.render(i) for i, e in enumerate(entries, 1))


def load_results(source: str | Path | Iterable[Any]) -> list[SubmissionResult]:
    """SubmissionResults from a folder (every *.json below it that is a SubmissionResult), a file,
    or an iterable of SubmissionResult / dicts / paths."""
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.exists():
            raise ReviewError(f"no results at {p}")
        files = sorted(p.rglob("*.json")) if p.is_dir() else [p]
        out = []
        for f in files:
            try:
                d = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(d, dict) and "assignment" in d and "checks" in d:
                try:
                    out.append(SubmissionResult.from_dict(d))
                except (KeyError, TypeError, ValueError):
                    continue
        if not out:  # a wrong folder must not read as "nothing waits for review"
            raise ReviewError(f"{p} holds no grading results (no submission_result.json in it); give the folder "
                              "grade-all wrote (its --out)")
        return out
    out = []
    for item in source:
        if isinstance(item, SubmissionResult):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(SubmissionResult.from_dict(dict(item)))
        else:
            out.extend(load_results(item))
    return out

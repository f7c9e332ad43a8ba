"""The class summary page for TAs (never for students: it lists grader errors).

Built from the per-student records of a batch: the score distribution, each check's pass rate,
the review queue of flagged short answers with the one command that settles each, the answer
groups (similar answers a TA settles with one command per group), ungradable
submissions with their reasons, grader errors, the slowest submissions, and every student's
line with a link to their feedback page.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.reporters.html.env import render
from autograder.reporters.html.plots import histogram_bins
from autograder.results import LateRecord, Status, SubmissionResult


@dataclass
class StudentLine:
    student: str
    status: str  # graded, ungradable, missing
    total: float | None = None  # effective (with TA overrides)
    reason: str = ""
    wall_s: float = 0.0
    feedback: str | None = None  # link to the feedback page, relative to the summary page
    source: str = ""
    overridden: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()  # which file was graded where the submission held several
    name: str = ""  # as the submissions folder or LMS export has it
    lms_id: str | None = None
    late: bool = False  # marked late by the LMS
    submitted_at: str | None = None  # when known (nbgrader's timestamp)
    late_record: LateRecord | None = None  # against the deadline, when the assignment has one


@dataclass
class ReviewItem:
    student: str
    grade_id: str
    points: float  # the automatic score
    max_points: float
    reason: str = ""  # why it is flagged
    command: str = ""  # the one command that settles it
    answer: str = ""  # what the student wrote (this page is for TAs only)


@dataclass
class GroupAnswer:
    student: str
    answer: str  # what the student wrote (this page is for TAs only)
    waiting: bool = False  # waits for a TA
    ta_score: float | None = None  # a TA's score, when one was given


@dataclass
class GroupItem:
    """An answer group: similar answers to one question with the same automatic score, settled
    together by one command."""

    grade_id: str
    group_id: str
    question: str
    points: float  # the automatic score of each answer
    max_points: float
    representative: str  # the student whose answer the TA reads
    representative_text: str
    answers: list[GroupAnswer]
    reason: str = ""  # why it waits for a TA
    command: str = ""  # the one command that settles every answer of the group
    needs_action: bool = False


@dataclass
class ClassSummary:
    assignment: str
    max_total: float
    students: list[StudentLine]
    results: dict[str, SubmissionResult] = field(default_factory=dict)  # by student, graded or not
    review: list[ReviewItem] = field(default_factory=list)
    title: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # label -> relative link (CSV, gradebook)
    notes: list[str] = field(default_factory=list)  # about the run (discovery, skipped files)
    mistakes: list = field(default_factory=list)  # autograder.mistakes.MistakeCount, most frequent first
    similarity: Any = None  # autograder.similarity.SimilaritySummary (this page is staff-only)
    similarity_link: str = ""  # the full similarity report, relative to this page
    deadline: Any = None  # autograder.deadlines.LatePolicy, when the assignment has a deadline
    groups: list[GroupItem] = field(default_factory=list)  # answer groups (short answers)


def _check_rates(results: dict[str, SubmissionResult]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results.values():
        if not r.gradable:
            continue
        for c in r.checks:
            row = rows.setdefault((c.grade_id, c.name), {"grade_id": c.grade_id, "name": c.name, "n": 0, "passed": 0,
                                                         "errors": 0, "points": 0.0, "max": c.max_points,
                                                         "public": c.public})
            row["n"] += 1
            row["passed"] += c.status is Status.PASSED
            row["errors"] += c.status is Status.ERROR
            row["points"] += c.points
    out = []
    for row in rows.values():
        row["rate"] = round(100 * row["passed"] / row["n"], 1) if row["n"] else 0.0
        row["mean"] = row["points"] / row["n"] if row["n"] else 0.0
        out.append(row)
    return out


def summary_context(s: ClassSummary) -> dict[str, Any]:
    graded = [x for x in s.students if x.status == "graded"]
    ungradable = [x for x in s.students if x.status == "ungradable"]
    missing = [x for x in s.students if x.status == "missing"]
    totals = [x.total for x in graded if x.total is not None]
    stats = {}
    if totals:
        stats = {"mean": statistics.fmean(totals), "median": statistics.median(totals),
                 "min": min(totals), "max": max(totals),
                 "stdev": statistics.pstdev(totals) if len(totals) > 1 else 0.0}
    errors = []
    for student, r in sorted(s.results.items()):
        for e in r.grader_errors:
            first = e.strip().splitlines()[0] if e.strip() else "grader error"
            errors.append({"student": student, "first": first[:300], "text": e[-20000:]})
    timed = sorted((x for x in s.students if x.status != "missing"), key=lambda x: -x.wall_s)[:10]
    slowest = [{"student": x.student, "wall_s": x.wall_s,
                "execution_time_s": s.results[x.student].execution_time_s if x.student in s.results else 0.0}
               for x in timed]
    return {
        "assignment": s.assignment, "title": s.title or s.assignment, "max_total": s.max_total,
        "n": len(s.students), "n_graded": len(graded), "n_ungradable": len(ungradable), "n_missing": len(missing),
        "stats": stats, "hist": histogram_bins(totals, s.max_total, bins=10) if totals else [],
        "checks": _check_rates(s.results), "review": s.review, "ungradable": ungradable, "missing": missing,
        "errors": errors, "slowest": slowest, "students": sorted(s.students, key=lambda x: x.student),
        "outputs": s.outputs, "notes": s.notes, "mistakes": s.mistakes, "n_judged": len(graded),
        "similarity": s.similarity, "similarity_link": s.similarity_link, "deadline": s.deadline,
        "late": sorted((x for x in s.students if x.late_record is not None and x.late_record.status != "on_time"),
                       key=lambda x: (x.late_record.status != "late", -x.late_record.penalty, x.student)),
        "finals": {x.student: s.results[x.student].final_score for x in s.students if x.student in s.results},
        "group_actions": [g for g in s.groups if g.needs_action], "groups_settled": [g for g in s.groups if not g.needs_action],
    }


def render_summary(s: ClassSummary) -> str:
    return render("summary.html.j2", **summary_context(s))


def write_summary(s: ClassSummary, path: Path) -> Path:
    from autograder.files import atomic_write

    return atomic_write(path, render_summary(s))

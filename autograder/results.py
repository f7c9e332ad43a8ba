"""Result records: the one internal form every reporter reads.

One `CheckResult` per check (a pytest test of the assignment's check modules, or one
short-answer question); one `SubmissionResult` per graded submission. Reporters
(Gradescope, PrairieLearn, JUnit, gradebook, CSV, HTML) derive everything from these and
nothing else.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


NOT_GRADED = "not_graded"  # tag of a grade cell's placeholder record: nothing of that cell could be graded


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"  # the submission lost points (wrong, missing, crashed, timed out)
    ERROR = "error"  # the grader could not judge (grader fault); the TA must look


class Visibility(str, Enum):
    # The values Gradescope understands; the other reporters map them.
    VISIBLE = "visible"
    HIDDEN = "hidden"
    AFTER_DUE_DATE = "after_due_date"
    AFTER_PUBLISHED = "after_published"


@dataclass(frozen=True)
class CheckResult:
    name: str  # begins with the function or question it judges: "products: matrix-vector product"
    grade_id: str  # the nbgrader cell the points belong to
    notebook: str  # notebook stem, e.g. "01_tensor_ops"
    points: float
    max_points: float
    status: Status
    message: str = ""  # for the student: what was expected, in words; never hidden material
    visibility: Visibility = Visibility.VISIBLE
    tags: tuple[str, ...] = ()
    public: bool = False  # also run by `autograder check` and shown in the notebook
    duration_s: float = 0.0
    flagged: bool = False  # needs a TA's look (short answers)
    details: dict[str, Any] = field(default_factory=dict)  # plain data for reports (e.g. concepts)
    # A failed check whose reply is what a known mistake produces: the mistake's id in the
    # assignment's catalogue (grading/mistakes.toml) and its bilingual hint for the student
    # (the likely mistake and the concept to revisit, never the solution).
    mistake: str = ""
    hint: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.points <= self.max_points + 1e-9:
            raise ValueError(f"{self.name}: points {self.points} outside 0..{self.max_points}")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["status"] = self.status.value
        d["visibility"] = self.visibility.value
        d["tags"] = list(self.tags)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CheckResult":
        d = dict(d)
        d["status"] = Status(d["status"])
        d["visibility"] = Visibility(d["visibility"])
        d["tags"] = tuple(d.get("tags", ()))
        return cls(**d)


@dataclass(frozen=True)
class PhaseTime:
    """Where the time of one grading went, for TAs and benchmarks (never in a student's report).

    Phases overlap (the notebooks' workers run side by side, checks of one notebook run while
    another's cells still run), so `start_s` (from the grading's start) says when each began."""

    phase: str  # e.g. "worker start", "notebook cells", "checks", "student calls", "references"
    part: str = ""  # what it is about: a notebook stem, a grade id, a function
    seconds: float = 0.0
    start_s: float = 0.0
    count: int = 1  # how many times it happened (e.g. calls of one student function)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PhaseTime":
        return cls(str(d.get("phase", "")), str(d.get("part", "")), float(d.get("seconds", 0.0)),
                   float(d.get("start_s", 0.0)), int(d.get("count", 1)))


@dataclass(frozen=True)
class LateRecord:
    """When a submission came in against its deadline, and what that costs (autograder.deadlines).

    The raw score stays the checks' sum (`SubmissionResult.score`); `penalty` points come off it
    only in `SubmissionResult.final_score`, so every output can show raw, penalty and final apart."""

    status: str  # ON_TIME, LATE, UNKNOWN (no time recorded: no penalty computed) or WAIVED
    due: str  # the student's own deadline, extension included (ISO 8601 with its time zone)
    submitted_at: str | None = None  # ISO 8601, when known
    source: str = ""  # where the time comes from ("nbgrader timestamp.txt", "git commit", ...)
    extension: str = ""  # the extension that moved `due`, in words ("" none)
    late_by_s: float = 0.0  # seconds after `due`
    days: int = 0  # days or parts of a day late, as the policy counts them
    percent: float = 0.0  # of the points the policy takes
    penalty: float = 0.0  # points taken
    note: str = ""  # one sentence for the student and the TA

    ON_TIME, LATE, UNKNOWN, WAIVED = "on_time", "late", "unknown", "waived"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "LateRecord | None":
        return cls(**d) if isinstance(d, dict) else None


@dataclass
class SubmissionResult:
    assignment: str
    student: str | None
    checks: list[CheckResult] = field(default_factory=list)
    gradable: bool = True
    format_errors: list[str] = field(default_factory=list)  # what could not be graded (all or part), and why
    choices: list[str] = field(default_factory=list)  # which file was graded where there were several
    notes: list[str] = field(default_factory=list)  # student-facing remarks (skipped magics, ...)
    device: str = "cpu"
    execution_time_s: float = 0.0
    grader_errors: list[str] = field(default_factory=list)  # for TAs only, never the student
    grader_warnings: list[str] = field(default_factory=list)  # for TAs only: e.g. reduced isolation
    timings: list[PhaseTime] = field(default_factory=list)  # for TAs only: where the time went
    late: LateRecord | None = None  # the deadline and its penalty, when the course has a deadline

    @property
    def score(self) -> float:
        """The raw score: the checks' points, before any late penalty."""
        return round(sum(c.points for c in self.checks), 4)

    @property
    def penalty(self) -> float:
        return round(self.late.penalty, 4) if self.late is not None else 0.0

    @property
    def final_score(self) -> float:
        """The score that counts: the raw score less the late penalty (never below 0)."""
        return round(max(0.0, self.score - self.penalty), 4)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 4)

    def by_grade_id(self) -> dict[str, list[CheckResult]]:
        out: dict[str, list[CheckResult]] = {}
        for c in self.checks:
            out.setdefault(c.grade_id, []).append(c)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "student": self.student,
            "score": self.score,
            "max_score": self.max_score,
            "gradable": self.gradable,
            "format_errors": list(self.format_errors),
            "choices": list(self.choices),
            "notes": list(self.notes),
            "device": self.device,
            "execution_time_s": self.execution_time_s,
            "grader_errors": list(self.grader_errors),
            "grader_warnings": list(self.grader_warnings),
            "timings": [t.to_dict() for t in self.timings],
            "late": self.late.to_dict() if self.late is not None else None,
            "final_score": self.final_score,
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SubmissionResult":
        return cls(
            assignment=d["assignment"],
            student=d.get("student"),
            checks=[CheckResult.from_dict(c) for c in d.get("checks", [])],
            gradable=d.get("gradable", True),
            format_errors=list(d.get("format_errors", [])),
            choices=list(d.get("choices", [])),
            notes=list(d.get("notes", [])),
            device=d.get("device", "cpu"),
            execution_time_s=d.get("execution_time_s", 0.0),
            grader_errors=list(d.get("grader_errors", [])),
            grader_warnings=list(d.get("grader_warnings", [])),
            timings=[PhaseTime.from_dict(t) for t in d.get("timings", [])],
            late=LateRecord.from_dict(d.get("late")),
        )

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True)

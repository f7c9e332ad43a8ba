"""What a gradebook holds for an assignment: students, automatic and TA scores per grade cell."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from autograder.gradebook.schema import exists, open_gradebook
from autograder.gradebook.url import db_url_of


@dataclass(frozen=True)
class Override:
    """A TA's score of one grade cell (its manual score and comment in the gradebook)."""

    grade_id: str
    notebook: str
    score: float
    comment: str | None = None
    max_score: float | None = None


@dataclass(frozen=True)
class CellGrade:
    auto_score: float | None
    manual_score: float | None
    extra_credit: float | None
    max_score: float
    needs_manual_grade: bool
    notebook: str = ""
    manual_comment: str | None = None

    @property
    def overridden(self) -> bool:
        return self.manual_score is not None

    @property
    def score(self) -> float:
        """nbgrader's rule: manual score when set, else auto score; plus extra credit."""
        base = self.manual_score if self.manual_score is not None else (self.auto_score or 0.0)
        return round(base + (self.extra_credit or 0.0), 4)


@dataclass
class GradebookState:
    """What the gradebook holds for one assignment, by student and grade_id."""

    students: list[str] = field(default_factory=list)  # every student in the gradebook
    grades: dict[str, dict[str, CellGrade]] = field(default_factory=dict)  # submitted ones

    def overrides(self, student: str) -> dict[str, Override]:
        """The TA's scores of a student (grade_id -> Override), as `get_overrides` reads them
        one student at a time."""
        return {g: Override(grade_id=g, notebook=c.notebook, score=float(c.manual_score), comment=c.manual_comment,
                            max_score=c.max_score)
                for g, c in self.grades.get(student, {}).items() if c.overridden}


def state_of(gb, assignment: str, comment_cells: Mapping[str, str] | None = None) -> GradebookState:
    """The state of an open nbgrader Gradebook. `comment_cells` (grade id -> its solution cell,
    `schema.comment_cells`) finds the TA comments of code cells; without it, only answers' are read."""
    from nbgrader.api import MissingEntry

    state = GradebookState(students=sorted(s.id for s in gb.students))
    try:
        a = gb.find_assignment(assignment)
    except MissingEntry:
        return state
    for sub in a.submissions:
        cells: dict[str, CellGrade] = {}
        for snb in sub.notebooks:
            comments = {c.cell.name: c.manual_comment for c in snb.comments}
            for g in snb.grades:
                name = g.cell.name
                cells[name] = CellGrade(auto_score=g.auto_score, manual_score=g.manual_score,
                                        extra_credit=g.extra_credit, max_score=float(g.cell.max_score),
                                        needs_manual_grade=bool(g.needs_manual_grade), notebook=snb.notebook.name,
                                        manual_comment=comments.get((comment_cells or {}).get(name, name)))
        state.grades[sub.student.id] = cells
    return state


def read_gradebook(db: str | Path, assignment: str, comment_cells: Mapping[str, str] | None = None) -> GradebookState:
    """What the gradebook holds for `assignment` (a URL or a SQLite path); empty when there is
    no gradebook (nothing is created)."""
    url = db_url_of(db)
    if not exists(url):
        return GradebookState()
    gb = open_gradebook(url)
    try:
        return state_of(gb, assignment, comment_cells)
    finally:
        gb.close()


def get_overrides(db: str | Path, assignment: str, student: str,
                  comment_cells: Mapping[str, str] | None = None) -> dict[str, Override]:
    """Every TA score stored for one student's submission of an assignment, by grade id (none
    when there is no gradebook: nothing is created)."""
    return read_gradebook(db, assignment, comment_cells).overrides(student)

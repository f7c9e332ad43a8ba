"""TA scores given to a whole answer group: every member's manual score, plus a record of the
decision, so that a later grade-all can tell which members the group settled.

A settlement is stored in one transaction, in two forms:
- each member's score as its nbgrader manual score and comment, exactly what `set_override`
  stores for one answer: formgrader, `apply_overrides`, the CSVs and every regrade see it like a
  single override;
- the decision as the TA made it (`autograder_group_decision`: the group's automatic points,
  concepts, representative text and each member's answer fingerprint) and one mark per member
  (`autograder_group_member`: settled by which group, or fallen out of it).

A mark is `settled` while the member's score is the group's; `fell_out` once a later grade-all
found that the member's answer changed so that it no longer fits the group: its group score is
withdrawn (the automatic score counts again) and the answer waits for a TA, until a TA scores or
clears it, or settles a group holding it. A score a person changed afterwards (in formgrader) is
theirs, never withdrawn. Our two tables sit beside nbgrader's, made on first use; nbgrader and its
migrations leave tables they do not define alone.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from autograder.gradebook.overrides import _known
from autograder.gradebook.schema import exists, open_gradebook, submission_of
from autograder.gradebook.url import GradebookError, db_url_of

SETTLED, FELL_OUT = "settled", "fell_out"


def _tables():
    from sqlalchemy import Column, Float, MetaData, String, Table, Text

    meta = MetaData()
    decisions = Table(
        "autograder_group_decision", meta,
        Column("assignment", String(128), primary_key=True),
        Column("group_id", String(255), primary_key=True),
        Column("grade_id", String(128), nullable=False),
        Column("score", Float, nullable=False),
        Column("comment", Text),
        Column("automatic_points", Float, nullable=False),
        Column("concepts", Text, nullable=False),  # JSON list of ids
        Column("representative", String(128), nullable=False),
        Column("representative_text", Text, nullable=False),
        Column("members", Text, nullable=False),  # JSON [[student, answer fingerprint], ...]
    )
    marks = Table(
        "autograder_group_member", meta,
        Column("assignment", String(128), primary_key=True),
        Column("grade_id", String(128), primary_key=True),
        Column("student", String(128), primary_key=True),
        Column("group_id", String(255), nullable=False),
        Column("status", String(16), nullable=False),  # SETTLED or FELL_OUT
    )
    return meta, decisions, marks


@dataclass(frozen=True)
class GroupDecision:
    """One group settlement: the group as the TA saw it, and the score given to its members."""

    assignment: str
    group_id: str
    grade_id: str
    score: float
    comment: str | None
    automatic_points: float
    concepts: tuple[str, ...]
    representative: str
    representative_text: str
    members: tuple[tuple[str, str], ...]  # (student, fingerprint of the answer settled)


@dataclass(frozen=True)
class GroupMark:
    student: str
    grade_id: str
    group_id: str
    status: str  # SETTLED or FELL_OUT


@dataclass
class GroupRecords:
    """The group decisions of an assignment and each answer's mark, by (student, grade_id)."""

    decisions: dict[str, GroupDecision] = field(default_factory=dict)
    marks: dict[tuple[str, str], GroupMark] = field(default_factory=dict)

    def fell_out(self) -> set[tuple[str, str]]:
        return {k for k, m in self.marks.items() if m.status == FELL_OUT}

    def settled_by_group(self, student: str, grade_id: str, score: float | None) -> GroupDecision | None:
        """The decision whose score this answer holds, if its current TA score is the group's."""
        mark = self.marks.get((student, grade_id))
        d = self.decisions.get(mark.group_id) if mark is not None and mark.status == SETTLED else None
        return d if d is not None and score is not None and abs(score - d.score) < 1e-9 else None


@dataclass(frozen=True)
class GroupSettlement:
    decision: GroupDecision
    max_score: float
    settled: tuple[str, ...]  # members now holding the group's score
    kept: tuple[tuple[str, float], ...]  # members a TA scored on their own: (student, their score), untouched


def _ready(gb):
    meta, decisions, marks = _tables()
    meta.create_all(gb.engine, checkfirst=True)
    return decisions, marks


def _has_tables(gb) -> bool:
    from sqlalchemy import inspect

    return inspect(gb.engine).has_table("autograder_group_member")


def _records(gb, assignment: str) -> GroupRecords:
    from sqlalchemy import select

    out = GroupRecords()
    if not _has_tables(gb):
        return out
    _, decisions, marks = _tables()
    for row in gb.db.execute(select(decisions).where(decisions.c.assignment == assignment)).mappings():
        out.decisions[row["group_id"]] = GroupDecision(
            assignment, row["group_id"], row["grade_id"], float(row["score"]), row["comment"],
            float(row["automatic_points"]), tuple(json.loads(row["concepts"])), row["representative"],
            row["representative_text"], tuple((str(s), str(f)) for s, f in json.loads(row["members"])))
    for row in gb.db.execute(select(marks).where(marks.c.assignment == assignment)).mappings():
        out.marks[(row["student"], row["grade_id"])] = GroupMark(row["student"], row["grade_id"], row["group_id"],
                                                                 row["status"])
    return out


def read_group_records(db: str | Path, assignment: str) -> GroupRecords:
    """The group decisions and marks of an assignment; empty when there is no gradebook or no
    group was ever settled (nothing is created)."""
    url = db_url_of(db)
    if not exists(url):
        return GroupRecords()
    gb = open_gradebook(url)
    try:
        return _records(gb, assignment)
    finally:
        gb.close()


def _put_mark(gb, marks, assignment: str, student: str, grade_id: str, group_id: str | None, status: str = SETTLED):
    """Replace (or with group_id None, remove) one answer's mark."""
    from sqlalchemy import delete, insert

    gb.db.execute(delete(marks).where(marks.c.assignment == assignment, marks.c.grade_id == grade_id,
                                      marks.c.student == student))
    if group_id is not None:
        gb.db.execute(insert(marks).values(assignment=assignment, grade_id=grade_id, student=student,
                                           group_id=group_id, status=status))


def settle_members(db: str | Path, decision: GroupDecision) -> GroupSettlement:
    """Give every member of `decision` its score and comment (manual score and comment, as
    `set_override` does), except members a TA already scored on their own, and record the
    decision. Raises GradebookError (no gradebook, an unknown student or cell, a bad score)."""
    from sqlalchemy import delete, insert

    score = decision.score
    if not score >= 0:  # also NaN
        raise GradebookError(f"the score must be 0 or more, got {score:g}")
    gb = open_gradebook(db_url_of(db))
    try:
        decisions, marks = _ready(gb)
        records = _records(gb, decision.assignment)
        cells = [(s, *_known(gb, decision.assignment, s, decision.grade_id)) for s, _ in decision.members]
        mx = float(cells[0][1].max_score) if cells else 0.0
        if score > mx + 1e-9:
            raise GradebookError(f"the score {score:g} is above the {mx:g} points of {decision.grade_id}")
        settled, kept = [], []
        for student, _, notebook, sol in cells:
            submission_of(gb, decision.assignment, student)
            grade = gb.find_grade(decision.grade_id, notebook, decision.assignment, student)
            own = grade.manual_score is not None and records.settled_by_group(
                student, decision.grade_id, grade.manual_score) is None
            if own:
                kept.append((student, float(grade.manual_score)))
                continue
            grade.manual_score = score
            grade.needs_manual_grade = False
            gb.find_comment(sol, notebook, decision.assignment, student).manual_comment = decision.comment or None
            _put_mark(gb, marks, decision.assignment, student, decision.grade_id, decision.group_id)
            settled.append(student)
        kept_decision = dataclasses.replace(decision, members=tuple(m for m in decision.members if m[0] in settled))
        gb.db.execute(delete(decisions).where(decisions.c.assignment == decision.assignment,
                                              decisions.c.group_id == decision.group_id))
        if settled:
            d = kept_decision
            gb.db.execute(insert(decisions).values(
                assignment=d.assignment, group_id=d.group_id, grade_id=d.grade_id, score=d.score, comment=d.comment,
                automatic_points=d.automatic_points, concepts=json.dumps(list(d.concepts)),
                representative=d.representative, representative_text=d.representative_text,
                members=json.dumps([list(m) for m in d.members])))
        gb.db.commit()
        return GroupSettlement(kept_decision, mx, tuple(settled), tuple(kept))
    finally:
        gb.close()


def _withdraw(gb, assignment: str, student: str, grade_id: str, decision: GroupDecision | None) -> bool:
    """Remove a group's score from one answer when that answer still holds it (a person's later
    change is theirs). Returns whether a score was removed."""
    from nbgrader.api import MissingEntry

    _, notebook, sol = _known(gb, assignment, student, grade_id)
    try:
        grade = gb.find_grade(grade_id, notebook, assignment, student)
    except MissingEntry:
        return False
    if decision is None or grade.manual_score is None or abs(grade.manual_score - decision.score) > 1e-9:
        return False
    grade.manual_score = None
    comment = gb.find_comment(sol, notebook, assignment, student)
    if (comment.manual_comment or None) == (decision.comment or None):
        comment.manual_comment = None
    return True


def clear_group(db: str | Path, assignment: str, group_id: str) -> tuple[str, ...]:
    """Undo a group settlement: members still holding its score get their automatic score back,
    and the decision and its marks go. Returns the members whose score was removed."""
    from sqlalchemy import delete

    gb = open_gradebook(db_url_of(db))
    try:
        records = _records(gb, assignment)
        decision = records.decisions.get(group_id)
        if decision is None:
            known = sorted(records.decisions)
            raise GradebookError(f"no group decision {group_id!r} in {assignment} (settled groups: "
                                 f"{', '.join(known) or 'none'})")
        decisions, marks = _ready(gb)
        cleared = []
        for (student, grade_id), mark in sorted(records.marks.items()):
            if mark.group_id != group_id:
                continue
            if mark.status == SETTLED and _withdraw(gb, assignment, student, grade_id, decision):
                cleared.append(student)
            _put_mark(gb, marks, assignment, student, grade_id, None)
        gb.db.execute(delete(decisions).where(decisions.c.assignment == assignment, decisions.c.group_id == group_id))
        gb.db.commit()
        return tuple(cleared)
    finally:
        gb.close()


def forget_member(db: str | Path, assignment: str, student: str, grade_id: str) -> None:
    """A TA scored or cleared this answer on its own: no group decision speaks for it any more."""
    gb = open_gradebook(db_url_of(db))
    try:
        if not _has_tables(gb):
            return
        _, marks = _ready(gb)
        _put_mark(gb, marks, assignment, student, grade_id, None)
        gb.db.commit()
    finally:
        gb.close()


def withdraw_fallen(db: str | Path, assignment: str, fallen: Iterable[tuple[str, str]]) -> GroupRecords:
    """Mark these answers (student, grade_id) as fallen out of the group that settled them: the
    group's score is withdrawn where the answer still holds it. Every fallen-out answer is then
    marked as needing a manual grade (nbgrader's flag, which formgrader lists; a gradebook write
    resets it from the automatic flags). Returns the records as they now are."""
    url = db_url_of(db)
    if not exists(url):
        return GroupRecords()
    gb = open_gradebook(url)
    try:
        if not _has_tables(gb):
            return GroupRecords()
        _, marks = _ready(gb)
        records = _records(gb, assignment)
        for student, grade_id in sorted(set(fallen)):
            mark = records.marks.get((student, grade_id))
            if mark is None or mark.status != SETTLED:
                continue
            _withdraw(gb, assignment, student, grade_id, records.decisions.get(mark.group_id))
            _put_mark(gb, marks, assignment, student, grade_id, mark.group_id, FELL_OUT)
        gb.db.commit()
        records = _records(gb, assignment)
        for student, grade_id in sorted(records.fell_out()):
            _, notebook, _ = _known(gb, assignment, student, grade_id)
            grade = gb.find_grade(grade_id, notebook, assignment, student)
            if grade.manual_score is None:
                grade.needs_manual_grade = True
        gb.db.commit()
        return records
    finally:
        gb.close()


__all__ = ["FELL_OUT", "GroupDecision", "GroupMark", "GroupRecords", "GroupSettlement", "SETTLED", "clear_group",
           "forget_member", "read_group_records", "settle_members", "withdraw_fallen"]

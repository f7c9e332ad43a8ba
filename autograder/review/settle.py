"""Settling an answer group, and keeping settlements true to the answers they were made for.

- `settle_group`: `review settle-group`: the group is found among the class's groups as
  `class_review` makes them (the ids `review list` and the summary page print), and every member
  gets the TA's score (`autograder.gradebook.group_overrides`).
- `reconcile`: grade-all, after writing the automatic scores: an answer a group settled, whose
  current answer is no longer the one settled and no longer fits the group
  (`shortanswers.groups.still_covered`), falls out: its group score is withdrawn and it waits for
  a TA again. We chose both, not one: keeping the score would keep a TA's judgement of another
  text, and only flagging it would let that score count until a TA looks; so the automatic score
  counts and the answer is in the review queue.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Iterable

from autograder.gradebook.group_overrides import (SETTLED, GroupDecision, GroupRecords, GroupSettlement,
                                                  read_group_records, settle_members, withdraw_fallen)
from autograder.gradebook.reads import read_gradebook
from autograder.results import Status, SubmissionResult
from autograder.review.groups import GroupEntry, class_review, decision_group, member_of
from autograder.review.queue import ReviewError
from autograder.shortanswers.groups import GroupMember, still_covered


def find_group(groups: list[GroupEntry], group_id: str) -> GroupEntry:
    for g in groups:
        if g.group.id == group_id:
            return g
    ids = [g.group.id for g in groups if g.group.size > 1 or g.needs_action]
    near = difflib.get_close_matches(group_id, ids, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    raise ReviewError(f"no answer group {group_id!r} in these results{hint} (a group's id follows its answers: after a "
                      "regrade that changed them, `autograder review list` shows the current groups)")


def settle_group(db: str | Path, assignment: str, group_id: str, score: float | str, comment: str | None,
                 results: Iterable[SubmissionResult]) -> tuple[GroupEntry, GroupSettlement]:
    """Give the TA's score to every member of one answer group of the class (`results`: the
    class's automatic results). Members a TA scored on their own keep their score."""
    try:
        score = float(score)
    except (TypeError, ValueError):
        raise ReviewError(f"the score must be a number, got {score!r}") from None
    results = [r for r in results if r.assignment == assignment]
    review = class_review(results, read_gradebook(db, assignment), read_group_records(db, assignment))
    entry = find_group(review.groups, group_id)
    g = entry.group
    decision = GroupDecision(assignment, g.id, g.grade_id, score, comment or None, g.points, g.concepts,
                             g.representative, g.representative_text, g.fingerprints)
    return entry, settle_members(db, decision)


def reconcile(db: str | Path, assignment: str, results: Iterable[SubmissionResult]) -> GroupRecords:
    """Let every group-settled answer whose student's current answer no longer fits its group
    fall out (see the module docstring). A student with no current result, or none the grader
    could grade, is left alone.
    Returns the group records as they then are."""
    records = read_group_records(db, assignment)
    if not records.marks:
        return records
    # Only a graded answer can show that it changed: a submission the grader could not grade (its
    # grading process crashed, say) keeps its TA scores until a grading that worked.
    current: dict[str, SubmissionResult] = {r.student: r for r in results
                                            if r.assignment == assignment and r.student and r.gradable}
    fallen = []
    for (student, grade_id), mark in sorted(records.marks.items()):
        if mark.status != SETTLED or student not in current:
            continue
        check = current[student].by_grade_id().get(grade_id, [None])[0]
        if check is not None and check.status is Status.ERROR:
            continue
        member = member_of(student, check) if check is not None else GroupMember(student, "", 0.0)
        decision = records.decisions.get(mark.group_id)
        if decision is None or not still_covered(decision_group(decision), member):
            fallen.append((student, grade_id))
    if fallen or records.fell_out():
        records = withdraw_fallen(db, assignment, fallen)
    return records


__all__ = ["find_group", "reconcile", "settle_group"]

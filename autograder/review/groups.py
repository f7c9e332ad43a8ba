"""Answer groups of a class: every student's short answers grouped question by question
(`autograder.shortanswers.groups`), what the gradebook says about each member, and the one
command that settles each group.

    review = class_review(automatic_results, state, records, options, group_options)
    review.effective   # results with TA scores laid over, fallen-out answers flagged again
    review.entries     # the flagged answers, one QueueEntry each
    review.actions     # the groups a TA must settle: one command each

Groups are made from the automatic results only (points, concepts, flags as the grader gave
them), so a group's id depends on the answers alone: the same class gives the same ids on every
run, before and after any settlement. `review list`, the class summary page and the short-answer
benchmark's count of TA actions all come from `class_review`.

A group needs a TA action when a member waits for review (flagged by the grader, or fallen out
of the group that settled it), or when some members hold a group's score and others (answers
that came later) do not.
"""
from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from autograder.gradebook.group_overrides import GroupDecision, GroupRecords
from autograder.gradebook.overrides import apply_overrides
from autograder.gradebook.reads import GradebookState
from autograder.results import CheckResult, SubmissionResult
from autograder.review.queue import QueueEntry, review_queue
from autograder.shortanswers.feedback import REVIEW_NOTE
from autograder.shortanswers.groups import AnswerGroup, GroupMember, group_answers

ANSWERED = "answered"  # a short answer's details["answer_status"] when the student wrote one
FELL_OUT_REASON = ("the answer changed after its answer group {group} was settled, and no longer fits that group: "
                   "the group's score was withdrawn")
JOINED_REASON = "{n} answer(s) joined after the group was settled at {score:g}/{max:g}"


def settle_group_command(assignment: str, group_id: str, score: float, options: Sequence[str] = ()) -> str:
    """The one command that gives every member of a group the TA's score."""
    where = "".join(f" {shlex.quote(o)}" for o in options)
    return (f"autograder review settle-group {shlex.quote(assignment)} {shlex.quote(group_id)} {score:g} "
            f"--comment \"...\"{where}")


def member_of(student: str, check: CheckResult) -> GroupMember:
    """A check as an answer-group member: its automatic points, what the grader found (a short
    answer's concepts, and misconceptions marked with '!'), its flag, and its whole answer's
    fingerprint. (A flagged check of another kind has no concepts: it groups only with
    near-duplicates.)"""
    d = check.details or {}
    concepts = [str(c.get("id")) for c in d.get("concepts_matched") or () if isinstance(c, dict)]
    concepts += ["!" + str(m.get("id")) for m in d.get("misconceptions") or () if isinstance(m, dict)]
    return GroupMember(student, str(d.get("answer_excerpt") or ""), float(d.get("automatic_points", check.points)),
                       tuple(concepts), bool(check.flagged), str(d.get("answer_fingerprint") or ""))


def decision_group(d: GroupDecision) -> AnswerGroup:
    """The group as it was when the TA settled it (what `still_covered` compares with)."""
    return AnswerGroup(d.group_id, d.grade_id, d.automatic_points, d.concepts, d.representative,
                       d.representative_text, tuple(sorted(s for s, _ in d.members)), tuple(sorted(d.members)), False)


@dataclass(frozen=True)
class GroupEntry:
    assignment: str
    group: AnswerGroup
    max_points: float
    question: str  # the check's name, e.g. "q5_softmax: why use softmax?"
    answers: tuple[tuple[str, str], ...]  # (student, answer excerpt) of every member
    waiting: tuple[str, ...]  # members a TA has to look at
    scored: tuple[tuple[str, float], ...]  # members holding a TA score: (student, score)
    by_group: tuple[str, ...]  # those whose score a group settlement gave
    reasons: tuple[str, ...]  # why the group waits, in plain words
    entries: tuple[QueueEntry, ...]  # the flagged members, as the per-answer queue lists them
    score: float  # the score the printed command proposes: the group's earlier TA score, else the automatic one
    options: tuple[str, ...] = ()  # find the results and the gradebook again

    @property
    def needs_action(self) -> bool:
        return bool(self.waiting)

    @property
    def command(self) -> str:
        if self.group.size == 1 and self.entries:
            return self.entries[0].command
        return settle_group_command(self.assignment, self.group.id, self.score, self.options)

    def render(self, number: int | None = None) -> str:
        if self.group.size == 1 and self.entries:
            return self.entries[0].render(number)
        head = f"[{number}] " if number is not None else ""
        g = self.group
        scored = dict(self.scored)

        def label(s: str) -> str:
            out = s + ("*" if s in self.waiting else "")
            if s in scored:
                out += f" ({scored[s]:g}{' by the group' if s in self.by_group else ''})"
            return out

        marks = [label(s) for s in g.members]
        answer = " ".join(g.representative_text.split())
        lines = [f"{head}answer group {g.id} - {g.size} answers to {self.question}",
                 f"    automatic score {g.points:g}/{self.max_points:g} each",
                 "    waits because: " + ("; ".join(self.reasons) or "flagged by the grader"),
                 f"    representative ({g.representative}): {answer[:599] + '…' if len(answer) > 600 else answer}",
                 "    members (* waiting; TA scores in brackets): " + ", ".join(marks),
                 f"    settle the group: {self.command}"]
        return "\n".join(lines)


@dataclass
class ClassReview:
    effective: dict[str, SubmissionResult]  # by student
    entries: list[QueueEntry]  # flagged answers, one each
    groups: list[GroupEntry] = field(default_factory=list)  # every answer group, by question

    @property
    def actions(self) -> list[GroupEntry]:
        """What a TA must do: one command per group waiting for review."""
        return [g for g in self.groups if g.needs_action]


def _fell_out(check: CheckResult, group_id: str) -> CheckResult:
    d = dict(check.details)
    d["flag_reasons"] = [*(d.get("flag_reasons") or ()), FELL_OUT_REASON.format(group=group_id)]
    message = check.message if REVIEW_NOTE in check.message else f"{check.message}\n{REVIEW_NOTE}".strip()
    return dataclasses.replace(check, flagged=True, details=d, message=message)


def laid_over(result: SubmissionResult, state: GradebookState | None, records: GroupRecords | None) -> SubmissionResult:
    """A student's result as it counts: TA scores laid over the automatic ones, and each answer
    that fell out of its settled group flagged for review again."""
    student = result.student or ""
    out = apply_overrides(result, state.overrides(student) if state is not None and student else {})
    if records is None or not records.marks:
        return out
    fallen = {g: records.marks[(s, g)].group_id for s, g in records.fell_out() if s == student}
    if fallen:
        out.checks = [_fell_out(c, fallen[c.grade_id]) if c.grade_id in fallen else c for c in out.checks]
    return out


def class_review(results: Iterable[SubmissionResult], state: GradebookState | None = None,
                 records: GroupRecords | None = None, options: Sequence[str] = (),
                 group_options: Sequence[str] | None = None) -> ClassReview:
    """The review of a class from its automatic results (one per student; later duplicates of a
    student are ignored), the gradebook's TA scores and group records. `options` find the
    gradebook for `review set`, `group_options` (default: the same) the results and the gradebook
    for `review settle-group`."""
    automatic: dict[str, SubmissionResult] = {}
    for r in results:
        if r.student and r.student not in automatic:
            automatic[r.student] = r
    effective = {s: laid_over(r, state, records) for s, r in automatic.items()}
    entries = review_queue(effective.values(), options)
    queued = {(e.student, e.grade_id): e for e in entries}
    group_opts = tuple(options if group_options is None else group_options)
    members: dict[tuple[str, str], list[GroupMember]] = {}
    checks: dict[tuple[str, str], CheckResult] = {}
    for s, r in sorted(automatic.items()):
        counted = effective[s].by_grade_id()
        for c in r.checks:
            m = member_of(s, c)
            now = counted.get(c.grade_id, [c])[0]
            # unanswered cells are no one's business, unless they wait for a TA (an answer deleted after its group
            # was settled, a check the grader could not judge)
            if (c.details or {}).get("answer_status") == ANSWERED or now.flagged:
                members.setdefault((r.assignment, c.grade_id), []).append(m)
                checks[(s, c.grade_id)] = c
    groups = []
    for (assignment, gid), ms in sorted(members.items()):
        for g in group_answers(gid, ms):
            groups.append(_entry(assignment, g, checks, effective, queued, records, group_opts))
    return ClassReview(effective, entries, groups)


def _entry(assignment: str, g: AnswerGroup, checks: dict, effective: dict[str, SubmissionResult],
           queued: dict, records: GroupRecords | None, options: tuple[str, ...]) -> GroupEntry:
    first = checks[(g.members[0], g.grade_id)]
    scored, by_group, flagged, decisions = [], [], [], []
    for s in g.members:
        now = next((c for c in effective[s].checks if c.grade_id == g.grade_id), None)
        override = (now.details or {}).get("override") if now is not None else None
        if isinstance(override, dict):
            score = float(override["score"])
            scored.append((s, score))
            d = records.settled_by_group(s, g.grade_id, score) if records is not None else None
            if d is not None:
                by_group.append(s)
                decisions.append(d)
        if now is not None and now.flagged:
            flagged.append(s)
    pending = [s for s in g.members if s not in dict(scored)]
    late = [s for s in pending if s not in flagged] if by_group else []
    reasons = list(dict.fromkeys(r for s in flagged for r in queued[(s, g.grade_id)].reasons))
    scores = {d.score for d in decisions}
    if late:
        d = decisions[0]
        reasons.append(JOINED_REASON.format(n=len(late), score=d.score, max=first.max_points))
    return GroupEntry(
        assignment=assignment, group=g, max_points=first.max_points, question=first.name,
        answers=tuple((s, str((checks[(s, g.grade_id)].details or {}).get("answer_excerpt") or "")) for s in g.members),
        waiting=tuple(sorted({*flagged, *late})), scored=tuple(scored), by_group=tuple(by_group),
        reasons=tuple(reasons), entries=tuple(queued[(s, g.grade_id)] for s in flagged),
        score=scores.pop() if len(scores) == 1 else g.points, options=options)


__all__ = ["ClassReview", "FELL_OUT_REASON", "GroupEntry", "class_review", "decision_group", "laid_over",
           "member_of", "settle_group_command"]

"""Answer groups: similar answers to one question across a class, so that a TA reads one
representative and settles the whole group with one command.

    from autograder.shortanswers.groups import GroupMember, group_answers, still_covered
    members = [GroupMember(student, text, points, concepts, flagged) for ...]   # one question
    for g in group_answers("q5_softmax", members):
        g.representative, g.members, g.flagged          # what the TA reads, who it settles

Rules (deterministic: the same answers always give the same groups, ids and order):
- only answers with the same automatic points are ever grouped (a settlement gives one score);
- near-duplicates (character n-gram cosine >= `near_duplicate`) are grouped;
- answers with the same non-empty set of found concepts and misconceptions are grouped (an empty
  set says nothing about an answer's content, so those group only as near-duplicates);
- the representative is a flagged member if there is one (what the grader was unsure about), then
  the most typical member (highest mean similarity to the others), then the smallest key.

A settlement must not outlive the answer it was made for: `still_covered(group, member)` says
whether a member's current answer (after a resubmission) is still the one settled (same
fingerprint) or still fits the group (same points, and the same concepts or a near-duplicate of
the representative). An answer that does not falls out of the group and is graded on its own.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

from .similarity import cosine, cosine_matrix, ngrams, squash

NEAR_DUPLICATE = 0.85


@dataclass(frozen=True)
class GroupMember:
    key: str  # who: a student id (unique within one question)
    text: str
    points: float  # the automatic score
    concepts: tuple[str, ...] = ()  # ids of what the grader found: concepts and misconceptions
    flagged: bool = False
    digest: str = ""  # fingerprint of the whole answer when `text` is only an excerpt of it

    @property
    def answer_fingerprint(self) -> str:
        return self.digest or fingerprint(self.text)


@dataclass(frozen=True)
class AnswerGroup:
    id: str  # "<grade_id>/<10 hex>": from the group's signature and its representative's text
    grade_id: str
    points: float
    concepts: tuple[str, ...]  # the representative's, sorted
    representative: str  # key of the member the TA reads
    representative_text: str
    members: tuple[str, ...]  # keys, sorted; includes the representative
    fingerprints: tuple[tuple[str, str], ...]  # (key, fingerprint of the answer the group was made from)
    flagged: bool  # some member was flagged for review: the group needs a TA action

    @property
    def size(self) -> int:
        return len(self.members)

    def fingerprint_of(self, key: str) -> str | None:
        return dict(self.fingerprints).get(key)


def fingerprint(text: str) -> str:
    """Identifies an answer's content regardless of case, spacing and punctuation."""
    return hashlib.sha256(squash(text).encode("utf-8")).hexdigest()[:16]


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def group_answers(grade_id: str, members: Sequence[GroupMember], *,
                  near_duplicate: float = NEAR_DUPLICATE) -> list[AnswerGroup]:
    """Groups of one question's answers, largest first (then by id). Every member is in exactly
    one group; a member that resembles no other is a group of one."""
    ordered = sorted(members, key=lambda m: m.key)
    keys = [m.key for m in ordered]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{grade_id}: two answers share a key; keys must be unique within a question")
    vectors = [ngrams(m.text) for m in ordered]
    uf = _UnionFind(len(ordered))
    by_points: dict[float, list[int]] = {}
    for i, m in enumerate(ordered):
        by_points.setdefault(round(m.points * 2) / 2, []).append(i)
    for idx in by_points.values():
        by_sig: dict[frozenset, int] = {}
        for i in idx:
            sig = frozenset(ordered[i].concepts)
            if sig:
                if sig in by_sig:
                    uf.union(by_sig[sig], i)
                else:
                    by_sig[sig] = i
        if len(idx) > 1:
            near = cosine_matrix([vectors[i] for i in idx]) >= near_duplicate
            for a, b in zip(*near.nonzero()):
                if a < b:
                    uf.union(idx[a], idx[b])
    clusters: dict[int, list[int]] = {}
    for i in range(len(ordered)):
        clusters.setdefault(uf.find(i), []).append(i)
    groups = [_make_group(grade_id, [ordered[i] for i in c], [vectors[i] for i in c]) for c in clusters.values()]
    return sorted(groups, key=lambda g: (-g.size, g.id))


def _make_group(grade_id: str, members: list[GroupMember], vectors: list) -> AnswerGroup:
    sims = cosine_matrix(vectors).tolist() if len(members) > 1 else [[1.0]]

    def typicality(i: int) -> float:
        others = [sims[i][j] for j in range(len(members)) if j != i]  # summed in Python, in one order: the same everywhere
        return sum(others) / len(others) if others else 1.0

    best = min(range(len(members)), key=lambda i: (not members[i].flagged, -round(typicality(i), 9), members[i].key))
    rep = members[best]
    concepts = tuple(sorted(rep.concepts))
    sig = f"{grade_id}|{rep.points:g}|{','.join(concepts)}|{rep.answer_fingerprint}"
    return AnswerGroup(
        id=f"{grade_id}/{hashlib.sha256(sig.encode('utf-8')).hexdigest()[:10]}",
        grade_id=grade_id,
        points=rep.points,
        concepts=concepts,
        representative=rep.key,
        representative_text=rep.text,
        members=tuple(sorted(m.key for m in members)),
        fingerprints=tuple(sorted((m.key, m.answer_fingerprint) for m in members)),
        flagged=any(m.flagged for m in members),
    )


def fits(group: AnswerGroup, member: GroupMember, *, near_duplicate: float = NEAR_DUPLICATE) -> bool:
    """Would `member` be put in `group` today: same points, and the group's (non-empty) concept
    set or a near-duplicate of the representative."""
    if round(member.points * 2) != round(group.points * 2):
        return False
    if group.concepts and tuple(sorted(member.concepts)) == group.concepts:
        return True
    return cosine(ngrams(member.text), ngrams(group.representative_text)) >= near_duplicate


def still_covered(group: AnswerGroup, member: GroupMember, *, near_duplicate: float = NEAR_DUPLICATE) -> bool:
    """Does a settlement of `group` still apply to `member`'s current answer? Yes when the member
    belonged to the group and its answer is unchanged, or changed but still fits the group; a
    resubmitted answer that no longer fits falls out (its automatic score stands until a TA
    looks at it)."""
    old = group.fingerprint_of(member.key)
    if old is None:
        return False
    if old == member.answer_fingerprint:
        return True
    return fits(group, member, near_duplicate=near_duplicate)


__all__ = ["AnswerGroup", "GroupMember", "NEAR_DUPLICATE", "fingerprint", "fits", "group_answers", "still_covered"]

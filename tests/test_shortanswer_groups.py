"""Answer groups (autograder/shortanswers/groups.py): similar answers to one question across a
class, settled by a TA with one action per group."""
from __future__ import annotations

import random

import pytest

from autograder.shortanswers.groups import GroupMember, fingerprint, fits, group_answers, still_covered

Q = "q5_softmax"
PROB = "Softmax turns the logits into a probability distribution that sums to 1."


def member(key, text, points=2.0, concepts=("probability_distribution", "normalised"), flagged=False):
    return GroupMember(key, text, points, tuple(concepts), flagged)


CLASS = [
    member("s01", PROB),
    member("s02", PROB.replace("logits", "scores")),  # near-duplicate
    member("s03", "Softmax gives probabilities, they add up to one.", flagged=True),  # same concepts, same points
    member("s04", "It maps outputs to a probability distribution whose entries sum to one.", points=2.5),  # other score
    member("s05", "Softmax is used because it is nice.", points=0.0, concepts=()),
    member("s06", "No idea, I did not get to this question.", points=0.0, concepts=()),
    member("s07", "Softmax is used because it is nice!", points=0.0, concepts=()),  # near-duplicate of s05
]


def by_member(groups):
    return {k: g for g in groups for k in g.members}


def test_groups_near_duplicates_and_same_concepts_with_the_same_score():
    groups = group_answers(Q, CLASS)
    g = by_member(groups)
    assert g["s01"] is g["s02"] is g["s03"]
    assert g["s04"] is not g["s01"]  # same concepts, other score: a settlement gives one score
    assert g["s05"] is g["s07"]  # empty concept set: grouped as near-duplicates only
    assert g["s06"] is not g["s05"]
    assert sorted(k for grp in groups for k in grp.members) == sorted(m.key for m in CLASS)
    first = g["s01"]
    assert first.representative == "s03"  # the flagged member is what the TA reads
    assert first.flagged and first.size == 3 and first.points == 2.0
    assert first.id.startswith(f"{Q}/")


def test_groups_are_deterministic_whatever_the_order():
    a = group_answers(Q, CLASS)
    shuffled = CLASS[:]
    random.Random(4).shuffle(shuffled)
    b = group_answers(Q, shuffled)
    assert a == b
    assert [g.id for g in a] == [g.id for g in b]


def test_a_resubmission_that_no_longer_fits_falls_out():
    (g,) = [grp for grp in group_answers(Q, CLASS) if "s01" in grp.members]
    same = member("s01", PROB)
    reworded = member("s01", "Softmax makes a probability distribution; the outputs sum to one.")
    changed = member("s01", "Softmax exponentiates and normalises the logits, then cross-entropy trains it.", points=3.0,
                     concepts=("probability_distribution", "cross_entropy"))
    stranger = member("s99", PROB)
    assert still_covered(g, same)
    assert still_covered(g, reworded)  # changed, but same points and concepts: still fits
    assert not still_covered(g, changed)  # falls out: its own score stands
    assert not still_covered(g, stranger)  # was never settled with the group
    assert fits(g, stranger)  # ...although it would join it in a regrouping
    assert g.fingerprint_of("s01") == fingerprint(PROB) == fingerprint("  SOFTMAX turns the logits into a probability "
                                                                       "distribution, that sums to 1 ")


def test_keys_must_be_unique_within_a_question():
    with pytest.raises(ValueError, match="share a key"):
        group_answers(Q, [member("a", PROB), member("a", PROB)])


def test_a_class_settles_in_few_actions():
    """Near-copies are what a class writes: 200 answers built from 6 answers, lightly varied."""
    base = [m for m in CLASS[:5]] + [CLASS[5]]
    answers = []
    for i in range(200):
        b = base[i % len(base)]
        answers.append(GroupMember(f"s{i:03d}", b.text + (" " * (i % 3)) + ("." if i % 2 else ""), b.points,
                                   b.concepts, flagged=b.flagged))
    groups = group_answers(Q, answers)
    assert len(groups) <= 6
    assert sum(g.flagged for g in groups) <= 200 / 5

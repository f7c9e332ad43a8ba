"""Near-duplicate short answers, in English, Chinese or both.

An answer is normalised as the short-answer grader does (NFKC, lower case, Markdown stripped)
and cut into words, each Chinese character counting as a word (no segmenter is needed for
shingles). Its shingles are the runs of `k` consecutive words. Shingles of the question itself,
of the published key's answer and those used by many students are discounted, as fingerprints are
for code; what remains is compared as sets (Jaccard, and containment in each direction), so a
lightly reworded copy keeps most of its shingles while independent answers share few.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from autograder.shortanswers.text import CJK, normalize, strip_markdown

from .index import shared_counts

_WORD = re.compile(f"[{CJK}]|[^\\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(strip_markdown(text)))


def shingles(text: str, k: int) -> set[str]:
    w = words(text)
    if len(w) < k:
        return {" ".join(w)} if w else set()
    return {" ".join(w[i:i + k]) for i in range(len(w) - k + 1)}


@dataclass(frozen=True)
class AnswerMatch:
    grade_id: str
    jaccard: float
    a_in_b: float
    b_in_a: float
    shared: tuple[str, ...]  # the shared shingles (to mark them on the page)


def compare_answers(answers: Sequence[Mapping[str, str]], prompts: Mapping[str, str], key: Mapping[str, str],
                    k: int, min_shingles: int, max_df: int) -> dict[tuple[int, int], list[AnswerMatch]]:
    """{(i, j): one AnswerMatch per question both students answered alike}, for students i < j."""
    out: dict[tuple[int, int], list[AnswerMatch]] = {}
    questions = sorted({g for a in answers for g in a})
    for gid in questions:
        given = shingles(prompts.get(gid, ""), k) | shingles(key.get(gid, ""), k)
        sets = [shingles(a[gid], k) - given if gid in a else set() for a in answers]
        df: dict[str, int] = {}
        for s in sets:
            for sh in s:
                df[sh] = df.get(sh, 0) + 1
        common = {sh for sh, c in df.items() if c > max_df}
        sets = [s - common if len(s - common) >= min_shingles else set() for s in sets]
        for (i, j), n in shared_counts(sets, 1).items():
            a, b = sets[i], sets[j]
            out.setdefault((i, j), []).append(AnswerMatch(
                gid, n / len(a | b), n / len(a), n / len(b), tuple(sorted(a & b))))
    return out

"""Misspellings students really write, mended before matching: Sigmod, sigmiod, tahn, Adma,
soft max, drop-out, Relu (case is already gone after normalisation).

Only words the rubric declares as technical (`settings.technical_words`) are targets, so an
ordinary word is never "corrected" into a term (either -> neither). A word is mended when it is
one edit away (insert, delete, substitute, or swap two neighbours) from a target of 5 or more
letters, or one swap away from a 4-letter target; a plural s is kept. Two words joined by a
space or hyphen that spell a target are joined (soft-max -> softmax).
"""
from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-z][a-z0-9]*")


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance of exactly 1 (a != b)."""
    la, lb = len(a), len(b)
    if abs(la - lb) > 1 or a == b:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def _swap_only(a: str, b: str) -> bool:
    return len(a) == len(b) and _one_edit(a, b) and sorted(a) == sorted(b)


def _target_for(word: str, targets: frozenset[str]) -> str | None:
    if word in targets or len(word) < 4:
        return None
    for t in sorted(targets):
        if len(t) >= 5 and _one_edit(word, t):
            return t
        if len(t) == 4 and _swap_only(word, t):
            return t
    return None


@lru_cache(maxsize=64)
def _mender(targets: frozenset[str]):
    words = {t for t in targets if _WORD.fullmatch(t)}
    joined = re.compile(r"\b([a-z]+)[\s\-_]([a-z]+)\b")
    cache: dict[str, str] = {}

    def mend_word(m: re.Match) -> str:
        w = m.group(0)
        if w in words or (w.endswith("s") and w[:-1] in words):
            return w  # a technical word spelt right, or its plural ("logits" is no misspelling of "logit")
        if w not in cache:
            fix = _target_for(w, frozenset(words))
            if fix is None and w.endswith("s") and len(w) > 4:
                stem = _target_for(w[:-1], frozenset(words))
                fix = stem + "s" if stem else None
            cache[w] = fix or w
        return cache[w]

    def join(m: re.Match) -> str:
        both = m.group(1) + m.group(2)
        return both if both in words else m.group(0)

    def mend(text_norm: str) -> str:
        return _WORD.sub(mend_word, joined.sub(join, text_norm))

    return mend


def mend(text_norm: str, targets: frozenset[str]) -> str:
    """`text_norm` (already normalised, lower case) with misspelled technical words mended."""
    if not targets:
        return text_norm
    return _mender(targets)(text_norm)


__all__ = ["mend"]

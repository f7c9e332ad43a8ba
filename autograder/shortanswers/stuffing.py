"""Keyword stuffing: an answer that is a list of terms without the sentences that connect them.

`stuffing_features` measures the text (segments without function words, sentences that hold a term
and only filler words, share of connecting words, share of characters inside term matches); `judge_stuffing` decides, and says how
suspicious a text is when it is not clearly a list.
"""
from __future__ import annotations

import re

from .text import CJK, EN_FUNCTION_WORDS, cjk_chars, en_words, token_count
from .zh import function_word_count, has_function_word

_SEGMENT_SPLIT = re.compile(r"[,，、;；|\n]|[。!?](?:\s|$)|\.(?:\s|$)")
_SENTENCE_SPLIT = re.compile(r"[;；\n。!?！？]|\.(?:\s|$)")
_ARTICLE = re.compile(r"^(the|a|an|this|that|these|those|its|their|our|my|some|also)\s+")
# what a sentence that only carries a term is made of: "This is X.", "There is the Y.", "这是X。", "还有Z。"
_EN_FILLER = frozenset("there here also about answer thing things idea concept topic point keyword term word think "
                       "thought mention mentioned another next finally first second third lastly yes".split())
_ZH_FILLER = frozenset("这那是有还也我想到了和就个点词另外以及然后最后首先其次再")


def _pieces(norm: str, splitter: re.Pattern) -> list[tuple[str, int]]:
    """The pieces `splitter` cuts `norm` into, each with its offset (those with a letter or digit)."""
    out, pos = [], 0
    for piece in splitter.split(norm):
        at = norm.find(piece, pos)
        pos = at + len(piece)
        if re.search(rf"[a-z0-9{CJK}]", piece):
            out.append((piece, at))
    return out


def _bare(segment: str) -> bool:
    """A short segment without a connecting word: a list item ("the hierarchy" is one too)."""
    s = segment.strip(" -*+•·\t()[]:#`")
    return not has_function_word(_ARTICLE.sub("", s)) and len(en_words(s)) <= 5 and len(cjk_chars(s)) <= 8


def _frame(sentence: str, spans: list[tuple[int, int]], offset: int) -> str | None:
    """The sentence with its terms taken out ("softmax relates to _"), or None when it holds none."""
    inside = [(a - offset, b - offset) for a, b in spans if offset <= a < offset + len(sentence)]
    if not inside:
        return None
    rest = list(sentence)
    for a, b in inside:  # a term such as "non-linear*" matches the start of a word: the whole word goes
        while b < len(rest) and rest[b].isascii() and rest[b].isalnum():
            b += 1
        rest[a:b] = " " * (b - a)
    return " ".join("".join(rest).split())


def _empty(frame: str) -> bool:
    """Is a frame nothing but filler words ("this is _", "there is the _", "这是_")?"""
    words = [w for w in en_words(frame) if w not in EN_FUNCTION_WORDS and w not in _EN_FILLER]
    return not words and not [c for c in cjk_chars(frame) if c not in _ZH_FILLER]


def stuffing_features(norm: str, term_spans: list[tuple[int, int]]) -> dict[str, float]:
    segs = [s.strip(" -*+•·\t()[]:") for s in _SEGMENT_SPLIT.split(norm)]
    segs = [s for s in segs if re.search(rf"[a-z0-9{CJK}]", s)]
    # "the hierarchy, the abstraction, ..." is a list all the same
    bare = [s for s in segs if _bare(s)]
    sents = _pieces(norm, _SENTENCE_SPLIT)
    frames = [f for f in (_frame(t, term_spans, at) for t, at in sents) if f is not None]
    # the same sentence over and over with another term: "softmax relates to _." five times
    repeated = max((frames.count(f) for f in frames), default=0)
    empty = sum(map(_empty, frames))
    # the terms' places: "I don't know. softmax probability distribution cross-entropy" has every
    # term in a short run of words without one connecting word
    runs = [(at, at + len(t)) for t, at in _pieces(norm, _SEGMENT_SPLIT) if _bare(t)]
    terms_in_runs = sum(any(lo <= a and b <= hi for lo, hi in runs) for a, b in term_spans)
    fe, ne, fz, nz = function_word_count(norm)
    denom = ne + nz / 2
    func_ratio = (fe + fz) / denom if denom else 0.0
    # term density: share of word characters inside term matches
    covered = set()
    for a, b in term_spans:
        covered.update(range(a, b))
    wordish = [i for i, ch in enumerate(norm) if ch.isalnum()]
    density = (sum(1 for i in wordish if i in covered) / len(wordish)) if wordish else 0.0
    return {
        "segments": float(len(segs)),
        "bare_fraction": (len(bare) / len(segs)) if segs else 0.0,
        "function_ratio": func_ratio,
        "term_density": density,
        "tokens": float(token_count(norm)),
        "sentences": float(len(sents)),
        "empty_frames": float(empty),  # sentences holding a term and only filler ("This is X.")
        "repeated_frame": float(repeated),  # sentences that differ only in their term
        "terms": float(len(term_spans)),
        "terms_in_bare_runs": float(terms_in_runs),
    }


def judge_stuffing(f: dict[str, float], n_concepts: int) -> tuple[bool, float]:
    """(is stuffing, suspicion 0..1)."""
    list_like = f["segments"] >= 4 and f["bare_fraction"] >= 0.7
    terse = f["tokens"] >= 8 and f["function_ratio"] < 0.12
    dense = f["tokens"] >= 8 and f["term_density"] >= 0.6 and f["function_ratio"] < 0.25
    dressed = ((f["empty_frames"] >= 3 and f["empty_frames"] >= 0.6 * f["sentences"])
               or (f["repeated_frame"] >= 3 and f["repeated_frame"] >= 0.5 * f["sentences"]))
    all_bare = f["terms"] >= 3 and f["terms_in_bare_runs"] == f["terms"]
    stuffed = n_concepts >= 1 and (list_like or dressed or all_bare or (terse and f["term_density"] >= 0.35) or dense)
    suspicion = 0.0
    if f["segments"] >= 3:
        suspicion = max(suspicion, min(1.0, max(0.0, f["bare_fraction"] - 0.4) / 0.3))
    if f["tokens"] >= 8:
        suspicion = max(suspicion, min(1.0, max(0.0, 0.25 - f["function_ratio"]) / 0.13))
        if f["function_ratio"] < 0.3:  # dense in terms AND short of connecting words
            suspicion = max(suspicion, min(1.0, max(0.0, f["term_density"] - 0.4) / 0.2))
    return stuffed, (1.0 if stuffed else suspicion)


__all__ = ["judge_stuffing", "stuffing_features"]

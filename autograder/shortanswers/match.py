"""Finding a question's concepts and misconceptions in an answer.

`prepare(text, settings)` turns an answer into the text every matcher reads: what a reader of the
rendered cell sees (visible.py), normalised (lower case, half-width, n't -> not), traditional
characters as simplified ones, misspelled technical words mended. `find(question, prepared,
settings)` then looks for each concept one sentence at a time and keeps a match only when the
sentence does not say its opposite (negation.py) and the answer does not call it false (stance.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import spelling, zh
from .negation import Sentence
from .rubric_model import Question, Settings
from .stance import read_stance
from .text import normalize, sentences
from .visible import visible_text

MAX_CHARS = 20_000  # longer answers are graded on their beginning (a short answer is ~100-300 words)


def prepare(text: str, settings: Settings) -> str:
    norm = zh.to_simplified(normalize(visible_text(text[:MAX_CHARS])))
    return spelling.mend(norm, settings.technical_words)


@dataclass
class Found:
    concepts: dict[str, list[int]] = field(default_factory=dict)  # concept id -> sentence indexes
    negated: dict[str, list[int]] = field(default_factory=dict)  # concepts seen only in negated form
    misconceptions: dict[str, list[int]] = field(default_factory=dict)
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # (sentence, start, end) of term matches
    sentences: list[str] = field(default_factory=list)
    disowned: set[str] = field(default_factory=set)  # concepts seen in a clause the answer itself calls false
    asked: list[int] = field(default_factory=list)  # questions in which a concept was found
    doubts: list[int] = field(default_factory=list)  # verdicts on what the answer wrote above (stance.py)


def _overlapping(p: re.Pattern, text: str, limit: int = 24):
    """Matches of a pattern starting at every position, not only the leftmost non-overlapping ones:
    in "不泛化 ... 泛化不如 sgd" the negated first start must not hide the affirmed second one."""
    pos = 0
    for _ in range(limit):
        m = p.search(text, pos)
        if not m:
            return
        yield m
        pos = m.start() + 1


def _concept_hits(q: Question, s: Sentence, disowned=()) -> tuple[dict[str, bool], list[tuple[int, int]], set[str]]:
    """(concept id -> True when affirmed in this sentence, False when only negated or said inside a
    clause the answer disowns (`disowned`: stance.py); term spans; the concepts seen in a disowned
    clause)."""
    found: list[tuple[str, int, int, bool]] = []  # (concept, start, end, is a pattern)
    for c in q.concepts:
        for t in c.matcher.terms:
            for m in t.finditer(s.text):
                found.append((c.id, m.start(), m.end(), False))
        for p in c.matcher.patterns:
            for m in _overlapping(p, s.text):
                found.append((c.id, m.start(), m.end(), True))
    # cues that belong to a match ("not saturate", 不饱和, "does not suffer from vanishing")
    owned = {(a, b): s.owned_cues(a, b, pattern=pat) for _, a, b, pat in found}
    hits: dict[str, bool] = {}
    lost: set[str] = set()
    for cid, a, b, pat in found:
        if hits.get(cid):
            continue
        if any(lo <= a < hi for lo, hi in disowned):
            hits[cid] = False
            lost.add(cid)
            continue
        others = frozenset(c for span, cues in owned.items() if span != (a, b) for c in cues)
        hits[cid] = not s.negates(a, b, pattern=pat, owned=others)
    spans = [(a, b) for _, a, b, pat in found if not pat]
    return hits, spans, lost


# A short parenthetical aside, as students write them: "gradients (the derivatives of the loss with
# respect to the weights) become tiny". Read once more without it, so the aside does not keep apart
# the words a pattern relates, nor a negation from what it denies ("do not (as we saw) introduce").
# An aside holding a negation cue is never dropped (that would turn a denial into a claim).
_ASIDE = re.compile(r"\s*(\([^()]{1,120}\)|\[[^\[\]]{1,120}\])")


def _without_asides(text: str) -> str:
    return _ASIDE.sub(lambda m: m.group(0) if Sentence(m.group(0)).cues else "", text)


def _misconception_negated(sentence: str, start: int, end: int, negation: re.Pattern) -> bool:
    """A misconception's pattern is ignored when the rubric's `settings.negation` appears just
    before or inside its match ("sigmoid does NOT solve it" is no misconception)."""
    window = sentence[max(0, start - 24):end]
    return bool(negation.search(window))


def _misconception_in(m, readings: list[tuple[str, list[tuple[int, int]]]], settings: Settings) -> bool:
    """Is misconception `m` stated in the sentence? `readings`: (the sentence, its disowned
    clauses), then the same without its asides. `unless` is read in the whole sentence: an aside
    may be what cancels it; a misconception the answer itself calls false is not stated."""
    if any(u.search(readings[0][0]) for u in m.unless):
        return False
    for p in m.patterns:
        for t, disowned in readings:
            mm = p.search(t)
            if (mm and not any(lo <= mm.start() < hi for lo, hi in disowned)
                    and not (m.skip_if_negated and _misconception_negated(t, mm.start(), mm.end(), settings.negation))):
                return True
    return False


def find(q: Question, prepared: str, settings: Settings) -> Found:
    out = Found(sentences=sentences(prepared) or [prepared.strip()])
    stance = read_stance(out.sentences)
    out.doubts = sorted(stance.doubts)
    for si, text in enumerate(out.sentences):
        readings = [(text, stance.spans(si, text))]
        bare = _without_asides(text)
        if bare != text:
            readings.append((bare, stance.spans(si, bare)))
        hits, spans, lost = _concept_hits(q, Sentence(text), readings[0][1])
        out.spans += [(si, a, b) for a, b in spans]
        for t, disowned in readings[1:]:  # a concept both readings see is affirmed only if neither denies it
            more, _, also_lost = _concept_hits(q, Sentence(t), disowned)
            lost |= also_lost
            for cid, affirmed in more.items():
                hits[cid] = affirmed and hits.get(cid, True)
        out.disowned |= lost
        if si in stance.questions and any(hits.values()):
            out.asked.append(si)
        for cid, affirmed in hits.items():
            (out.concepts if affirmed else out.negated).setdefault(cid, []).append(si)
        for m in q.misconceptions:
            if _misconception_in(m, readings, settings):
                out.misconceptions.setdefault(m.id, []).append(si)
    for cid in out.concepts:
        out.negated.pop(cid, None)
    out.disowned -= set(out.concepts)  # affirmed elsewhere in the answer: nothing was lost
    return out


__all__ = ["Found", "MAX_CHARS", "find", "prepare"]

"""Scoring one short answer against its rubric question.

Points: the covered concepts' points (a concept the answer only denies earns nothing), summed and
capped at the question's points; at most `max_without_core` when no core concept is covered;
minus misconception penalties (and their caps); at most `settings.stuffing_cap` for a list of
terms; rounded to half points. Empty, placeholder and copied-question answers get 0 and are not
flagged.

Confidence (0..1) says how likely a TA is to agree. It drops when on-topic sentences cover no
concept (a paraphrase the rubric may not know), a concept was found only in negated form (a
denial, or a contrast the grader may misread), a misconception was matched, the text looks half
like a term list, the core cap was applied, the answer was found outside its cell, or the text is
neither English nor Chinese. An answer goes to a TA when a misconception was matched, it was
judged keyword stuffing, its confidence is below `settings.low_confidence`, or its score lies in
`settings.review_band` (a share of the question's points) with confidence below
`settings.review_confidence`: only the answers the grader is genuinely unsure about.

A second opinion (examples.py): when the confidence is below `settings.review_confidence`, the
labelled example answers most like this one vote, and their weighted score may raise the points by
at most `settings.examples_raise` (never for a denial, a misconception or a list of terms).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from . import extract as ex
from .examples import Estimate, estimate
from .match import find, prepare
from .negation import Sentence
from .rubric_model import Question, Settings
from .similarity import ngrams
from .stance import HEDGE
from .stuffing import judge_stuffing, stuffing_features
from .text import CJK, cjk_chars, en_words, mixed_script
from .visible import hidden_letters, odd_markup


# a text at least this suspicious of being a list of terms gets no second opinion: to n-grams,
# a list of the right words looks like a good answer
LIST_SUSPICION = 0.5


@dataclass(frozen=True)
class AnswerScore:
    points: float
    max_points: float
    matched: tuple[str, ...]  # concept ids, rubric order
    missed: tuple[str, ...]
    misconceptions: tuple[str, ...]  # misconception ids
    confidence: float
    flagged: bool
    flag_reasons: tuple[str, ...]  # plain words, for the TA
    stuffing: bool = False
    raw_points: float = 0.0  # sum of covered concept points before caps
    core_capped: bool = False
    status: str = ex.ANSWERED
    negated: tuple[str, ...] = ()  # concepts the answer mentions only to deny them
    similar: Estimate | None = None  # what the most similar labelled examples scored (asked only when unsure)
    raised: float = 0.0  # points the similar examples added


def _half(x: float) -> float:
    return math.floor(x * 2 + 0.5 + 1e-9) / 2


def _capped_by_aspect(q: Question, matched) -> float:
    """The covered concepts' points, each aspect counting at most its `max_points`."""
    by_aspect: dict[str, float] = {}
    for c in matched:
        by_aspect[c.aspect] = by_aspect.get(c.aspect, 0.0) + c.points
    total = 0.0
    for aid, pts in by_aspect.items():
        a = q.aspect(aid)
        total += min(pts, a.max_points) if a is not None and a.max_points is not None else pts
    return total


REMARK_CHARS = 40  # a tail this short after the last concept may be "Lol no.", "👎", "0/10", "才怪。"
# a tail that takes back what came before: a rating near nothing, sarcasm, a lying or capped face
_RATING = re.compile(r"\b([01])\s*/\s*(5|10)\b|\b0\s*/\s*100\b")  # "Accuracy of the above: 0/10"
_LAUGH = re.compile(r"\b(lol|lmao|jk|/s|nah)\b")  # in a short tail only: "Took me a while to get this lol" is no verdict
_RETRACTING_EMOJI = re.compile("[\U0001f643\U0001f644\U0001f921\U0001f925\U0001f9e2]")  # 🙃 🙄 🤡 🤥 🧢


def closing_remark(hits, prepared: str) -> str:
    """What follows the last sentence that holds a concept, when it is short and reads as a verdict
    on it: a negation ("Fact check: ✗" reads "fact check: not", "👎" reads "not"), a rating near
    nothing ("0/10"), sarcasm ("lol", "🙃"). Sign-offs ("以上。", "Thanks!", "😊", a citation, a date)
    and hedges ("不一定对", "not 100% sure") are not."""
    found = [si for where in (*hits.concepts.values(), *hits.negated.values()) for si in where]
    if not found:
        return ""
    last = hits.sentences[max(found)]
    at = prepared.rfind(last)
    tail = prepared[at + len(last):] if at >= 0 else ""
    tail = " ".join(tail.split()).strip(" .。!！;；,，")
    if not tail or len(tail) > REMARK_CHARS or HEDGE.search(tail):
        return ""
    verdict = len(tail) <= 16 and (Sentence(tail).cues or _LAUGH.search(tail))
    return tail if verdict or _RATING.search(tail) or _RETRACTING_EMOJI.search(tail) else ""


def _concept_points(q: Question, concepts) -> float:
    """What these concepts earn together: aspect caps, the question's points, the core cap."""
    pts = min(q.points, _capped_by_aspect(q, concepts))
    if q.core and q.max_without_core is not None and not any(c.id in q.core for c in concepts):
        pts = min(pts, q.max_without_core)
    return pts


def unanswered(q: Question, status: str) -> AnswerScore:
    return AnswerScore(0.0, q.points, (), tuple(c.id for c in q.concepts), (), 1.0, False, (), status=status)


def score_text(text: str, q: Question, settings: Settings, *, found: str = ex.FOUND_CELL) -> AnswerScore:
    """Score an answer's text (already extracted: no placeholder, no copied question)."""
    prepared = prepare(text, settings)
    hidden, odd = hidden_letters(text), odd_markup(text)
    if not re.search(rf"[a-z0-9{CJK}]", prepared):
        if hidden >= HIDDEN_LETTERS:  # all of it hidden: no answer a reader sees, and a TA should know why
            return replace(unanswered(q, ex.EMPTY), flagged=True, flag_reasons=(_hidden_reason(hidden),))
        return unanswered(q, ex.EMPTY)
    hits = find(q, prepared, settings)
    voided = {v for m in q.misconceptions if m.id in hits.misconceptions for v in m.voids}
    matched = [c for c in q.concepts if c.id in hits.concepts and c.id not in voided]
    raw = sum(c.points for c in matched)
    pts = _concept_points(q, matched)
    core_capped = pts < min(q.points, _capped_by_aspect(q, matched))
    for m in q.misconceptions:
        if m.id in hits.misconceptions:
            pts -= m.penalty
            if m.max_score is not None:
                pts = min(pts, m.max_score)
    spans = [m.span() for c in q.concepts for t in c.matcher.terms for m in t.finditer(prepared)]
    stuffed, suspicion = judge_stuffing(stuffing_features(prepared, spans), len(matched))
    # every concept it has, it only asks about ("Why is softmax a distribution used with cross-entropy?")
    only_asked = bool(matched) and all(set(hits.concepts[c.id]) <= set(hits.asked) for c in matched)
    if stuffed or only_asked:
        pts = min(pts, settings.stuffing_cap)
    pts = min(q.points, max(0.0, _half(max(0.0, pts))))
    negated = tuple(c.id for c in q.concepts if c.id in hits.negated and c not in matched)

    conf, reasons = _confidence(q, settings, hits, prepared, pts, raw, negated, stuffed, suspicion, core_capped, found)
    lo, hi = (q.points * settings.review_band[0], q.points * settings.review_band[1])
    in_band = lo - 1e-9 <= pts <= hi + 1e-9
    for m in q.misconceptions:
        if m.id in hits.misconceptions:
            reasons.append(f"it states a misconception: {m.en}")
    if stuffed:
        reasons.append("it reads like a list of terms without explanation (keyword stuffing); score capped")
    if only_asked:
        reasons.append("it asks about the concepts rather than stating them; score capped")
    # a concept the answer disowned goes to a TA only when its score is lower for it ("Myth: ... – wrong,
    # ..." often disowns a side point the student rightly rejects while the rest scores in full)
    disowned = [c for c in q.concepts if c.id in hits.disowned and c.id not in voided]
    lost_points = bool(disowned) and _concept_points(q, matched + disowned) > _concept_points(q, matched)
    if lost_points:
        reasons.append(f"it calls what it says of {len(hits.disowned)} concept(s) false, a myth or wrong (or answers it "
                       "\"no\"), so they earned nothing: check what it claims")
    if hidden >= HIDDEN_LETTERS:
        reasons.append(_hidden_reason(hidden))
    if odd:
        reasons.append(f"it holds HTML that may hide text ({', '.join(odd)}): check what the rendered cell shows")
    disguised = mixed_script(text)
    remark = (closing_remark(hits, prepared) or "; ".join(hits.sentences[i] for i in hits.doubts)
              or "".join(_RETRACTING_EMOJI.findall(prepared[:8])))  # "🙃🙃🙃 Softmax turns ..."
    if remark:
        reasons.append(f"it has a remark that may take back what it says (\"{remark}\"): check it")
    if disguised:
        reasons.append("a word in it mixes Latin letters with another alphabet's (a disguised word?)")
    if negated and in_band:
        reasons.append(f"it denies a concept and its score {pts:g}/{q.points:g} is in the review band")
    if core_capped:
        reasons.append("it covers side points but none of the question's core concepts")
    unsure_band = in_band and conf < settings.review_confidence
    if unsure_band:
        reasons.append(f"the score {pts:g}/{q.points:g} is in the review band and the grader is unsure ({conf:.2f})")
    elif conf < settings.low_confidence:
        reasons.append(f"the grader's confidence is low ({conf:.2f})")
    flagged = (bool(hits.misconceptions) or stuffed or only_asked or lost_points or hidden >= HIDDEN_LETTERS
               or bool(odd) or disguised or bool(remark) or (bool(negated) and in_band) or unsure_band
               or conf < settings.low_confidence)
    similar, raised = _second_opinion(q, settings, prepared, pts, conf,
                                      stuffed or only_asked or suspicion >= LIST_SUSPICION, negated or hits.disowned,
                                      hits.misconceptions)

    return AnswerScore(
        points=pts + raised,
        max_points=q.points,
        matched=tuple(c.id for c in matched),
        missed=tuple(c.id for c in q.concepts if c not in matched),
        misconceptions=tuple(m.id for m in q.misconceptions if m.id in hits.misconceptions),
        confidence=conf,
        flagged=flagged,
        flag_reasons=tuple(dict.fromkeys(reasons)) if flagged else (),
        stuffing=stuffed,
        raw_points=raw,
        core_capped=core_capped,
        negated=negated,
        similar=similar,
        raised=raised,
    )


HIDDEN_LETTERS = 20  # letters a reader does not see before the answer goes to a TA


def _hidden_reason(hidden: int) -> str:
    return (f"it holds {hidden} letters a reader of the notebook does not see (an HTML comment, hidden or "
            "struck-out text, a link comment); they were not graded")


def _second_opinion(q, settings, prepared, pts, conf, stuffed, negated, misconceptions) -> tuple[Estimate | None, float]:
    """(what the most similar examples scored, the points they add). Asked only when the grader
    is unsure (confidence below settings.review_confidence: often a correct paraphrase the rubric
    does not know); an answer that denies a concept, states a misconception or lists terms is
    never raised (to n-grams a denial looks like the answer it denies). The raise is at most
    settings.examples_raise, on the half-point grid. Whether the answer goes to a TA was decided
    on the rubric's evidence above and does not change."""
    if not q.examples or conf >= settings.review_confidence or stuffed or negated or misconceptions:
        return None, 0.0
    est = estimate(ngrams(prepared), q.examples, settings.examples_k)
    if est is None:
        return None, 0.0
    target = min(q.points, math.floor((pts + settings.examples_raise) * 2 + 1e-9) / 2, _half(est.score))
    return est, max(0.0, target - pts)


def _confidence(q, settings, hits, prepared, pts, raw, negated, stuffed, suspicion, core_capped, found):
    conf = 0.95
    reasons: list[str] = []
    sents = hits.sentences
    content = [(si, s) for si, s in enumerate(sents) if len(en_words(s)) >= 4 or len(cjk_chars(s)) >= 6]
    explained = ({si for where in hits.concepts.values() for si in where}
                 | {si for where in hits.misconceptions.values() for si in where})
    unexplained = [s for si, s in content if si not in explained and any(t.search(s) for t in q.topic)]
    if pts < q.points and content:
        frac = len(unexplained) / len(content)
        conf -= 0.5 * frac
        if unexplained and frac >= 0.5:
            reasons.append(f"{len(unexplained)} of {len(content)} sentences are on topic but match no rubric concept "
                           "(maybe a correct paraphrase)")
    if negated:
        conf -= 0.15
        reasons.append(f"it mentions {len(negated)} concept(s) only in negated form (a denial, or a contrast "
                       "the grader may misread)")
    if hits.misconceptions:
        conf -= 0.25
    if not stuffed:
        conf -= 0.3 * suspicion
    if found != ex.FOUND_CELL:
        conf -= 0.1
    if core_capped:
        conf -= 0.1
    n_en, n_zh = len(en_words(prepared)), len(cjk_chars(prepared))
    letters = sum(1 for ch in prepared if ch.isalpha())
    if letters >= 10 and (n_en * 4 + n_zh) < 0.3 * letters:
        conf -= 0.5
        reasons.append("the text is mostly neither English nor Chinese")
    if pts == q.points and raw >= q.points + 1:
        conf += 0.05
    return round(min(1.0, max(0.0, conf)), 2), reasons


def score_answer(ans: ex.ExtractedAnswer, q: Question, settings: Settings) -> AnswerScore:
    if ans.status != ex.ANSWERED:
        return unanswered(q, ans.status)
    return score_text(ans.text, q, settings, found=ans.found)


__all__ = ["AnswerScore", "score_answer", "score_text", "unanswered"]

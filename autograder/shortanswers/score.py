"""Scoring short answers against the rubric, and the one entry point `grade_short_answers`.

Points: the covered concepts' points, summed and capped at the question's points; at most
`max_without_core` when no core concept is covered; minus misconception penalties (and their caps);
at most `settings.stuffing_cap` for a list of terms; rounded to half points. Empty, placeholder
and copied-question answers get 0 and are not flagged.

Confidence (0..1) says how likely a TA is to agree with the automatic score. It starts at 0.95 and
drops when: on-topic sentences cover no concept (a paraphrase the rubric may not know: the more of
the answer is like that, the lower, when the score is below full marks), a misconception was
matched (patterns can misread a sentence), the text looks half like a term list, the answer was
found outside its cell, the core cap was applied, or the text is neither English nor Chinese.
An answer is flagged for review when its score is in settings.review_band, its confidence is below
settings.low_confidence, a misconception was matched, or it was judged keyword stuffing.

Feedback names concepts by their labels and misconceptions by their corrections; it never
contains a term list, a pattern or a regex of the rubric.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..results import CheckResult, Status, Visibility
from . import extract as ex
from .rubric import Question, Rubric, Settings, load_rubric
from .text import (
    CJK, cjk_chars, en_words, function_word_count, has_function_word, normalize, sentences,
    token_count,
)

NOTEBOOK = "03_activations_and_optimizers"
MAX_CHARS = 20_000  # longer answers are graded on their beginning (a short answer is ~100-300 words)


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


# ---------------------------------------------------------------------------------------------
# matching


def _negated(sentence: str, start: int, end: int, negation: re.Pattern) -> bool:
    window = sentence[max(0, start - 24):end]
    return bool(negation.search(window))


def _match_concepts(q: Question, norm: str, sents: list[str]) -> tuple[dict[str, list[int]], list[tuple[int, int]]]:
    """Concept id -> indexes of the sentences where it was found (-1: found by a term across
    sentences); and the character spans of term matches in `norm` (for term density)."""
    found: dict[str, list[int]] = {}
    spans: list[tuple[int, int]] = []
    for c in q.concepts:
        where: list[int] = []
        for t in c.matcher.terms:
            for m in t.finditer(norm):
                spans.append(m.span())
        for si, s in enumerate(sents):
            if any(t.search(s) for t in c.matcher.terms) or any(p.search(s) for p in c.matcher.patterns):
                where.append(si)
        if not where and any(t.search(norm) for t in c.matcher.terms):
            where.append(-1)
        if where:
            found[c.id] = where
    return found, spans


def _match_misconceptions(q: Question, sents: list[str], settings: Settings) -> dict[str, list[int]]:
    hits: dict[str, list[int]] = {}
    for m in q.misconceptions:
        for si, s in enumerate(sents):
            if any(u.search(s) for u in m.unless):
                continue
            for p in m.patterns:
                mm = p.search(s)
                if mm and not (m.skip_if_negated and _negated(s, mm.start(), mm.end(), settings.negation)):
                    hits.setdefault(m.id, []).append(si)
                    break
    return hits


# ---------------------------------------------------------------------------------------------
# keyword stuffing

_SEGMENT_SPLIT = re.compile(r"[,，、;；/|\n]|[。!?](?:\s|$)|\.(?:\s|$)")


def stuffing_features(norm: str, term_spans: list[tuple[int, int]]) -> dict[str, float]:
    segs = [s.strip(" -*+•·\t()[]:") for s in _SEGMENT_SPLIT.split(norm)]
    segs = [s for s in segs if re.search(rf"[a-z0-9{CJK}]", s)]
    bare = [s for s in segs if not has_function_word(s) and len(en_words(s)) <= 5 and len(cjk_chars(s)) <= 8]
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
    }


def judge_stuffing(f: dict[str, float], n_concepts: int) -> tuple[bool, float]:
    """(is stuffing, suspicion 0..1)."""
    list_like = f["segments"] >= 4 and f["bare_fraction"] >= 0.7
    terse = f["tokens"] >= 8 and f["function_ratio"] < 0.12
    dense = f["tokens"] >= 8 and f["term_density"] >= 0.6 and f["function_ratio"] < 0.25
    stuffed = n_concepts >= 1 and (list_like or (terse and f["term_density"] >= 0.35) or dense)
    suspicion = 0.0
    if f["segments"] >= 3:
        suspicion = max(suspicion, min(1.0, max(0.0, f["bare_fraction"] - 0.4) / 0.3))
    if f["tokens"] >= 8:
        suspicion = max(suspicion, min(1.0, max(0.0, 0.25 - f["function_ratio"]) / 0.13))
        if f["function_ratio"] < 0.3:  # dense in terms AND short of connecting words
            suspicion = max(suspicion, min(1.0, max(0.0, f["term_density"] - 0.4) / 0.2))
    return stuffed, (1.0 if stuffed else suspicion)


# ---------------------------------------------------------------------------------------------


def _half(x: float) -> float:
    return math.floor(x * 2 + 0.5 + 1e-9) / 2


def score_text(text: str, q: Question, settings: Settings, *, found: str = ex.FOUND_CELL) -> AnswerScore:
    """Score an answer's text (already extracted: no placeholder, no copied question)."""
    norm = normalize(text[:MAX_CHARS])
    if not re.search(rf"[a-z0-9{CJK}]", norm):
        return AnswerScore(0.0, q.points, (), tuple(c.id for c in q.concepts), (), 1.0, False, (), status=ex.EMPTY)
    sents = sentences(norm) or [norm.strip()]
    found_c, spans = _match_concepts(q, norm, sents)
    miscs = _match_misconceptions(q, sents, settings)
    voided = {v for m in q.misconceptions if m.id in miscs for v in m.voids}
    matched = [c for c in q.concepts if c.id in found_c and c.id not in voided]
    raw = sum(c.points for c in matched)
    pts = min(q.points, raw)
    core_capped = False
    if q.core and q.max_without_core is not None and not any(c.id in q.core for c in matched):
        if pts > q.max_without_core:
            core_capped = True
        pts = min(pts, q.max_without_core)
    for m in q.misconceptions:
        if m.id in miscs:
            pts -= m.penalty
            if m.max_score is not None:
                pts = min(pts, m.max_score)
    pts = max(0.0, pts)
    feats = stuffing_features(norm, spans)
    stuffed, suspicion = judge_stuffing(feats, len(matched))
    if stuffed:
        pts = min(pts, settings.stuffing_cap)
    pts = min(q.points, max(0.0, _half(pts)))

    # confidence
    conf = 0.95
    content = [
        (si, s) for si, s in enumerate(sents)
        if len(en_words(s)) >= 4 or len(cjk_chars(s)) >= 6
    ]
    explained = {si for where in found_c.values() for si in where} | {si for where in miscs.values() for si in where}
    on_topic_unexplained = [
        s for si, s in content if si not in explained and any(t.search(s) for t in q.topic)
    ]
    reasons: list[str] = []
    if pts < q.points and content:
        frac = len(on_topic_unexplained) / len(content)
        conf -= 0.5 * frac
        if on_topic_unexplained and frac >= 0.5:
            reasons.append(
                f"{len(on_topic_unexplained)} of {len(content)} sentences are on topic but match no rubric concept "
                "(maybe a correct paraphrase)"
            )
    if miscs:
        conf -= 0.25
    if not stuffed:
        conf -= 0.3 * suspicion
    if found != ex.FOUND_CELL:
        conf -= 0.1
    if core_capped:
        conf -= 0.1
    n_en, n_zh = len(en_words(norm)), len(cjk_chars(norm))
    letters = sum(1 for ch in norm if ch.isalpha())
    if letters >= 10 and (n_en * 4 + n_zh) < 0.3 * letters:
        conf -= 0.5
        reasons.append("the text is mostly neither English nor Chinese")
    if pts == q.points and raw >= q.points + 1:
        conf += 0.05
    conf = round(min(1.0, max(0.0, conf)), 2)

    lo, hi = settings.review_band
    for m in q.misconceptions:
        if m.id in miscs:
            reasons.append(f"it states a misconception: {m.en}")
    if stuffed:
        reasons.append("it reads like a list of terms without explanation (keyword stuffing); score capped")
    if lo <= pts <= hi:
        reasons.append(f"the score {pts:g}/{q.points:g} is in the middle band {lo:g}-{hi:g}")
    if conf < settings.low_confidence:
        reasons.append(f"the grader's confidence is low ({conf:.2f})")
    if core_capped:
        reasons.append("it covers side points but none of the question's core concepts")
    flagged = bool(miscs) or stuffed or (lo <= pts <= hi) or conf < settings.low_confidence

    return AnswerScore(
        points=pts,
        max_points=q.points,
        matched=tuple(c.id for c in matched),
        missed=tuple(c.id for c in q.concepts if c not in matched),
        misconceptions=tuple(m.id for m in q.misconceptions if m.id in miscs),
        confidence=conf,
        flagged=flagged,
        flag_reasons=tuple(dict.fromkeys(reasons)) if flagged else (),
        stuffing=stuffed,
        raw_points=raw,
        core_capped=core_capped,
    )


# ---------------------------------------------------------------------------------------------
# feedback and records


def _check_name(q: Question) -> str:
    t = q.title
    if len(t) > 1 and t[0].isupper() and t[1].islower():
        t = t[0].lower() + t[1:]
    return f"{q.grade_id}: {t}"


def feedback_message(q: Question, s: AnswerScore, ans: ex.ExtractedAnswer | None = None) -> str:
    by_id = {c.id: c for c in q.concepts}
    lines = [f"{s.points:g}/{q.points:g} points. / 得分 {s.points:g}/{q.points:g}。"]
    if s.status != ex.ANSWERED:
        pass
    else:
        if s.matched:
            lines.append("Covered / 已涵盖:")
            lines += [f"  + {by_id[i].label}" for i in s.matched]
        else:
            lines.append("None of the points this question asks for were found in your answer. / 答案中没有找到本题要求的要点。")
        if s.missed and s.points < q.points:
            lines.append("Missing / 缺少:")
            lines += [f"  - {by_id[i].label}" for i in s.missed]
        elif s.missed:
            lines.append("You could also mention / 还可以提到:")
            lines += [f"  - {by_id[i].label}" for i in s.missed]
        mis = {m.id: m for m in q.misconceptions}
        for mid in s.misconceptions:
            lines.append(f"Check this / 请注意: {mis[mid].label}")
        if s.stuffing:
            lines.append(
                "Your answer reads like a list of terms; explain in sentences how they answer the question "
                "(a list earns at most a little credit). / 答案像是术语罗列；请用完整的句子解释它们如何回答问题（罗列术语只能得少量分数）。"
            )
        elif s.core_capped:
            lines.append(
                "Your answer mentions related points but not the main one the question asks about. / 答案提到了相关内容，但没有回答本题的核心问题。"
            )
        if s.flagged:
            lines.append("A TA will review this answer; the score may change. / 助教会复核此题，分数可能调整。")
    if ans is not None:
        lines += list(ans.notes)
    return "\n".join(lines)


def _excerpt(text: str, n: int = 1200) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n - 1] + "…"


def check_result(q: Question, ans: ex.ExtractedAnswer, s: AnswerScore, notebook: str = NOTEBOOK) -> CheckResult:
    by_id = {c.id: c for c in q.concepts}
    mis = {m.id: m for m in q.misconceptions}
    details: dict[str, Any] = {
        "kind": "short_answer",
        "answer_status": ans.status,
        "answer_source": ans.found,
        "concepts_matched": [{"id": i, "en": by_id[i].en, "zh": by_id[i].zh, "points": by_id[i].points} for i in s.matched],
        "concepts_missed": [{"id": i, "en": by_id[i].en, "zh": by_id[i].zh, "points": by_id[i].points} for i in s.missed],
        "misconceptions": [{"id": i, "en": mis[i].en, "zh": mis[i].zh} for i in s.misconceptions],
        "confidence": s.confidence,
        "flag_reasons": list(s.flag_reasons),
        "stuffing": s.stuffing,
        "raw_points": s.raw_points,
        "automatic_points": s.points,
        "answer_excerpt": _excerpt(ans.text or ans.raw),
    }
    return CheckResult(
        name=_check_name(q),
        grade_id=q.grade_id,
        notebook=notebook,
        points=s.points,
        max_points=q.points,
        status=Status.PASSED if s.points >= q.points else Status.FAILED,
        message=feedback_message(q, s, ans),
        visibility=Visibility.VISIBLE,
        tags=("short_answer",),
        flagged=s.flagged,
        details=details,
    )


def score_answer(ans: ex.ExtractedAnswer, q: Question, settings: Settings) -> AnswerScore:
    if ans.status != ex.ANSWERED:
        return AnswerScore(0.0, q.points, (), tuple(c.id for c in q.concepts), (), 1.0, False, (), status=ans.status)
    return score_text(ans.text, q, settings, found=ans.found)


def _read_nb(nb: Any) -> Any:
    if isinstance(nb, (str, Path)):
        import nbformat

        return nbformat.read(str(nb), as_version=4)
    return nb


def grade_short_answers(
    nb: Any,
    rubric: Rubric | str | Path,
    release_prompts: Mapping[str, str] | Any | None = None,
    *,
    notebook: str = NOTEBOOK,
) -> list[CheckResult]:
    """One CheckResult per rubric question for a submitted notebook.

    nb: an nbformat NotebookNode, a plain dict, or a path to an .ipynb file.
    rubric: a loaded Rubric or the path of rubrics.toml.
    release_prompts: {grade_id: prompt text} or the release notebook (its prompts are the markdown
    cells above the answer cells); without it the cell above each answer cell is used.
    """
    if not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    nb = _read_nb(nb)
    if release_prompts is not None and not isinstance(release_prompts, Mapping):
        release_prompts = ex.prompts_from_notebook(_read_nb(release_prompts), rubric.questions)
    release_prompts = dict(release_prompts or {})
    out: list[CheckResult] = []
    for gid, q in rubric.questions.items():
        others: list[str] = []
        for ogid, oq in rubric.questions.items():
            if ogid != gid:
                others += [oq.title, oq.title_zh]
                if release_prompts.get(ogid):
                    others.append(release_prompts[ogid])
        ans = ex.extract_answer(
            nb, gid,
            release_prompt=release_prompts.get(gid),
            question_prompts=q.prompts,
            other_prompts=others,
            stub_texts=rubric.settings.stub_texts,
        )
        s = score_answer(ans, q, rubric.settings)
        out.append(check_result(q, ans, s, notebook))
    return out


__all__ = ["AnswerScore", "grade_short_answers", "score_text", "score_answer", "feedback_message", "check_result", "NOTEBOOK"]

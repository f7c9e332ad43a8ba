"""What a student reads about a short answer, at a feedback level, and the CheckResult record.

The message (Gradescope's and PrairieLearn's output, the terminal) and `details["feedback"]` (what
feedback.html shows) are written for the student at the level `visibility.feedback_level` chose:
- score: the score, notes about the answer cell, and that a TA will review it;
- aspects: and the parts of the question not yet answered, in the rubric's aspect words; a
  misconception is reported by the part it concerns, not by its correction;
- rubric: and the concepts covered and missing, and misconceptions' corrections, in the rubric's
  words.
The other details (concept ids and labels, flag reasons, confidence, the answer) are for TAs:
the review queue and the class summary read them; no student-facing output does.
"""
from __future__ import annotations

from typing import Any

from ..results import CheckResult, Status, Visibility
from . import extract as ex
from .groups import fingerprint
from .rubric_model import Question, words
from .score import AnswerScore
from .visibility import Level

NOTEBOOK = "03_activations_and_optimizers"
REVIEW_NOTE = "A TA will review this answer; the score may change. / 助教会复核此题，分数可能调整。"
STUFFING_NOTE = (
    "Your answer reads like a list of terms; explain in sentences how they answer the question "
    "(a list earns at most a little credit). / 答案像是术语罗列；请用完整的句子解释它们如何回答问题（罗列术语只能得少量分数）。"
)
CORE_NOTE = ("Your answer mentions related points but not the main one the question asks about. / "
             "答案提到了相关内容，但没有回答本题的核心问题。")
NOTHING_FOUND = "None of the points this question asks for were found in your answer. / 答案中没有找到本题要求的要点。"


def _check_name(q: Question) -> str:
    t = q.title
    if len(t) > 1 and t[0].isupper() and t[1].islower():
        t = t[0].lower() + t[1:]
    return f"{q.grade_id}: {t}"


def student_view(q: Question, s: AnswerScore, level: Level) -> dict[str, Any]:
    """The covered and missing items a student may see at `level` (labels only)."""
    view: dict[str, Any] = {"level": level.value, "covered": [], "missing": [], "also": [], "check": []}
    if s.status != ex.ANSWERED or level is Level.SCORE:
        return view
    if level is Level.RUBRIC:
        by_id = {c.id: c for c in q.concepts}
        mis = {m.id: m for m in q.misconceptions}
        view["covered"] = [{"en": by_id[i].en, "zh": by_id[i].zh} for i in s.matched]
        missing = [{"en": by_id[i].en, "zh": by_id[i].zh} for i in s.missed]
        view["missing" if s.points < q.points else "also"] = missing
        view["check"] = [{"en": mis[i].en, "zh": mis[i].zh} for i in s.misconceptions]
        return view
    covered_aspects = {c.aspect for c in q.concepts if c.id in s.matched}
    if s.points < q.points:
        view["missing"] = [{"en": a.en, "zh": a.zh} for a in q.aspects if a.id not in covered_aspects]
    wrong = {m.aspect for m in q.misconceptions if m.id in s.misconceptions}
    view["check"] = [{"en": a.en, "zh": a.zh} for a in q.aspects if a.id in wrong]
    if s.misconceptions and not view["check"]:
        view["check"] = [{"en": "one of your statements", "zh": "答案中的一处表述"}]
    return view


def feedback_message(q: Question, s: AnswerScore, ans: ex.ExtractedAnswer | None = None,
                     level: Level = Level.ASPECTS) -> str:
    lines = [f"{s.points:g}/{q.points:g} points. / 得分 {s.points:g}/{q.points:g}。"]
    if s.status == ex.ANSWERED:
        view = student_view(q, s, level)
        if level is Level.RUBRIC:
            if view["covered"]:
                lines.append("Covered / 已涵盖:")
                lines += [f"  + {words(c['en'], c['zh'])}" for c in view["covered"]]
            else:
                lines.append(NOTHING_FOUND)
            if view["missing"]:
                lines.append("Missing / 缺少:")
                lines += [f"  - {words(c['en'], c['zh'])}" for c in view["missing"]]
            if view["also"]:
                lines.append("You could also mention / 还可以提到:")
                lines += [f"  - {words(c['en'], c['zh'])}" for c in view["also"]]
            lines += [f"Check this / 请注意: {words(c['en'], c['zh'])}" for c in view["check"]]
        elif level is Level.ASPECTS:
            if not s.matched:
                lines.append(NOTHING_FOUND)
            if view["missing"]:
                lines.append("Not yet answered / 尚未回答的部分:")
                lines += [f"  - {words(a['en'], a['zh'])}" for a in view["missing"]]
            elif s.points < q.points and s.matched:
                lines.append("Every part of the question is touched on; explain them further. / "
                             "各部分都有涉及，请进一步解释。")
            lines += [f"Check what you wrote about / 请检查你关于这部分的表述: {words(a['en'], a['zh'])}" for a in view["check"]]
        if s.stuffing:
            lines.append(STUFFING_NOTE)
        elif s.core_capped and level is not Level.SCORE:
            lines.append(CORE_NOTE)
        if s.flagged:
            lines.append(REVIEW_NOTE)
    if ans is not None:
        lines += list(ans.notes)
    return "\n".join(lines)


def _excerpt(text: str, n: int = 1200) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n - 1] + "…"


def check_result(q: Question, ans: ex.ExtractedAnswer, s: AnswerScore, notebook: str = NOTEBOOK,
                 level: Level = Level.ASPECTS) -> CheckResult:
    by_id = {c.id: c for c in q.concepts}
    mis = {m.id: m for m in q.misconceptions}
    details: dict[str, Any] = {
        "kind": "short_answer",
        "answer_status": ans.status,
        "answer_source": ans.found,
        "feedback": student_view(q, s, level),  # the only part a student-facing page shows
        # TA-facing from here on (review queue, class summary)
        "concepts_matched": [{"id": i, "en": by_id[i].en, "zh": by_id[i].zh, "points": by_id[i].points} for i in s.matched],
        "concepts_missed": [{"id": i, "en": by_id[i].en, "zh": by_id[i].zh, "points": by_id[i].points} for i in s.missed],
        "concepts_negated": list(s.negated),
        "misconceptions": [{"id": i, "en": mis[i].en, "zh": mis[i].zh} for i in s.misconceptions],
        "confidence": s.confidence,
        "flag_reasons": list(s.flag_reasons),
        "stuffing": s.stuffing,
        "raw_points": s.raw_points,
        "automatic_points": s.points,
        # the similar labelled answers' score and what it added (score.py's second opinion)
        "similar_examples": None if s.similar is None else {
            "score": round(s.similar.score, 2), "neighbours": [list(n) for n in s.similar.neighbours]},
        "raised_by_examples": s.raised,
        "answer_excerpt": _excerpt(ans.text or ans.raw),
        # the whole answer's identity, so that an answer group can tell a changed answer past the excerpt
        "answer_fingerprint": fingerprint(ans.text or ans.raw),
    }
    return CheckResult(
        name=_check_name(q),
        grade_id=q.grade_id,
        notebook=notebook,
        points=s.points,
        max_points=q.points,
        status=Status.PASSED if s.points >= q.points else Status.FAILED,
        message=feedback_message(q, s, ans, level),
        visibility=Visibility.VISIBLE,
        tags=("short_answer",),
        flagged=s.flagged,
        details=details,
    )


__all__ = ["NOTEBOOK", "check_result", "feedback_message", "student_view"]

"""A student's feedback page, from their SubmissionResult alone.

What it shows: the score (per notebook, per question, in all), each check's verdict and its
message in plain words, the student's own errors and notes, the decision-boundary pictures of
`fit_spiral` (when the check stored them), and for short answers the concepts found and missed.

What it never shows: `grader_errors` (tracebacks, TA-only), checks whose visibility is
`hidden` (and then no total either, as on Gradescope), and any `details` entry other than the
whitelisted pictures and the short-answer student view (covered and missing items at the course's
feedback level: aspects of the question before the deadline, the rubric's concept labels only
when the course allows it): no test code, hidden data, reference outputs or rubric patterns can
reach the page through it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.reporters.html.env import render
from autograder.reporters.html.plots import data_uri
from autograder.results import CheckResult, Status, SubmissionResult, Visibility

SHORT_ANSWER_TAG = "short_answer"


def _verdict(c: CheckResult) -> tuple[str, str]:
    if c.status is Status.PASSED:
        return "passed", "Passed · 通过"
    if c.status is Status.ERROR:
        return "error", "Not judged (grader fault) · 未评分（评分程序故障）"
    if c.points > 0:
        return "partial", "Partial credit · 部分得分"
    return "failed", "Not passed · 未通过"


def _title(grade_id: str) -> str:
    if grade_id.startswith("check_"):
        return grade_id.removeprefix("check_") + "()"
    return grade_id


def _labels(items: Any) -> list[dict[str, str]]:
    """Concept labels from short-answer details: strings, or dicts with a label (and optional
    Chinese label and points). Only these fields are read; anything else is ignored."""
    out = []
    if not isinstance(items, (list, tuple)):
        return out
    for it in items[:50]:
        if isinstance(it, str):
            out.append({"label": it[:200], "label_zh": "", "points": ""})
        elif isinstance(it, dict):
            label = it.get("en") or it.get("label") or it.get("name") or it.get("zh")  # a rubric in Chinese only
            if isinstance(label, str):
                zh = (it.get("zh") or it.get("label_zh") or "") if label != it.get("zh") else ""
                pts = it.get("points")
                out.append({"label": label[:200], "label_zh": zh[:200] if isinstance(zh, str) else "",
                            "points": f"{pts:g}" if isinstance(pts, (int, float)) else ""})
    return out


def _check_view(c: CheckResult) -> dict[str, Any]:
    kind, label = _verdict(c)
    view = {
        "name": c.name, "kind": kind, "verdict": label, "points": c.points, "max_points": c.max_points,
        "message": c.message.strip(), "public": c.public, "flagged": c.flagged,
        "after_due": c.visibility in (Visibility.AFTER_DUE_DATE, Visibility.AFTER_PUBLISHED),
        "boundary": None, "concepts": None, "short_answer": SHORT_ANSWER_TAG in c.tags,
        "hint": c.hint.strip() if c.status is not Status.PASSED else "",  # a known mistake's hint
    }
    d = c.details if isinstance(c.details, dict) else {}
    mine, ref = data_uri(d.get("boundary_png")), data_uri(d.get("reference_boundary_png"))
    if mine or ref:
        cap = d.get("boundary_caption")
        view["boundary"] = {"mine": mine, "reference": ref, "caption": cap[:300] if isinstance(cap, str) else ""}
    if SHORT_ANSWER_TAG in c.tags:
        # only the student view the grader wrote at the course's feedback level; the TA-facing
        # details (concept labels, flag reasons) never reach this page
        fb = d.get("feedback") if isinstance(d.get("feedback"), dict) else {}
        level = fb.get("level")
        if level in ("rubric", "aspects"):
            view["concepts"] = {"kind": level, "matched": _labels(fb.get("covered")),
                                "missed": _labels(fb.get("missing"))}
    return view


def _automatic_points(c: CheckResult) -> float:
    """The check's points before a TA's override (autograder.review.apply_overrides keeps them)."""
    ov = c.details.get("override") if isinstance(c.details, dict) else None
    if isinstance(ov, dict) and isinstance(ov.get("automatic_points"), (int, float)):
        return float(ov["automatic_points"])
    return c.points


def _overridden(c: CheckResult) -> bool:
    return isinstance(c.details, dict) and isinstance(c.details.get("override"), dict)


def feedback_context(result: SubmissionResult) -> dict[str, Any]:
    shown = [c for c in result.checks if c.visibility is not Visibility.HIDDEN]
    some_hidden = len(shown) != len(result.checks)
    notebooks: dict[str, dict[str, Any]] = {}
    for c in shown:
        nb = notebooks.setdefault(c.notebook, {"stem": c.notebook, "questions": {}, "score": 0.0, "max": 0.0})
        q = nb["questions"].setdefault(c.grade_id, {"grade_id": c.grade_id, "title": _title(c.grade_id),
                                                    "checks": [], "score": 0.0, "max": 0.0, "auto": 0.0,
                                                    "override": False, "short_answer": False})
        q["checks"].append(_check_view(c))
        q["auto"] += _automatic_points(c)
        q["score"] += c.points
        q["max"] += c.max_points
        if _overridden(c):
            q["override"] = True
        q["short_answer"] = q["short_answer"] or SHORT_ANSWER_TAG in c.tags
    total = 0.0
    for nb in notebooks.values():
        for q in nb["questions"].values():
            q["passed"] = all(ch["kind"] == "passed" for ch in q["checks"])
            nb["score"] += q["score"]
            nb["max"] += q["max"]
        nb["questions"] = list(nb["questions"].values())
        total += nb["score"]
        # A missing or unrunnable notebook fails every check with the same words: say it once.
        views = [ch for q in nb["questions"] for ch in q["checks"]]
        messages = {ch["message"] for ch in views}
        nb["banner"] = ""
        if len(views) > 1 and len(messages) == 1 and all(ch["kind"] == "failed" for ch in views):
            nb["banner"] = messages.pop()
            for ch in views:
                ch["message"] = ""
    lost = sum(1 for c in shown if c.status is not Status.PASSED)
    return {
        "student": result.student or "",
        "assignment": result.assignment,
        "gradable": result.gradable,
        "format_errors": list(result.format_errors),
        "notes": list(result.notes),
        "device": result.device,
        "show_total": not some_hidden,
        "total": round(total, 4),
        "max_total": result.max_score,
        "n_checks": len(shown),
        "n_lost": lost,
        "notebooks": list(notebooks.values()),
        "has_overrides": any(_overridden(c) for c in shown),
        "late": result.late,  # the deadline, the time and the penalty (raw and final apart)
        "final": round(max(0.0, total - result.penalty), 4),
    }


def render_feedback(result: SubmissionResult) -> str:
    """The feedback page of one submission as HTML text. TA overrides show when the result has
    been passed through `autograder.review.apply_overrides`."""
    return render("feedback.html.j2", **feedback_context(result))


def write_feedback(result: SubmissionResult, path: Path) -> Path:
    from autograder.files import atomic_write

    return atomic_write(path, render_feedback(result))

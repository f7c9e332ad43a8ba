"""How much of the short-answer feedback a student sees, and when: a course setting.

Declared once here (each field with its default and description), set per assignment in
`grading/assignment.toml`, section [short_answer_feedback]:

    [short_answer_feedback]
    before_due = "aspects"   # score, and which part of the question is not yet answered
    after_due = "rubric"     # the rubric's own wording of covered and missing concepts
    due = 2025-10-20T23:59:00+08:00

Levels, from least to most: "score" (the score only), "aspects" (the score and the parts of the
question not yet answered, in the rubric's aspect words, which do not give the answer),
"rubric" (the concepts covered and missing, and the corrections of misconceptions, in the
rubric's words). With resubmissions, "rubric" before the deadline hands out the answer key, so
the default never shows it before the deadline, and without a deadline never at all.

`feedback_level(policy, now, due)` is the one place that decides; a student's own deadline (an
extension) is passed as `due`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Mapping


class Level(str, Enum):
    SCORE = "score"
    ASPECTS = "aspects"
    RUBRIC = "rubric"


class FeedbackPolicyError(ValueError):
    """A wrong [short_answer_feedback] setting; the message names the key and what is allowed."""


@dataclass(frozen=True)
class FeedbackPolicy:
    before_due: Level = field(default=Level.ASPECTS, metadata={"help": (
        "what students see before the deadline (or always, when there is no deadline): "
        "'score', 'aspects' (score and the parts of the question not yet answered) or 'rubric' "
        "(the rubric's wording: gives the answer away when students can resubmit)")})
    after_due: Level = field(default=Level.RUBRIC, metadata={"help": (
        "what students see after the deadline: 'score', 'aspects' or 'rubric'; 'aspects' never "
        "shows the rubric's wording")})
    due: datetime | None = field(default=None, metadata={"help": (
        "the deadline, a TOML date-time with its time zone (2025-10-20T23:59:00+08:00); without "
        "one, `before_due` applies")})

    @classmethod
    def help(cls) -> str:
        return "\n".join(f"{f.name} (default {f.default!s}): {f.metadata['help']}" for f in dataclasses.fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str = "[short_answer_feedback]") -> "FeedbackPolicy":
        known = {f.name for f in dataclasses.fields(cls)}
        extra = sorted(set(values) - known)
        if extra:
            raise FeedbackPolicyError(f"{where}: unknown key {extra[0]!r}; known keys:\n{cls.help()}")
        kw: dict[str, Any] = {}
        for name in ("before_due", "after_due"):
            if name in values:
                try:
                    kw[name] = Level(values[name])
                except ValueError:
                    raise FeedbackPolicyError(
                        f"{where}: {name} = {values[name]!r}; use one of {', '.join(l.value for l in Level)}") from None
        if "due" in values:
            due = values["due"]
            if isinstance(due, str):  # as the manifest carries it (ISO 8601)
                try:
                    due = datetime.fromisoformat(due)
                except ValueError:
                    pass
            if not isinstance(due, datetime) or due.tzinfo is None:
                raise FeedbackPolicyError(
                    f"{where}: due = {due!r}; give a date-time with its time zone, e.g. 2025-10-20T23:59:00+08:00")
            kw["due"] = due
        return cls(**kw)


def feedback_level(policy: FeedbackPolicy, now: datetime, due: datetime | None = None) -> Level:
    """The level a student sees at `now`. `due` is the student's own deadline when they have one
    (an extension), else the policy's; without any deadline the 'before' level applies."""
    deadline = due or policy.due
    if deadline is None or now < deadline:
        return policy.before_due
    return policy.after_due


__all__ = ["FeedbackPolicy", "FeedbackPolicyError", "Level", "feedback_level"]

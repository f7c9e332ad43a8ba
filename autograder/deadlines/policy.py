"""The due date and the late policy of an assignment: `[deadline]` of grading/assignment.toml.

Each setting is declared once here, with its default and description (`LatePolicy.help()`):

    [deadline]
    due = 2025-10-20T23:59:00+08:00   # a TOML date-time with its time zone
    grace_minutes = 15                # up to this late counts as on time
    percent_per_day = 10              # each day or part of a day late costs this share
    max_percent = 50                  # the most a late submission loses (before zero_after_days)
    zero_after_days = 7               # later than this many days: 0 points (0: never)
    of = "score"                      # the share is of the points earned, or of the "max" points
    extensions = "extensions.csv"     # per-student extensions, beside assignment.toml (optional)

Without `due` there is no deadline: nothing is late, and feedback the course shows "after the
deadline" stays at its before-the-deadline level. The short-answer setting's own `due` (kept for
older configs) must then be the same date, or absent: the date is declared once.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from autograder.assignment import AssignmentConfig, ConfigError

SECTION = "deadline"
SHARES = ("score", "max")


@dataclass(frozen=True)
class LatePolicy:
    due: datetime | None = field(default=None, metadata={"help": (
        "the deadline, a TOML date-time with its time zone (2025-10-20T23:59:00+08:00); without one nothing is "
        "late")})
    grace_minutes: float = field(default=0.0, metadata={"help": (
        "a submission at most this many minutes after the deadline counts as on time")})
    percent_per_day: float = field(default=0.0, metadata={"help": (
        "the share of the points lost for each day or part of a day after the deadline (once past the grace "
        "period, the days count from the deadline)")})
    max_percent: float = field(default=100.0, metadata={"help": (
        "the most a late submission loses, in percent (a cap), unless zero_after_days applies")})
    zero_after_days: float = field(default=0.0, metadata={"help": (
        "a submission more than this many days late gets 0 points; 0: never")})
    of: str = field(default="score", metadata={"help": (
        "what the percentages are of: 'score' (the points the submission earned) or 'max' (the assignment's "
        "points, as an LMS late policy; never more than the points earned)")})
    extensions: str = field(default="", metadata={"help": (
        "a CSV of per-student extensions, relative to the grading folder (columns: student, and due, days or "
        "hours); grade-all --extensions adds another")})

    @classmethod
    def help(cls) -> str:
        return "\n".join(f"{f.name} (default {f.default!r}): {f.metadata['help']}" for f in dataclasses.fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str = "[deadline]") -> "LatePolicy":
        known = {f.name for f in dataclasses.fields(cls)}
        extra = sorted(set(values) - known)
        if extra:
            raise ConfigError(f"{where}: unknown key {extra[0]!r}; known keys:\n{cls.help()}")
        kw: dict[str, Any] = {}
        if "due" in values:
            due = values["due"]
            if not isinstance(due, datetime) or due.tzinfo is None:
                raise ConfigError(f"{where}: due = {due!r}; give a date-time with its time zone, "
                                  "e.g. 2025-10-20T23:59:00+08:00")
            kw["due"] = due
        for name, top in (("grace_minutes", None), ("percent_per_day", 100.0), ("max_percent", 100.0),
                          ("zero_after_days", None)):
            if name in values:
                v = values[name]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 \
                        or (top is not None and v > top):
                    raise ConfigError(f"{where}: {name} = {v!r}; give a number from 0"
                                      + (f" to {top:g}" if top is not None else ""))
                kw[name] = float(v)
        if "of" in values:
            if values["of"] not in SHARES:
                raise ConfigError(f"{where}: of = {values['of']!r}; use 'score' or 'max'")
            kw["of"] = values["of"]
        if "extensions" in values:
            if not isinstance(values["extensions"], str):
                raise ConfigError(f"{where}: extensions must be a file name (a CSV beside assignment.toml)")
            kw["extensions"] = values["extensions"]
        return cls(**kw)


def load_policy(config: AssignmentConfig) -> LatePolicy:
    """The assignment's `[deadline]`, its `due` also taken from `[short_answer_feedback] due` when
    only that one is given; two different dates are refused (ConfigError)."""
    where = f"{config.path}: [{SECTION}]"
    policy = LatePolicy.from_mapping(config.sections.get(SECTION, {}), where)
    other = config.sections.get("short_answer_feedback", {}).get("due")
    if other is not None:
        if policy.due is None:
            return dataclasses.replace(policy, due=other)
        if isinstance(other, datetime) and other.tzinfo is not None and other != policy.due:
            raise ConfigError(f"{where}: due {policy.due.isoformat()} differs from [short_answer_feedback] due "
                              f"{other.isoformat()}; declare the deadline once, in [{SECTION}]")
    return policy


__all__ = ["LatePolicy", "SECTION", "load_policy"]

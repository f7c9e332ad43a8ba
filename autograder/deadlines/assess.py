"""What a submission's time costs under the late policy, and what a student may see before their
own deadline.

    record = assess(policy, time, raw, max_points, due, extension)   # a results.LateRecord

Lateness counts from the student's own deadline (extensions included): at most `grace_minutes`
late is on time; after that each day or part of a day costs `percent_per_day` (of the points
earned, or of the maximum), at most `max_percent`, and more than `zero_after_days` days late
costs everything. An unknown time costs nothing and says so. The raw score is never changed:
`SubmissionResult.final_score` takes the penalty off.
"""
from __future__ import annotations

import dataclasses
import math
from datetime import datetime

from autograder.deadlines.extensions import Extension, duration_words
from autograder.deadlines.policy import LatePolicy
from autograder.deadlines.times import SubmissionTime
from autograder.results import LateRecord, SubmissionResult, Visibility

DAY_S = 86400.0


def _pts(x: float) -> str:
    return f"{round(x, 2):g}"


def assess(policy: LatePolicy, time: SubmissionTime, raw: float, max_points: float, due: datetime | None = None,
           extension: Extension | None = None, waived: bool = False) -> LateRecord | None:
    """The late record of a submission (None when the assignment has no deadline). `due`: the
    student's own deadline (default: the policy's); `extension`: what moved it there; `waived`: a
    TA waived the penalty (the lateness is still said)."""
    due = due or policy.due
    if due is None:
        return None
    ext = extension.words(policy.due) if extension is not None else ""
    common = dict(due=due.isoformat(), source=time.source, extension=ext)
    if not time.known:
        return LateRecord(LateRecord.UNKNOWN, **common, note=time.note)
    at = time.at
    late_by = (at - due).total_seconds()
    base = dict(common, submitted_at=at.isoformat(), late_by_s=round(max(0.0, late_by), 1))
    caveat = f" ({time.note})" if time.note else ""
    if waived:  # said against the assignment's deadline: the waiver is what moved the student's
        when = duration_words(at - policy.due)
        return LateRecord(LateRecord.WAIVED, **base, days=math.ceil(max(0.0, (at - policy.due).total_seconds()) / DAY_S),
                          note=(f"Submitted {when} after the deadline; a TA waived the late penalty.{caveat} / "
                                f"晚于截止时间 {when} 提交；助教已免除迟交扣分。"))
    if late_by <= policy.grace_minutes * 60:
        within = " within the grace period" if late_by > 0 else ""
        return LateRecord(LateRecord.ON_TIME, **base, note=f"Submitted on time{within}.{caveat} / 按时提交。")
    days = math.ceil(late_by / DAY_S)
    zero = policy.zero_after_days > 0 and late_by > policy.zero_after_days * DAY_S
    percent = 100.0 if zero else min(policy.max_percent, days * policy.percent_per_day)
    share = raw if policy.of == "score" or zero else max_points
    penalty = round(min(raw, share * percent / 100.0), 4)
    when = duration_words(at - due)
    why = f"more than {policy.zero_after_days:g} days late: 0 points" if zero else (
        f"{days} day{'s' if days != 1 else ''} or part of a day late: −{percent:g}%")
    return LateRecord(LateRecord.LATE, **base, days=days, percent=percent, penalty=penalty, note=(
        f"Submitted {when} after the deadline ({why}, {_pts(penalty)} points).{caveat} / "
        f"晚于截止时间 {when} 提交（迟交 {days} 天，扣 {percent:g}%，即 {_pts(penalty)} 分）。"))


def visible_now(result: SubmissionResult, now: datetime, due: datetime | None) -> SubmissionResult:
    """The result as a student may see it at `now`: checks the course shows only after the deadline
    (`after_due_date`) are hidden before the student's own deadline `due` and shown after it.
    Without a deadline nothing changes."""
    if due is None or not any(c.visibility is Visibility.AFTER_DUE_DATE for c in result.checks):
        return result
    shown = Visibility.VISIBLE if now >= due else Visibility.HIDDEN
    checks = [dataclasses.replace(c, visibility=shown) if c.visibility is Visibility.AFTER_DUE_DATE else c
              for c in result.checks]
    return dataclasses.replace(result, checks=checks)


__all__ = ["assess", "visible_now"]

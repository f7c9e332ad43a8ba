"""When a submission came in: taken from where it is recorded, or said to be unknown.

Sources, each named in the record so that a TA and the student see where the time comes from:
nbgrader's `timestamp.txt` (read by `batch.discover`), an LMS export's late mark (Canvas's `LATE`
in the file name says late, not when), the push or commit time in the CI mode, the time a platform
gives (Gradescope's submission metadata). A file's modification time is never used: it changes
with every copy, so a time that is not recorded is unknown, and no penalty is computed for it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

UNKNOWN_NOTE = ("no submission time is recorded for this submission, so no late penalty was computed "
                "(a TA can set one)")
_ZONE_WORDS = re.compile(r"\s+(UTC|GMT|Z)$", re.IGNORECASE)
_DASHED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")  # Blackboard-style file names


@dataclass(frozen=True)
class SubmissionTime:
    at: datetime | None  # time-zone aware, or None: unknown
    source: str = ""  # where it was read ("nbgrader timestamp.txt", "git commit", ...)
    late_mark: bool = False  # the LMS marked it late (it may not say when)
    note: str = ""  # a caveat for the TA and the student (an assumed time zone, a student-set clock)

    @property
    def known(self) -> bool:
        return self.at is not None


def parse_time(text: str, default_tz: tzinfo = timezone.utc) -> tuple[datetime | None, bool]:
    """A recorded time: ISO 8601, nbgrader's "2025-10-20 15:59:00.123456 UTC", or the dashed
    "2025-10-20-23-59-59" of LMS file names. Returns (time, zone assumed): a time without a zone
    is read in `default_tz` (the deadline's), and says so; None when the text is no time."""
    text = (text or "").strip()
    if not text:
        return None, False
    m = _DASHED.match(text)
    if m:
        text = f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:{m[6]}"
    zoned = _ZONE_WORDS.search(text)
    if zoned:
        text = text[:zoned.start()] + "+00:00"
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None, False
    if at.tzinfo is None:
        return at.replace(tzinfo=default_tz), True
    return at, False


def submission_time(recorded: str | None, source: str = "", late_mark: bool = False,
                    default_tz: tzinfo = timezone.utc) -> SubmissionTime:
    """The time of a submission from what discovery found (`recorded`: the text of the record)."""
    if recorded:
        at, assumed = parse_time(recorded, default_tz)
        if at is not None:
            note = f"the recorded time has no time zone; read as {at.tzname()}" if assumed else ""
            return SubmissionTime(at, source, late_mark, note)
        return SubmissionTime(None, source, late_mark, f"the recorded time {recorded[:60]!r} could not be read; "
                                                       + UNKNOWN_NOTE)
    if late_mark:
        return SubmissionTime(None, source or "LMS late mark", True,
                              "the LMS marked this submission late but recorded no time, so no late penalty was "
                              "computed (a TA can set one)")
    return SubmissionTime(None, "", False, UNKNOWN_NOTE)


__all__ = ["SubmissionTime", "UNKNOWN_NOTE", "parse_time", "submission_time"]

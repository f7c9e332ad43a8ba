"""Self-contained HTML pages: a feedback page per student, a class summary for TAs.

Every page is one file: inline CSS, pictures as base64 data URIs, no script, no link to fetch,
so it opens offline and can be mailed or uploaded anywhere. Text is escaped by Jinja's
autoescaping. Labels are in English and Chinese.

- `render_feedback(result)` reads one SubmissionResult (TA overrides show when it was passed
  through `autograder.review.apply_overrides`). It never shows grader tracebacks
  (`grader_errors`), hidden-visibility checks, or any `details` key but the whitelisted
  pictures and short-answer concepts.
- `render_summary(summary)` takes a `ClassSummary` (built by the batch from the per-student
  records): TA-only, with grader errors and the review queue.
"""
from __future__ import annotations

from pathlib import Path

from autograder.reporters.html.feedback import render_feedback, write_feedback
from autograder.reporters.html.plots import boundary_details, decision_boundary_png, grid_points
from autograder.reporters.html.summary import (ClassSummary, GroupAnswer, GroupItem, ReviewItem, StudentLine,
                                               render_summary, write_summary)

__all__ = [
    "render_feedback", "write_feedback", "render_summary", "write_summary", "ClassSummary", "GroupAnswer", "GroupItem", "ReviewItem",
    "StudentLine", "decision_boundary_png", "boundary_details", "grid_points", "TEMPLATES",
]

TEMPLATES = Path(__file__).parent / "templates"

"""PrairieLearn's external-grader results.json (score in [0, 1], gradable, tests[])."""
from __future__ import annotations

import json
from pathlib import Path

from autograder.reporters.text import summary_markdown
from autograder.results import SubmissionResult


def render(result: SubmissionResult) -> dict:
    out = {
        "gradable": result.gradable,
        "score": round(result.score / result.max_score, 6) if result.max_score else 0.0,
        "message": summary_markdown(result),
        "output": "\n".join(result.notes),
        "images": [],
        "tests": [
            {
                "name": c.name,
                "description": f"{c.notebook} / {c.grade_id}",
                "points": c.points,
                "max_points": c.max_points,
                "message": c.message,
                "output": "",
            }
            for c in result.checks
        ],
    }
    if not result.gradable:
        out["format_errors"] = list(result.format_errors)
    return out


def write(result: SubmissionResult, path: Path) -> Path:
    path.write_text(json.dumps(render(result), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path

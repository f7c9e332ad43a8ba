"""PrairieLearn's external-grader results.json (score in [0, 1], gradable, tests[])."""
from __future__ import annotations

import json
from pathlib import Path

from autograder.files import atomic_write
from autograder.reporters.escape import text
from autograder.reporters.text import summary_text, with_hint
from autograder.results import SubmissionResult


def render(result: SubmissionResult) -> dict:
    out = {
        "gradable": result.gradable,
        "score": round(result.final_score / result.max_score, 6) if result.max_score else 0.0,
        "message": summary_text(result),
        "output": "\n".join(text(n) for n in result.notes),
        "images": [],
        "tests": [
            {
                "name": text(c.name),
                "description": text(f"{c.notebook} / {c.grade_id}"),
                "points": c.points,
                "max_points": c.max_points,
                "message": text(with_hint(c)),
                "output": "",
            }
            for c in result.checks
        ],
    }
    if not result.gradable:
        out["format_errors"] = [text(e) for e in result.format_errors]
    return out


def dumps(result: SubmissionResult) -> str:
    return json.dumps(render(result), ensure_ascii=False, indent=2) + "\n"


def write(result: SubmissionResult, path: Path) -> Path:
    return atomic_write(path, dumps(result))

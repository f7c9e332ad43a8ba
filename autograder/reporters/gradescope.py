"""Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/)."""
from __future__ import annotations

import json
from pathlib import Path

from autograder.files import atomic_write
from autograder.reporters.escape import text
from autograder.reporters.text import summary_markdown, with_hint
from autograder.results import Status, SubmissionResult


def render(result: SubmissionResult) -> dict:
    tests = [
        {
            "name": text(c.name),
            "number": f"{i}",
            "score": c.points,
            "max_score": c.max_points,
            # Gradescope knows passed/failed only; a grader fault shows as failed with its note.
            "status": "passed" if c.status is Status.PASSED else "failed",
            "output": text(with_hint(c)),
            "output_format": "text",
            "tags": [text(t) for t in (c.grade_id, c.notebook, *c.tags)],
            "visibility": c.visibility.value,
        }
        for i, c in enumerate(result.checks, start=1)
    ]
    return {
        "score": result.final_score,  # the raw score less any late penalty (the output says both)
        "execution_time": int(round(result.execution_time_s)),
        "output": summary_markdown(result),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",  # the grader's own log is for TAs
        "tests": tests,
    }


def dumps(result: SubmissionResult) -> str:
    return json.dumps(render(result), ensure_ascii=False, indent=2) + "\n"


def write(result: SubmissionResult, path: Path) -> Path:
    return atomic_write(path, dumps(result))

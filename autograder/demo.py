"""`autograder demo`: the README's first command, the whole pipeline on the bundled assignment.

For now: generate the release and the answer key, then grade the answer key and the
unanswered release, and say where the results are.
"""
from __future__ import annotations

import time
from pathlib import Path

from autograder.course import AssignmentPaths
from autograder.grading import GradeRequest, grade_submission
from autograder.release import release_assignment
from autograder.reporters import write_results
from autograder.reporters.text import summary_lines


def run_demo(paths: AssignmentPaths, out: Path) -> int:
    out = out.resolve()
    started = time.perf_counter()
    print(f"[1/3] generating {paths.release.relative_to(paths.course_root)}/ and "
          f"{paths.solutions.relative_to(paths.course_root)}/ from {paths.source.relative_to(paths.course_root)}/ ...")
    release_assignment(paths)
    for step, (label, folder) in enumerate((("answer key", paths.solutions), ("unanswered release", paths.release)), start=2):
        print(f"[{step}/3] grading the {label} ({folder.relative_to(paths.course_root)}/) on cpu ...")
        result = grade_submission(GradeRequest(submission=folder, student=label.replace(" ", "-")), paths,
                                  extra_hidden=[out])
        files = write_results(result, out / label.replace(" ", "-"))
        print("\n".join("      " + line for line in summary_lines(result, limit=5)))
        print(f"      results: {files['gradescope']}")
    print(f"done in {time.perf_counter() - started:.0f} s; results under {out}/")
    return 0

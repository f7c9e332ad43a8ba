"""Output formats. Each module turns a SubmissionResult into one file format, nothing else."""
from __future__ import annotations

from pathlib import Path


def write_results(result, out_dir: Path) -> dict[str, Path]:
    """Every per-submission format into `out_dir`; returns the files by format."""
    from autograder.reporters import gradescope, junit, prairielearn

    from autograder.files import atomic_write

    out_dir.mkdir(parents=True, exist_ok=True)
    # the internal record, for regrades and TAs; like every file here written atomically (a
    # grader killed mid-write leaves the old file or none, never a part)
    record = atomic_write(out_dir / "submission_result.json", result.dumps() + "\n")
    return {
        "gradescope": gradescope.write(result, out_dir / "results.json"),
        "prairielearn": prairielearn.write(result, out_dir / "prairielearn.json"),
        "junit": junit.write(result, out_dir / "junit.xml"),
        "record": record,
    }


def rewrite_platform_results(result, out_dir: Path) -> dict[str, Path]:
    """Gradescope's and PrairieLearn's files again, from `result` as the class stands now (TA
    scores laid over, the late penalty in its final score): they were written when the student
    was graded, and a student's score there must be the one in the gradebook. Unchanged files
    keep their bytes and mtime."""
    import json

    from autograder.files import write_if_changed
    from autograder.reporters import gradescope, prairielearn

    return {name: write_if_changed(out_dir / file, json.dumps(module.render(result), ensure_ascii=False, indent=2) + "\n")
            for name, module, file in (("gradescope", gradescope, "results.json"),
                                       ("prairielearn", prairielearn, "prairielearn.json"))}

"""Output formats. Each module turns a SubmissionResult into one file format, nothing else."""
from __future__ import annotations

from pathlib import Path


def write_results(result, out_dir: Path) -> dict[str, Path]:
    """Every per-submission format into `out_dir`; returns the files by format."""
    from autograder.reporters import junit

    from autograder.files import atomic_write

    out_dir.mkdir(parents=True, exist_ok=True)
    # the internal record, for regrades and TAs; like every file here written atomically (a
    # grader killed mid-write leaves the old file or none, never a part)
    record = atomic_write(out_dir / "submission_result.json", result.dumps() + "\n")
    files = {name: module.write(result, out_dir / file) for name, module, file in _platform_files()}
    return {**files, "junit": junit.write(result, out_dir / "junit.xml"), "record": record}


def rewrite_platform_results(result, out_dir: Path) -> None:
    """Gradescope's and PrairieLearn's files again, from `result` as the class stands now (TA
    scores laid over, the late penalty in its final score): they were written when the student
    was graded, and a student's score there must be the one in the gradebook. Unchanged files
    keep their bytes and mtime."""
    from autograder.files import write_if_changed

    for _, module, file in _platform_files():
        write_if_changed(out_dir / file, module.dumps(result))


def _platform_files():
    """(format, reporter module, file name) of what a student's platform reads."""
    from autograder.reporters import gradescope, prairielearn

    return (("gradescope", gradescope, "results.json"), ("prairielearn", prairielearn, "prairielearn.json"))

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

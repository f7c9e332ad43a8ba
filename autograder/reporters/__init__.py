"""Output formats. Each module turns a SubmissionResult into one file format, nothing else."""
from __future__ import annotations

from pathlib import Path


def write_results(result, out_dir: Path) -> dict[str, Path]:
    """Every per-submission format into `out_dir`; returns the files by format."""
    from autograder.reporters import gradescope, junit, prairielearn

    out_dir.mkdir(parents=True, exist_ok=True)
    record = out_dir / "submission_result.json"  # the internal record, for regrades and TAs
    record.write_text(result.dumps() + "\n", encoding="utf-8")
    return {
        "gradescope": gradescope.write(result, out_dir / "results.json"),
        "prairielearn": prairielearn.write(result, out_dir / "prairielearn.json"),
        "junit": junit.write(result, out_dir / "junit.xml"),
        "record": record,
    }

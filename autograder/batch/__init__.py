"""Grading a whole class: `autograder grade-all SUBMISSIONS`.

- `discover`  which student handed in what (nbgrader tree, flat folder, LMS zip; safe extraction)
- `records`   per-student records, committed atomically; fingerprints for skipping
- `pool`      warm grading worker processes, one submission at a time each
- `worker`    the worker process (`python -m autograder.batch.worker`)
- `progress`  the text progress display
- `outputs`   gradebook, CSV, feedback pages and class summary, rebuilt from the records
- `run`       `grade_all`, tying these together
"""
from autograder.batch.run import BatchError, BatchReport, default_jobs, default_out_dir, grade_all

__all__ = ["grade_all", "BatchReport", "BatchError", "default_jobs", "default_out_dir"]

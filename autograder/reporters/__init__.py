"""Output formats. Each module turns a SubmissionResult into one file format, nothing else."""

"""Exit codes of every command, and the error that ends one with a one-line usage message."""

EXIT_OK, EXIT_USAGE, EXIT_GRADER_FAULT = 0, 2, 3  # done (whatever the score), usage error, grader fault


class UsageError(Exception):
    """Bad arguments or inputs: said in one line, before any grading; exit code 2."""

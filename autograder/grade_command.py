"""`autograder grade` and `autograder check`: one submission through the grader, printed.

The submission is looked at before any grading (a usage error, exit 2, in one line: not a
notebook, nothing of the assignment in it, a whole class, a release without grading material),
then graded once; results are written before anything is printed, so a closed pipe loses none.
"""
from __future__ import annotations

import sys
from pathlib import Path

from autograder.usage import EXIT_GRADER_FAULT, EXIT_OK, UsageError


def notebook_path(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"{path} does not exist; give a submitted notebook (.ipynb) or a folder of them")
    if path.is_file() and path.suffix.lower() != ".ipynb":
        raise UsageError(f"{path} is not a notebook; give your .ipynb file (or a folder of them)")
    if path.is_dir() and not any(".ipynb_checkpoints" not in p.parts for p in path.rglob("*.ipynb")):
        raise UsageError(f"{path} holds no .ipynb notebook; give your notebook or the folder holding it")


def check_submission(path: Path, public_only: bool, paths) -> None:
    """The submission's notebooks as the grader will see them; a usage error when there is
    nothing of the assignment to grade (`check`) or when it is a whole class (`grade`)."""
    from autograder.assignment import load_assignment
    from autograder.notebooks import class_folder, recognise

    notebook_path(path)
    config = load_assignment(paths)
    if config.public_only and not public_only:
        raise UsageError(f"{paths.release} holds the release of {paths.name} only, no grading material "
                         f"(source/{paths.name}/grading/): `autograder grade` needs it; students run `autograder check`")
    rec = recognise(path.resolve(), config)
    why = class_folder(rec, path.resolve())
    if why and not public_only:
        raise UsageError(f"{path} looks like a whole class ({why}); grade a class with "
                         f"`autograder grade-all {path}`, or give one student's folder")
    if public_only and not rec.found:
        first = rec.problems[0] if rec.problems else "no notebook of the assignment found"
        raise UsageError(f"{first}; nothing to check")


def run_grade(path: Path, paths, public_only: bool, out: Path | None, device: str, student: str | None = None) -> int:
    """Grade (or, `public_only`, check) `path` (checked by check_submission) with the assignment at
    `paths` on `device` (resolved); `out` (checked) gets the results files. Returns the exit code."""
    from autograder.engine.run import GraderFault
    from autograder.grader_memory import is_memory_error, limit_grader_memory, memory_message
    from autograder.grading import GradeRequest, grade_submission
    from autograder.reporters import write_results
    from autograder.reporters.html import write_feedback
    from autograder.reporters.text import summary_lines

    request = GradeRequest(submission=path.resolve(), device=device, public_only=public_only, student=student)
    extra = [out] if out else []
    try:
        memory_mb = limit_grader_memory(device)
    except ValueError as e:
        raise UsageError(str(e)) from None
    try:
        result = grade_submission(request, paths, extra_hidden=extra)
    except GraderFault as e:
        print(f"autograder: the grader itself failed; this is not the submission's fault:\n{e}", file=sys.stderr)
        return EXIT_GRADER_FAULT
    except MemoryError:
        print(f"autograder: {memory_message(memory_mb)}", file=sys.stderr)
        return EXIT_GRADER_FAULT
    files = {}
    if out is not None:  # written before anything is printed: a closed pipe loses no result
        files = write_results(result, out)
        files["feedback"] = write_feedback(result, out / "feedback.html")
    if public_only:
        print_public(result)
    else:
        print("\n".join(summary_lines(result)))
    if files:
        print(f"results written to {out}/ ({', '.join(p.name for p in files.values())})")
    for warning in result.grader_warnings:
        print(f"autograder: warning: {warning}", file=sys.stderr)
    if result.grader_errors:
        if memory_mb and any(is_memory_error(e) for e in result.grader_errors):
            print(f"autograder: {memory_message(memory_mb)}", file=sys.stderr)
        print(f"autograder: {len(result.grader_errors)} grader error(s); see submission_result.json", file=sys.stderr)
        return EXIT_GRADER_FAULT
    return EXIT_OK


def print_public(result) -> None:
    from autograder.reporters.escape import terminal
    from autograder.results import Status

    failed = [c for c in result.checks if c.status is not Status.PASSED]
    for e in result.format_errors:
        print(f"not checked: {terminal(e)}")
    for c in result.checks:  # messages and notes may hold the student's text: shown, not obeyed
        mark = "ok  " if c.status is Status.PASSED else "FAIL"
        print(f"{mark} {terminal(c.name)}" + (f"\n       {terminal(c.message)}" if c.status is not Status.PASSED else ""))
        if c.hint and c.status is not Status.PASSED:  # a known mistake: what to revisit
            print("\n".join(f"       {terminal(line)}" for line in c.hint.splitlines()))
    for n in result.notes:
        print(f"note: {terminal(n)}")
    if not result.checks:
        print("no public check ran: is this a notebook of the assignment?")
    elif failed:
        print(f"{len(failed)} of {len(result.checks)} public checks failed.")
    else:
        # Never "all tests passed": hidden checks with other inputs still follow.
        print(f"public checks passed ({len(result.checks)}). Hidden checks with other inputs run when you submit.")

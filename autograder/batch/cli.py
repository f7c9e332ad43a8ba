"""Arguments and entry of `autograder grade-all`, for autograder/cli.py to wire in:

    from autograder.batch.cli import add_arguments, run
    g = sub.add_parser("grade-all", help=HELP)
    add_arguments(g)
    ...
    def cmd_grade_all(args):
        return run(args, _paths(args, args.assignment), _device(args.device))

`python -m autograder.batch SUBMISSIONS ...` runs the same without the main CLI.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "grade a whole class in parallel: gradebook, CSV, feedback pages, class summary"
EXIT_OK, EXIT_USAGE, EXIT_GRADER_FAULT = 0, 2, 3


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("submissions", type=Path,
                   help="nbgrader's submitted/ folder (or its course folder), a folder of <student>.ipynb "
                        "files or <student>/ folders, or a zip exported from an LMS")
    p.add_argument("--assignment", help="assignment to grade (a folder under source/; default: the course's only one)")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="submissions graded at once (default: one per CPU core)")
    p.add_argument("--db", help="gradebook: a SQLite file or a SQLAlchemy URL without a password (default: the nbgrader "
                                "course's gradebook.db when SUBMISSIONS is its submitted/ folder, else DIR/gradebook.db; a rerun "
                                "uses the gradebook the first run wrote). "
                                "A URL with a password goes in $AUTOGRADER_DB_URL or --db-file, never on the command line")
    p.add_argument("--db-file", type=Path, help="a file (readable only by you) whose first line is the gradebook URL")
    p.add_argument("--out", type=Path, help="results folder DIR (default: SUBMISSIONS-results beside it): class outputs "
                                            "in DIR/, each student's in DIR/students/<id>/")
    p.add_argument("--student", help="grade this student only (the class outputs still list everyone)")
    p.add_argument("--force", action="store_true", help="regrade submissions that are already graded and unchanged")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"),
                   help="where submissions run: cpu, cuda (an error without a GPU), or auto")
    p.add_argument("--roster", type=Path, help="students expected (CSV with an id column, or one id a line): "
                                               "those without a submission are listed as missing")
    p.add_argument("--extensions", type=Path, help="a CSV of per-student extensions (student, and due, days or "
                                                   "hours), besides the assignment's own ([deadline] extensions)")
    p.add_argument("--similarity", nargs="?", const=True, default=False, type=Path, metavar="FOLDER",
                   help="staff only: compare every pair of students (code and short answers) into DIR/similarity/ "
                        "and show the ranked pairs on summary.html; with FOLDER, show the report `autograder "
                        "similarity` wrote there instead. Never in any student's output")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace, paths, device: str) -> int:
    from autograder.assignment import ConfigError
    from autograder.batch import BatchError, grade_all
    from autograder.gradebook import GradebookError, explicit
    from autograder.reporters.escape import terminal

    try:
        db = explicit(db=args.db, db_file=args.db_file)  # None: the default gradebook
    except GradebookError as e:
        print(f"autograder grade-all: {e}", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print("autograder grade-all: --jobs must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    if not args.submissions.exists():
        print(f"autograder grade-all: {args.submissions} does not exist", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = grade_all(args.submissions, paths, out=args.out, db=db, jobs=args.jobs, student=args.student,
                           force=args.force, device=device, roster=args.roster, progress=not args.quiet,
                           grader=getattr(args, "grader", None), extensions=args.extensions,
                           similarity=args.similarity)
    except BatchError as e:
        print(f"autograder grade-all: {terminal(e)}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as e:  # the assignment itself is wrong (a stale manifest, a bad setting)
        print(f"autograder grade-all: the assignment cannot be used: {terminal(e)}", file=sys.stderr)
        return EXIT_GRADER_FAULT
    print(terminal(report.describe()))
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    from autograder.assignment_choice import choose
    from autograder.course import CourseNotFound
    from autograder.devices import DeviceUnavailable, resolve_device

    p = argparse.ArgumentParser(prog="python -m autograder.batch", description=HELP)
    p.add_argument("--course", type=Path, help="course folder holding source/ (default: found from the working directory)")
    add_arguments(p)
    p.add_argument("--grader", help=argparse.SUPPRESS)  # "module:function" replacing the engine (tests)
    args = p.parse_args(argv)
    try:
        paths = choose(args.course.resolve() if args.course else None, args.assignment)
        device = resolve_device(args.device)
    except (CourseNotFound, DeviceUnavailable) as e:
        print(f"autograder grade-all: {e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return run(args, paths, device)
    except BrokenPipeError:  # the reader of stdout went away: the class is graded, stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK

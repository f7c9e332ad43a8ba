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
DEFAULT_TRIES = 2  # executor.DEFAULT_TRIES (not imported: this module stays light)
DEVICE_COLUMNS = ("student", "id", "student_id", "username")


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
    c = p.add_argument_group("grading on a Dask cluster (docs/cluster.md)")
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:PORT, tls://HOST:PORT) "
                        "instead of this machine's cores; its workers are `autograder cluster-worker`s")
    c.add_argument("--tries", type=int, default=None,
                   help=f"how often a submission whose grading process or worker machine dies is tried before it is "
                        f"recorded as ungradable (default {DEFAULT_TRIES}; an overrun is never tried again)")
    c.add_argument("--devices", type=Path, metavar="CSV",
                   help="a per-student device: a CSV with columns student,device (cpu or cuda); the others use "
                        "--device. On a cluster cuda jobs go to GPU workers")
    c.add_argument("--tls-ca-file", type=Path, help="TLS: the CA that signed the scheduler's and workers' certificates")
    c.add_argument("--tls-cert", type=Path, help="TLS: this client's certificate (PEM)")
    c.add_argument("--tls-key", type=Path, help="TLS: this client's private key (PEM)")


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
    try:
        engine = engine_of(args, device)
    except ValueError as e:
        print(f"autograder grade-all: {terminal(str(e))}", file=sys.stderr)
        return EXIT_USAGE
    if not args.submissions.exists():
        print(f"autograder grade-all: {args.submissions} does not exist", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = grade_all(args.submissions, paths, out=args.out, db=db, jobs=args.jobs, student=args.student,
                           force=args.force, device=device, roster=args.roster, progress=not args.quiet,
                           grader=getattr(args, "grader", None), engine=engine, extensions=args.extensions,
                           similarity=args.similarity)
    except BatchError as e:
        print(f"autograder grade-all: {terminal(e)}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as e:  # the assignment itself is wrong (a stale manifest, a bad setting)
        print(f"autograder grade-all: the assignment cannot be used: {terminal(e)}", file=sys.stderr)
        return EXIT_GRADER_FAULT
    print(terminal(report.describe()))
    return report.exit_code


def engine_of(args: argparse.Namespace, device: str):
    """Where the batch runs (executor.Engine) from the options; ValueError says what is wrong."""
    from autograder.batch.executor import Engine

    tries = DEFAULT_TRIES if args.tries is None else args.tries
    if tries < 1:
        raise ValueError("--tries must be 1 or more")
    devices = read_devices(args.devices) if args.devices else {}
    if any(v == "cuda" for v in devices.values()) and not args.scheduler and device != "cuda":
        from autograder.devices import DeviceUnavailable, resolve_device

        try:
            resolve_device("cuda")
        except DeviceUnavailable as e:
            raise ValueError(f"--devices {args.devices} grades some students on cuda: {e}") from None
    tls = (args.tls_ca_file, args.tls_cert, args.tls_key)
    if any(tls) and not args.scheduler:
        raise ValueError("--tls-* options are for --scheduler: a local run talks to no cluster")
    security = None
    if args.scheduler:
        from autograder.batch.cluster import security as make_security
        from autograder.batch.executor import ClusterError

        try:
            security = make_security(*tls)
        except ClusterError as e:
            raise ValueError(str(e)) from None
    return Engine(scheduler=args.scheduler, security=security, tries=tries, devices=devices)


def read_devices(path: Path) -> dict[str, str]:
    """student id -> device from a CSV (columns student and device); ValueError when unusable."""
    import csv

    from autograder.batch.discover import safe_student_id

    try:
        rows = list(csv.reader(Path(path).read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"--devices {path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    head = [h.strip().lower() for h in rows[0]] if rows else []
    who = next((head.index(c) for c in DEVICE_COLUMNS if c in head), None)
    if who is None or "device" not in head:
        raise ValueError(f"--devices {path}: give a CSV with a header row: student,device")
    col, devices = head.index("device"), {}
    for n, row in enumerate(rows[1:], start=2):
        if len(row) <= max(who, col) or not row[who].strip():
            continue
        dev = row[col].strip().lower()
        if dev not in ("cpu", "cuda"):
            raise ValueError(f"--devices {path}, line {n}: device must be cpu or cuda, not {row[col].strip()!r}")
        devices[safe_student_id(row[who].strip())] = dev
    return devices


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
        # On a cluster the workers have the GPUs: the device is resolved there, not here.
        device = args.device if args.scheduler else resolve_device(args.device)
    except (CourseNotFound, DeviceUnavailable) as e:
        print(f"autograder grade-all: {e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return run(args, paths, device)
    except BrokenPipeError:  # the reader of stdout went away: the class is graded, stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK

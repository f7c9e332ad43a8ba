"""`autograder` command line: argument parsing only; each command calls one module's function.

Exit codes: 0 the job was done (a submission was graded, whatever its score); 2 usage error (bad arguments,
missing files, an output folder that cannot be written, no CUDA for --device cuda), said in one line
before any grading; 3 grader fault (broken checks or configuration: the TA must look).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.usage import EXIT_GRADER_FAULT, EXIT_OK, EXIT_USAGE, UsageError

ASSIGNMENT_HELP = "assignment folder under source/ (default: the course's only assignment)"
DEVICES = ("cpu", "cuda", "auto")
DEVICE_HELP = "where submission code runs: cpu (default), cuda (an error without a GPU), or auto"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="autograder",
        description="Sandboxed autograder for the deep-learning course: release notebooks, check and grade "
                    "submissions on CPU or GPU, review short answers, build platform bundles.",
        epilog="Exit codes: 0 done (whatever the score), 2 usage error, 3 grader fault.")
    p.add_argument("--course", type=Path, help="course folder holding source/ or release/ (default: "
                                               "$AUTOGRADER_COURSE, else found from the working directory)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do (autograder COMMAND --help)")

    r = sub.add_parser("release", help="instructors: generate release/ (student notebooks) and solutions/ (answer key)")
    r.add_argument("assignment", nargs="?", help=ASSIGNMENT_HELP)

    li = sub.add_parser("lint", help="instructors: check an assignment (manifest, checks, points, rubric, public "
                                     "checks) the way the engine does when it loads it; exit 0 or 2")
    li.add_argument("assignment", nargs="?", help=ASSIGNMENT_HELP)
    li.add_argument("--settings", action="store_true", help="list every setting an assignment owns (sections of "
                                                            "assignment.toml and rubrics.toml), with defaults")

    g = sub.add_parser("grade", help="grade one student's submission (a folder of notebooks or one .ipynb)")
    g.add_argument("submission", type=Path, help="one student's notebooks: a folder or one .ipynb (a class: grade-all)")
    g.add_argument("--assignment", help=ASSIGNMENT_HELP)
    g.add_argument("--device", default="cpu", choices=DEVICES, help=DEVICE_HELP)
    g.add_argument("--out", type=Path, help="folder for results.json, prairielearn.json, junit.xml, "
                                            "submission_result.json and feedback.html (default: "
                                            "SUBMISSION-results beside it)")
    g.add_argument("--student", help="student id written into the results")

    from autograder.batch.cli import HELP as GRADE_ALL_HELP, add_arguments as add_grade_all_arguments
    from autograder.batch.cluster_worker import HELP as CLUSTER_WORKER_HELP, add_arguments as add_cluster_worker_arguments

    add_grade_all_arguments(sub.add_parser("grade-all", help=GRADE_ALL_HELP))
    add_cluster_worker_arguments(sub.add_parser("cluster-worker", help=CLUSTER_WORKER_HELP))

    c = sub.add_parser("check", help="students: run the public checks on your notebook")
    c.add_argument("notebook", type=Path, help="your notebook (.ipynb), or a folder of them")
    c.add_argument("--assignment", help="the assignment (default: the one whose grade cells the notebook has)")
    c.add_argument("--device", default="cpu", choices=DEVICES, help=DEVICE_HELP)

    rv = sub.add_parser("review", help="TAs: list flagged short answers, set or clear a TA score, settle answer groups, "
                                       "extend a deadline or waive a late penalty")
    rsub = rv.add_subparsers(dest="review_command", required=True, metavar="ACTION",
                             help="list, set, clear, settle-group, clear-group, extend or waive")
    rl = rsub.add_parser("list", help="the review queue: answer groups and answers not yet settled")
    rl.add_argument("--assignment", help="assignment name (default: the course's only one, else the results' only one)")
    rl.add_argument("--student", help="only this student's answers")
    rl.add_argument("--grade-id", help="only this question (grade id, e.g. q3_vanishing_gradient)")
    rs = rsub.add_parser("set", help="set a TA score that wins over the automatic one until cleared")
    rc = rsub.add_parser("clear", help="remove a TA score; the automatic score counts again")
    for q in (rs, rc):
        q.add_argument("assignment", help="assignment name, e.g. pytorch_basics")
        q.add_argument("student", help="student id as grades.csv lists it")
        q.add_argument("grade_id", help="grade cell, e.g. q3_vanishing_gradient or check_train")
    rs.add_argument("score", help="points for that grade cell (0 to its maximum)")
    rs.add_argument("--comment", help="why: shown to the student beside the score")
    rg = rsub.add_parser("settle-group", help="give every answer of an answer group the same TA score "
                                              "(review list and the summary page show the groups)")
    rcg = rsub.add_parser("clear-group", help="remove a group's TA score from its answers")
    for q in (rg, rcg):
        q.add_argument("assignment", help="assignment name, e.g. pytorch_basics")
        q.add_argument("group_id", help="the group's id as review list shows it, e.g. q5_softmax/3fa2c1d9e0")
    rg.add_argument("score", help="points for each answer of the group (0 to the question's maximum)")
    rg.add_argument("--comment", help="why: shown to every student of the group beside the score")
    re_ = rsub.add_parser("extend", help="move a student's deadline (kept in the gradebook, in every later regrade)")
    rw = rsub.add_parser("waive", help="waive the late penalty of a student's current submission")
    for q in (re_, rw):
        q.add_argument("assignment", help="assignment name, e.g. pytorch_basics")
        q.add_argument("student", help="student id as grades.csv lists it")
    re_.add_argument("--days", type=float, help="days added to the deadline")
    re_.add_argument("--hours", type=float, help="hours added to the deadline")
    re_.add_argument("--until", help="the new deadline, a date-time with its zone (2025-10-23T12:00:00+08:00)")
    re_.add_argument("--clear", action="store_true", help="remove the TA's extension (and any waiver)")
    for q in (rl, rs, rc, rg, rcg, re_, rw):
        q.add_argument("--results", type=Path, required=q in (rl, rg),
                       help="results folder of grade-all (its --out): its gradebook is used")
        q.add_argument("--db", help="the gradebook itself: a SQLite file or a URL without a password")
        q.add_argument("--db-file", type=Path, help="a file whose first line is the gradebook URL")

    b = sub.add_parser("bundle", help="instructors: build a platform bundle (Gradescope autograder zip)")
    bs = b.add_subparsers(dest="platform", required=True, metavar="PLATFORM", help="the platform (gradescope)")
    bg = bs.add_parser("gradescope", help="the autograder zip for Gradescope")
    bg.add_argument("--assignment", help=ASSIGNMENT_HELP)
    bg.add_argument("--out", type=Path, help="the zip to write (default: <course>/out/gradescope/autograder.zip)")
    for name, helptext in (("gradescope", "inside Gradescope: grade /autograder/submission"),
                           ("prairielearn", "inside PrairieLearn's external grader: grade /grade/student")):
        x = sub.add_parser(name, help=helptext)
        x.add_argument("--root", type=Path, default=Path("/"), help="filesystem root of the platform's layout (tests use a temporary one)")
    ci = sub.add_parser("ci", help="student-repository CI: grade the pushed notebooks")
    ci.add_argument("repo", type=Path, nargs="?", default=Path("."), help="the student's repository (default: .)")
    ci.add_argument("--out", type=Path, default=Path("feedback"), help="feedback folder (default: feedback)")
    ci.add_argument("--assignment", help="assignment name (default: $AUTOGRADER_ASSIGNMENT, else the only one)")
    ci.add_argument("--device", choices=DEVICES, help=DEVICE_HELP)

    from autograder.similarity.cli import HELP as SIMILARITY_HELP, add_arguments as add_similarity_arguments

    add_similarity_arguments(sub.add_parser("similarity", help=SIMILARITY_HELP))

    d = sub.add_parser("demo", help="the README's first command: release the assignment, then grade a class of eleven "
                                    "example submissions (complete, typical, buggy, hostile, ...) with grade-all")
    d.add_argument("--out", type=Path, default=Path("out/demo"),
                   help="folder for the throw-away course, submissions and results (default: out/demo; "
                        "replaced on every run, so it must be new, empty, or an earlier demo's)")
    d.add_argument("--jobs", type=int, help="submissions graded at once (default: one per core)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from autograder.assignment import ConfigError

    try:
        return _COMMANDS[args.command](args)
    except UsageError as e:
        from autograder.reporters.escape import terminal

        print(f"autograder {args.command}: {terminal(e)}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as e:  # the assignment itself is wrong (stale manifest, bad setting): a TA must look
        print(f"autograder {args.command}: the assignment cannot be used: {e}", file=sys.stderr)
        return EXIT_GRADER_FAULT
    except BrokenPipeError:
        # The reader went away (`autograder review list | head`): stop quietly, and keep Python
        # from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _course(args: argparse.Namespace) -> Path | None:
    from autograder.course import CourseNotFound, check_course_root

    try:
        return check_course_root(args.course) if args.course else None
    except CourseNotFound as e:
        raise UsageError(str(e)) from None


def _paths(args: argparse.Namespace, assignment: str | None):
    """The assignment named, else the course's only one (no assignment is the default)."""
    from autograder.assignment_choice import choose
    from autograder.course import CourseNotFound

    ask = f"`autograder {args.command} NAME`" if args.command in ("release", "lint") else "--assignment NAME"
    try:
        return choose(_course(args), assignment, ask)
    except CourseNotFound as e:
        raise UsageError(str(e)) from None


def _prestart(device: str) -> None:
    """The sandbox's fork server imports torch while this process imports the grader."""
    from autograder.sandbox.launchers import prestart

    prestart(device)


def _device(name: str) -> str:
    from autograder.devices import DeviceUnavailable, resolve_device

    try:
        return resolve_device(name)
    except DeviceUnavailable as e:
        raise UsageError(str(e)) from None


def _output_dir(path: Path, what: str = "--out") -> Path:
    from autograder.files import OutputError, prepare_output_dir

    try:
        return prepare_output_dir(path, what)
    except OutputError as e:
        raise UsageError(str(e)) from None


def cmd_release(args: argparse.Namespace) -> int:
    from autograder.release import ReleaseError, release_assignment

    paths = _paths(args, args.assignment)
    try:
        report = release_assignment(paths)
    except ReleaseError as e:
        print(f"autograder release: {e}", file=sys.stderr)
        return EXIT_GRADER_FAULT
    print(report.describe() if hasattr(report, "describe") else report)
    return EXIT_OK


def cmd_grade(args: argparse.Namespace) -> int:
    from autograder.grade_command import check_submission, run_grade

    sub = args.submission
    out = args.out or (sub.parent / f"{sub.stem}-results" if sub.is_file() else sub.parent / f"{sub.name}-results")
    paths = _paths(args, args.assignment)
    check_submission(sub, False, paths)
    device = _device(args.device)
    out_dir = _output_dir(out)
    _prestart(device)  # after every check of the command line: a refused command starts nothing
    return run_grade(sub, paths, public_only=False, out=out_dir, device=device, student=args.student)


def _notebook_assignment(args: argparse.Namespace):
    """`check`: the assignment the notebook belongs to, said when the user did not name it."""
    from autograder.assignment_choice import choose_for_notebook
    from autograder.course import CourseNotFound
    from autograder.grade_command import notebook_path

    notebook_path(args.notebook)
    try:
        choice = choose_for_notebook(args.notebook, _course(args), args.assignment)
    except CourseNotFound as e:
        raise UsageError(str(e)) from None
    if choice.said:
        print(f"checking {args.notebook} against the assignment {choice.paths.name} ({choice.said})")
    return choice.paths


def cmd_check(args: argparse.Namespace) -> int:
    from autograder.grade_command import check_submission, run_grade

    paths = _notebook_assignment(args)
    check_submission(args.notebook, True, paths)
    device = _device(args.device)
    _prestart(device)
    return run_grade(args.notebook, paths, public_only=True, out=None, device=device)


def cmd_lint(args: argparse.Namespace) -> int:
    if args.settings and args.assignment is None:
        from autograder.lint import all_settings_help

        print(all_settings_help())
        return EXIT_OK
    from autograder.lint import lint_assignment

    report = lint_assignment(_paths(args, args.assignment))
    print(report.describe())
    if args.settings:
        from autograder.lint import all_settings_help

        print(all_settings_help())
    return EXIT_OK if report.ok else EXIT_USAGE


def cmd_review(args: argparse.Namespace) -> int:
    from autograder import review
    from autograder.gradebook import GradebookError, locate

    course = _course(args)
    try:
        if args.review_command == "list":
            try:
                where = locate(db=args.db, db_file=args.db_file, results=args.results, course=course)
            except GradebookError:
                if args.db or args.db_file:
                    raise
                where = None  # the queue still shows; its commands then need a gradebook
            assignment = args.assignment or _only_assignment_or_none(args)
            text = review.cmd_review_list(assignment, args.results, where, student=args.student,
                                          grade_id=args.grade_id)
        else:
            where = locate(db=args.db, db_file=args.db_file, results=args.results, course=course)
            if args.review_command == "set":
                text = review.cmd_review_set(where, args.assignment, args.student, args.grade_id, args.score,
                                             args.comment, _comment_cell(args))
            elif args.review_command in ("extend", "waive"):
                from autograder.review.deadlines import cmd_review_extend, cmd_review_waive

                text = (cmd_review_waive(where, args.assignment, args.student) if args.review_command == "waive" else
                        cmd_review_extend(where, args.assignment, args.student, days=args.days, hours=args.hours,
                                          until=args.until, clear=args.clear))
            elif args.review_command == "settle-group":
                text = review.cmd_review_settle_group(where, args.assignment, args.group_id, args.score, args.comment,
                                                      args.results)
            elif args.review_command == "clear-group":
                text = review.cmd_review_clear_group(where, args.assignment, args.group_id)
            else:
                text = review.cmd_review_clear(where, args.assignment, args.student, args.grade_id, _comment_cell(args))
    except (review.ReviewError, GradebookError) as e:
        raise UsageError(str(e)) from None
    from autograder.reporters.escape import terminal

    print(terminal(text))  # flagged answers are the students' own text
    return EXIT_OK


def _only_assignment_or_none(args: argparse.Namespace) -> str | None:
    """The course's only assignment; None (the results' only one) when there is no course here."""
    try:
        return _paths(args, None).name
    except UsageError:
        return None


def _comment_cell(args: argparse.Namespace) -> str | None:
    """The solution cell a TA's comment on `args.grade_id` goes on, from the course's manifest
    (None without a course here: a comment on a code cell is then refused)."""
    from autograder.assignment import ConfigError, load_assignment
    from autograder.gradebook import comment_cells

    try:
        return comment_cells(load_assignment(_paths(args, args.assignment))).get(args.grade_id)
    except (UsageError, ConfigError):
        return None


def cmd_bundle(args: argparse.Namespace) -> int:
    from autograder.files import OutputError, prepare_output_file
    from autograder.platforms.bundle import BundleError
    from autograder.platforms.gradescope import DEFAULT_BUNDLE, cmd_bundle_gradescope

    paths = _paths(args, args.assignment)
    try:
        out = prepare_output_file(args.out or paths.course_root / DEFAULT_BUNDLE)
        cmd_bundle_gradescope(out, paths.course_root, paths.name)  # says where it wrote
    except (BundleError, OutputError) as e:
        raise UsageError(str(e)) from None
    return EXIT_OK


def cmd_gradescope(args: argparse.Namespace) -> int:
    from autograder.platforms.gradescope import run_gradescope

    return run_gradescope(args.root)


def cmd_prairielearn(args: argparse.Namespace) -> int:
    from autograder.platforms.prairielearn import run_prairielearn

    return run_prairielearn(args.root)


def cmd_ci(args: argparse.Namespace) -> int:
    from autograder.platforms.ci import run_ci

    return run_ci(args.repo, args.out, course_root=_course(args), assignment=args.assignment, device=args.device)


def cmd_demo(args: argparse.Namespace) -> int:
    from autograder.demo import DemoError, check_demo_out, run_demo

    from autograder.demo import DEMO_ASSIGNMENT

    paths = _paths(args, DEMO_ASSIGNMENT)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    try:
        out = check_demo_out(_output_dir(args.out))
    except DemoError as e:
        raise UsageError(str(e)) from None
    return run_demo(paths, out, jobs=args.jobs)


def cmd_cluster_worker(args: argparse.Namespace) -> int:
    from autograder.batch.cluster_worker import run

    return run(args)


def cmd_similarity(args: argparse.Namespace) -> int:
    from autograder.similarity.cli import run

    return run(args, _paths(args, args.assignment))


def cmd_grade_all(args: argparse.Namespace) -> int:
    from autograder.batch.cli import run

    # On a cluster the workers have the GPUs: the device is resolved there (batch/cluster.py).
    return run(args, _paths(args, args.assignment), args.device if args.scheduler else _device(args.device))


_COMMANDS = {"release": cmd_release, "lint": cmd_lint, "grade": cmd_grade, "grade-all": cmd_grade_all, "cluster-worker": cmd_cluster_worker,
             "check": cmd_check,
             "review": cmd_review, "demo": cmd_demo, "bundle": cmd_bundle, "gradescope": cmd_gradescope,
             "prairielearn": cmd_prairielearn, "ci": cmd_ci, "similarity": cmd_similarity}

"""Arguments and entry of `autograder similarity`, for autograder/cli.py to wire in:

    from autograder.similarity.cli import HELP, add_arguments, run
    s = sub.add_parser("similarity", help=HELP)
    add_arguments(s)
    ...
    def cmd_similarity(args):
        return run(args, _paths(args, args.assignment))

`python -m autograder.similarity SUBMISSIONS --out DIR` runs the same without the main CLI.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "staff only: rank pairs of students by the similarity of their code and short answers (HTML report)"
EXIT_OK, EXIT_USAGE, EXIT_GRADER_FAULT = 0, 2, 3
STAGING = ".staging"  # inside the report folder: LMS zips are extracted here


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("submissions", type=Path,
                   help="nbgrader's submitted/ folder (or its course folder), a folder of <student>.ipynb files or "
                        "<student>/ folders, or a zip exported from an LMS (as for grade-all)")
    p.add_argument("--assignment", help="assignment folder under source/ (default: the course's only one; its "
                                        "release and key are discounted)")
    p.add_argument("--out", type=Path, help="staff folder for similarity.html and similarity.json "
                                            "(default: SUBMISSIONS-similarity beside SUBMISSIONS)")
    p.add_argument("--threshold", type=float, help="pairs at or above this score (0-1) form clusters (default 0.5)")
    p.add_argument("--jobs", "-j", type=int, help="processes reading and fingerprinting submissions "
                                                  "(default: one per CPU core)")
    p.add_argument("--no-key", action="store_true",
                   help="do not discount the answer key's code and answers (the release's starter code still is)")


def default_out(submissions: Path) -> Path:
    s = submissions.resolve()
    return s.with_name(f"{s.stem if s.is_file() else s.name}-similarity")


def run(args: argparse.Namespace, paths) -> int:
    from autograder.batch.discover import SubmissionsError, discover

    from .analysis import SimilarityError, similarity_report
    from .config import SimilarityConfig

    prog = "autograder similarity"
    if not args.submissions.exists():
        print(f"{prog}: {args.submissions} does not exist", file=sys.stderr)
        return EXIT_USAGE
    if not paths.release.is_dir():
        print(f"{prog}: no release at {paths.release}; run `autograder release {paths.name}` first", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print(f"{prog}: --jobs must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    out = (args.out or default_out(args.submissions)).resolve()
    root = args.submissions.resolve()
    if root.is_dir() and (out == root or root in out.parents):
        print(f"{prog}: the report folder {out} is inside SUBMISSIONS; it would be read as a student's "
              "submission next time: choose a staff folder outside it", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = SimilarityConfig() if args.threshold is None else SimilarityConfig(cluster_threshold=args.threshold)
        found = discover(args.submissions, paths.name, out / STAGING)
        if not found.submissions:
            raise SubmissionsError(f"no submissions found in {args.submissions}")
        report = similarity_report({s.student: s.path for s in found.submissions}, paths.release, out, config,
                                   key_dir=None if args.no_key else paths.solutions, assignment=paths.name,
                                   jobs=args.jobs)
    except (SubmissionsError, SimilarityError, ValueError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return EXIT_USAGE
    for note in found.notes or []:
        print(f"note: {note}", file=sys.stderr)
    top = ", ".join(f"{p.a}~{p.b} {p.score:.0%}" for p in report.top(3)) or "no similar pairs"
    print(f"{len(report.students)} students, {report.pairs_total} pairs in {report.elapsed_s:.1f} s; "
          f"{len(report.flagged())} pairs >= {report.threshold:.0%}, {len(report.clusters)} clusters; top: {top}")
    print(f"similarity, not proof (staff only): {report.html}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    from autograder.assignment_choice import choose
    from autograder.course import CourseNotFound

    p = argparse.ArgumentParser(prog="python -m autograder.similarity", description=HELP)
    p.add_argument("--course", type=Path, help="course folder holding source/ (default: found from the working directory)")
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        paths = choose(args.course.resolve() if args.course else None, args.assignment)
    except CourseNotFound as e:
        print(f"autograder similarity: {e}", file=sys.stderr)
        return EXIT_USAGE
    return run(args, paths)

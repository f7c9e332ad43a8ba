"""PrairieLearn's external grader: what the grading container runs for each submission.

    info.json: "externalGradingOptions": {"image": ..., "entrypoint": "autograder prairielearn", ...}
    (or, before that command is wired: python -P -m autograder.platforms.prairielearn)

PrairieLearn mounts the job under /grade (https://prairielearn.readthedocs.io/en/latest/externalGrading/):
the student's files in /grade/student, the question's data object in /grade/data/data.json, the
course's serverFilesCourse selection in /grade/serverFilesCourse, the question's tests/ in
/grade/tests; the grader writes /grade/results/results.json (the folder is not made for it).

The grading material is looked up in /grade/serverFilesCourse/autograder/source/<assignment>/grading/,
then /grade/tests/source/<assignment>/grading/, then $AUTOGRADER_COURSE (a private image with the
material baked in). The assignment is $AUTOGRADER_ASSIGNMENT, else data.json's params.assignment,
else the only one there; a question about one notebook sets params.notebook (or
$AUTOGRADER_NOTEBOOK) and is scored on that notebook's checks only.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from autograder.assignment import ConfigError
from autograder.platforms.common import (UNKNOWN_ASSIGNMENT, EXIT_OK, EXIT_USAGE, SETUP_FAULT_MESSAGE, Outcome,
                                         PlatformError, fault_result, grade, log, only_notebook,
                                         pick_assignment, provenance, read_json, restrict, write_json)
from autograder.platforms.paths import PlatformPaths
from autograder.results import SubmissionResult


def _course(paths: PlatformPaths) -> Path:
    found = paths.course
    if found is not None:
        return found
    env = os.environ.get("AUTOGRADER_COURSE")
    if env and any((Path(env) / "source").glob("*/grading/assignment.toml")):
        return Path(env)
    raise PlatformError("no grading material: list the course's grading folder in info.json's "
                        "externalGradingOptions.serverFilesCourse (serverFilesCourse/autograder/source/"
                        "<assignment>/grading/), or use an image with it baked in and AUTOGRADER_COURSE set")


def _setting(name: str, params: dict) -> str | None:
    value = os.environ.get(f"AUTOGRADER_{name.upper()}") or params.get(name)
    return str(value) if value else None


def run_prairielearn(root: Path = Path("/")) -> int:
    """Grade /grade/student (under `root`) and write /grade/results/results.json."""
    from autograder.reporters import prairielearn as report
    from autograder.reporters.text import summary_lines

    paths = PlatformPaths.prairielearn(Path(root))
    data = read_json(paths.data_file)
    params = data.get("params") if isinstance(data.get("params"), dict) else {}
    device = os.environ.get("AUTOGRADER_DEVICE", "cpu")
    notebook = _setting("notebook", params)
    restrict([paths.source, paths.submission.parent / "tests", paths.data_file.parent])
    try:
        course = _course(paths)
        assignment = pick_assignment(course, _setting("assignment", params))
        missing = _missing_notebook(paths.submission, course, assignment, notebook) if notebook else None
    except (PlatformError, ConfigError) as e:
        outcome = Outcome(fault_result(_setting("assignment", params) or UNKNOWN_ASSIGNMENT, None,
                                       SETUP_FAULT_MESSAGE, device, str(e)), EXIT_USAGE, [str(e)])
    else:
        if missing:
            # Nothing of this question's notebook was submitted: not gradable, the attempt is not counted.
            outcome = Outcome(SubmissionResult(assignment=assignment, student=None, gradable=False,
                                               format_errors=missing, device=device), EXIT_OK)
        else:
            outcome = grade(paths.submission, course, assignment, device=device, hidden=paths.hidden)
            if notebook:
                outcome.result = only_notebook(outcome.result, notebook)
    write_json(paths.results_file, report.render(outcome.result))
    # PrairieLearn may show the job's stdout/stderr to the student: summaries only, never the
    # grader's tracebacks (they can quote check code); staff reproduce them with `autograder grade`.
    faults = ([f"{len(outcome.log)} grader error(s), withheld from this log: grade the submission with "
               "`autograder grade` to see them"] if outcome.log else [])
    log([provenance(), *summary_lines(outcome.result, limit=100), *faults,
         f"results written to {paths.results_file} (exit {outcome.exit_code})"])
    return outcome.exit_code


def _missing_notebook(submission: Path, course: Path, assignment: str, stem: str) -> list[str] | None:
    """Why the question's notebook cannot be graded (a list of reasons), or None when it is there."""
    from autograder.assignment import load_assignment
    from autograder.notebooks import recognise

    config = load_assignment(course / "source" / assignment / "grading" / "assignment.toml")
    if stem not in {nb.stem for nb in config.notebooks}:
        raise PlatformError(f"the question names notebook {stem!r}, which {assignment} does not have")
    rec = recognise(submission, config)
    if stem in rec.found:
        return None
    return [f"none of the submitted files is notebook {stem}", *rec.problems]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.platforms.prairielearn", description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=Path("/"), help="folder holding grade/ (default: /)")
    args = p.parse_args(argv)
    return run_prairielearn(args.root)


if __name__ == "__main__":
    raise SystemExit(main())

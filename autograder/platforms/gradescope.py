"""Gradescope: the autograder zip, and what runs inside Gradescope's container.

    autograder bundle gradescope [--out FILE]        -> cmd_bundle_gradescope(out, course_root)
    /autograder/run_autograder (in the zip)           -> python -P -m autograder.platforms.gradescope

The zip (https://gradescope-autograders.readthedocs.io/en/latest/specs/) holds:

    setup.sh              installs Python 3.11.7 and requirements.lock into /opt/autograder-venv
    run_autograder        grades /autograder/submission, writes /autograder/results/results.json
    requirements.lock, pyproject.toml, README.md     the pinned environment, the package metadata
    autograder/           the engine's source
    course/source/<assignment>/grading/              assignment.toml, rubrics.toml, checks/
    bundle.json           what is inside (sha256 of every file), for staff

Student code runs in the same container as /autograder/source: the sandbox runs it as an
unprivileged user with /autograder (submission parent, bundle, results) hidden, and the runner
passes the results and source folders as hidden explicitly.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.platforms import bundle
from autograder.platforms.common import (UNKNOWN_ASSIGNMENT, EXIT_GRADER_FAULT, EXIT_OK, EXIT_USAGE,
                                         PYTHON_VERSION, SETUP_FAULT_MESSAGE, Outcome, PlatformError,
                                         fault_result, grade, log, pick_assignment, provenance, read_json,
                                         restrict, write_json)
from autograder.platforms.paths import PlatformPaths

TEMPLATES = Path(__file__).resolve().parent / "templates"
UV_VERSION = "0.13.8"  # installs the exact Python build on Gradescope's Ubuntu image
VENV = "/opt/autograder-venv"
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
DEFAULT_BUNDLE = Path("out/gradescope/autograder.zip")


def _template(name: str) -> bytes:
    path = TEMPLATES / name
    if not path.is_file():
        raise bundle.BundleError(f"{path} is missing: the autograder package was installed without its templates")
    text = path.read_text(encoding="utf-8")
    for key, value in {"PYTHON_VERSION": PYTHON_VERSION, "UV_VERSION": UV_VERSION, "VENV": VENV,
                       "TORCH_INDEX": CPU_TORCH_INDEX}.items():
        text = text.replace(f"@{key}@", value)
    return text.encode("utf-8")


def bundle_entries(course_root: Path, assignment: str | None = None) -> list[bundle.Entry]:
    from autograder.course import AssignmentPaths

    assignment = assignment or pick_assignment(Path(course_root))  # no default: the course's only one
    paths = AssignmentPaths(Path(course_root).resolve(), assignment)
    entries = [
        bundle.Entry("setup.sh", _template("gradescope_setup.sh"), 0o755),
        bundle.Entry("run_autograder", _template("gradescope_run_autograder"), 0o755),
        *bundle.project_entries(paths.course_root),
        *bundle.package_entries(),
        *bundle.grading_entries(paths),
    ]
    import autograder

    entries.append(bundle.manifest(entries, platform="gradescope", assignment=assignment,
                                   autograder_version=autograder.__version__, python=PYTHON_VERSION))
    return entries


def cmd_bundle_gradescope(out: Path | None, course_root: Path, assignment: str | None = None) -> Path:
    """Write the Gradescope autograder zip for `assignment` (default: the only one) of the course at `course_root`."""
    assignment = assignment or pick_assignment(Path(course_root))
    out = Path(out) if out else Path(course_root) / DEFAULT_BUNDLE
    entries = bundle_entries(course_root, assignment)
    path = bundle.write_zip(out, entries)
    grading = sum(1 for e in entries if e.arcname.startswith(f"{bundle.BUNDLE_COURSE_DIR}/"))
    print(f"wrote {path} ({len(entries)} files: {grading} of grading material for {assignment}, "
          f"no notebooks); upload it as the assignment's autograder (base image Ubuntu 22.04)")
    return path


def run_gradescope(root: Path = Path("/")) -> int:
    """Grade /autograder/submission (under `root`) and write /autograder/results/results.json."""
    from autograder.reporters import gradescope as report
    from autograder.reporters.text import summary_lines

    paths = PlatformPaths.gradescope(Path(root))
    meta = read_json(paths.data_file)
    student = f"gradescope-submission-{meta['id']}" if meta.get("id") is not None else None
    device = os.environ.get("AUTOGRADER_DEVICE", "cpu")
    restrict([paths.source])
    try:
        course = paths.course
        if course is None:
            raise PlatformError(f"no grading material under {paths.course_candidates[0]}; was the bundle built "
                                "with `autograder bundle gradescope`?")
        assignment = pick_assignment(course, os.environ.get("AUTOGRADER_ASSIGNMENT"))
    except PlatformError as e:
        outcome = Outcome(fault_result(os.environ.get("AUTOGRADER_ASSIGNMENT") or UNKNOWN_ASSIGNMENT, student,
                                       SETUP_FAULT_MESSAGE, device, str(e)), EXIT_USAGE, [str(e)])
    else:
        from autograder.platforms.common import deadline_of
        from autograder.platforms.deadline import gradescope_time, with_late

        time, shift = gradescope_time(meta)  # Gradescope's submission time and its own extension
        policy, due, ext = deadline_of(course, assignment, student, shift)
        outcome = grade(paths.submission, course, assignment, device=device, hidden=paths.hidden, student=student,
                        due=due)
        if policy is not None and outcome.result.gradable:
            outcome.result = with_late(outcome.result, policy, time, due, ext)
    write_json(paths.results_file, report.render(outcome.result))
    # stdout is for staff only: results.json sets stdout_visibility to "hidden"
    log([provenance(), *summary_lines(outcome.result, limit=100), *outcome.log,
         f"results written to {paths.results_file} (exit {outcome.exit_code})"])
    return outcome.exit_code


def verify_install(source: Path) -> int:
    """setup.sh's last step: the environment matches requirements.lock and the material loads."""
    from autograder.assignment import load_assignment
    from autograder.platforms.environment import verify

    problems = verify(source / "requirements.lock", PYTHON_VERSION)
    course = source / bundle.BUNDLE_COURSE_DIR
    try:
        for name in (pick_assignment(course),):
            load_assignment(course / "source" / name / "grading" / "assignment.toml")
    except Exception as e:  # noqa: BLE001
        problems.append(str(e))
    for p in problems:
        print(f"setup check: {p}", file=sys.stderr)
    print("setup check: " + ("FAILED" if problems else f"ok ({provenance()})"))
    return EXIT_GRADER_FAULT if problems else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.platforms.gradescope", description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=Path("/"), help="folder holding autograder/ (default: /)")
    p.add_argument("--verify", action="store_true", help="check the installed environment and the bundle, grade nothing")
    args = p.parse_args(argv)
    if args.verify:
        return verify_install(PlatformPaths.gradescope(args.root).source)
    return run_gradescope(args.root)


if __name__ == "__main__":
    raise SystemExit(main())

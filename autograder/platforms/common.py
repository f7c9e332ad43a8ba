"""What the platform runners share: pick the assignment, grade one submission, never crash.

A runner (Gradescope, PrairieLearn, CI) always leaves a results file behind, even when the grader
itself fails: the student then reads a neutral message ("not your fault"), the TA reads the
traceback in the log the platform keeps for staff, and the exit code says which case it was.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

from autograder.results import SubmissionResult

EXIT_OK, EXIT_USAGE, EXIT_GRADER_FAULT = 0, 2, 3
UNKNOWN_ASSIGNMENT = "(unknown assignment)"  # in the record of a platform set up without one
PYTHON_VERSION = "3.11.7"  # the interpreter of every grading environment (images, bundle, CI)

GRADER_FAULT_MESSAGE = (
    "The autograder itself failed on this submission. This is not your fault and it cost you "
    "nothing; the course staff can see what went wrong and will grade it again. Please tell them."
)
SETUP_FAULT_MESSAGE = (
    "The autograder is not set up correctly for this assignment (a problem on the course's side, "
    "not in your submission). Please tell the course staff."
)


class PlatformError(Exception):
    """The platform's setup is wrong (no grading material, an unknown assignment): staff must fix it."""


@dataclass
class Outcome:
    result: SubmissionResult
    exit_code: int
    log: list[str] = field(default_factory=list)  # for staff only (tracebacks, grader errors)


def assignments_in(course: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in (course / "source").glob("*/grading/assignment.toml"))


def pick_assignment(course: Path, wanted: str | None = None) -> str:
    """The assignment to grade: `wanted` (from the platform's settings) or the only one there."""
    names = assignments_in(course)
    if wanted:
        if wanted not in names:
            raise PlatformError(f"no assignment {wanted!r} with grading material under {course}/source; "
                                f"found: {', '.join(names) or 'none'}")
        return wanted
    if len(names) == 1:
        return names[0]
    if not names:
        raise PlatformError(f"no grading material (source/<assignment>/grading/assignment.toml) under {course}")
    raise PlatformError(f"several assignments under {course}/source ({', '.join(names)}); "
                        "set AUTOGRADER_ASSIGNMENT to the one to grade")


def fault_result(assignment: str, student: str | None, message: str, device: str = "cpu",
                 detail: str = "") -> SubmissionResult:
    """A record for a submission the grader could not grade through no fault of the student."""
    return SubmissionResult(assignment=assignment, student=student, gradable=False, format_errors=[message],
                            device=device, grader_errors=[detail] if detail else [])


def grade(submission: Path, course: Path, assignment: str, *, device: str = "cpu",
          hidden: Sequence[Path] = (), student: str | None = None, due=None) -> Outcome:
    """Grade `submission` with the grading material of `course`; any failure of the grader becomes
    a record with a neutral message and exit code 3 (or 2 for a device the machine lacks). `due`:
    the student's own deadline (for the feedback the course shows after it)."""
    from autograder.course import AssignmentPaths
    from autograder.devices import DeviceUnavailable, resolve_device
    from autograder.grading import GradeRequest, grade_submission

    try:
        resolved = resolve_device(device)
    except DeviceUnavailable as e:
        return Outcome(fault_result(assignment, student, SETUP_FAULT_MESSAGE, device, str(e)), EXIT_USAGE, [str(e)])
    paths = AssignmentPaths(Path(course).resolve(), assignment)
    request = GradeRequest(submission=Path(submission).resolve(), device=resolved, student=student, due=due)
    try:
        result = grade_submission(request, paths, extra_hidden=[Path(p) for p in hidden])
    except Exception:  # noqa: BLE001 - whatever broke, the student gets a record and staff the traceback
        tb = traceback.format_exc()
        return Outcome(fault_result(assignment, student, GRADER_FAULT_MESSAGE, resolved, tb), EXIT_GRADER_FAULT, [tb])
    code = EXIT_GRADER_FAULT if result.grader_errors else EXIT_OK
    return Outcome(result, code, list(result.grader_errors))


def deadline_of(course: Path, assignment: str, student: str | None, shift=None):
    """(policy, the student's own deadline, its extension), or Nones when the configuration cannot
    be read (grading then reports that itself)."""
    from autograder.assignment import ConfigError, load_assignment
    from autograder.course import AssignmentPaths
    from autograder.platforms.deadline import student_deadline

    try:
        return student_deadline(load_assignment(AssignmentPaths(Path(course), assignment).config_file), student, shift)
    except ConfigError:
        return None, None, None


def only_notebook(result: SubmissionResult, stem: str) -> SubmissionResult:
    """The result restricted to one notebook's checks (a PrairieLearn question per notebook)."""
    return replace(result, checks=[c for c in result.checks if c.notebook == stem],
                   notes=list(result.notes), format_errors=list(result.format_errors))


def write_json(path: Path, doc: dict) -> Path:
    """Write atomically: a temporary file in the same folder, then rename over `path`. A symlink or
    half-written file planted at `path` is replaced, never followed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_json(path: Path) -> dict:
    """A platform's metadata file, or {} when it is missing or unreadable (it is optional)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def restrict(dirs: Sequence[Path]) -> None:
    """Defence in depth when the grader runs as root: make the platform's grading material
    unreadable to every other user (the sandbox runs submissions as an unprivileged uid and also
    hides these paths itself). Best effort: a read-only mount stays as it is."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    for d in dirs:
        try:
            if d.is_dir() and not d.is_symlink():
                os.chmod(d, 0o700)
        except OSError:
            pass


def log(lines: Sequence[str], stream=None) -> None:
    stream = stream or sys.stdout
    for line in lines:
        print(line, file=stream)
    stream.flush()


def provenance() -> str:
    """One line for the staff log: which code and which torch graded this submission."""
    import autograder

    try:
        from importlib.metadata import version

        torch_version = version("torch")
    except Exception:  # noqa: BLE001
        torch_version = "?"
    return (f"autograder from {Path(autograder.__file__).resolve().parent}, python {sys.version.split()[0]}, "
            f"torch {torch_version}")

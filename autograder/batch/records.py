"""Per-student records of a batch: what was graded, from which bytes, by which grader.

Every student's files live in their own namespace, `DIR/students/<student>/`, apart from the
class outputs in `DIR/` (so a student named `grades.csv` or `gradebook.db` collides with
nothing). `DIR/students/<student>/batch.json` is the commit point of one student's grading. It is written last,
atomically (temporary file + `os.replace`), after the per-student results files
(`results.json`, `prairielearn.json`, `junit.xml`, `submission_result.json`), each of which is
also replaced atomically. A student counts as graded iff `batch.json` exists, parses, and its
fingerprint matches the submission and grader of this run; so a batch killed at any moment
loses at most the submissions in flight, and a rerun grades exactly those again. Class outputs
(CSV, gradebook, pages) are rebuilt from these records at the end of every run, never
accumulated, so nothing is counted twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from autograder.assignment import AssignmentConfig
from autograder.files import MAX_SUBMITTED_FILE, atomic_write, is_regular, read_regular, regular_files
from autograder.results import SubmissionResult

RECORD_NAME = "batch.json"
RECORD_SCHEMA = 2  # 2: records under DIR/students/
STUDENTS_DIR = "students"
GRADED, UNGRADABLE = "graded", "ungradable"


@dataclass
class StudentRecord:
    student: str
    status: str  # GRADED or UNGRADABLE
    result: SubmissionResult
    fingerprint: str = ""
    source: str = ""  # where the submission came from, relative to SUBMISSIONS
    reason: str = ""  # why it could not be graded (student-facing)
    wall_s: float = 0.0  # seconds the grading process took for it
    graded_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": RECORD_SCHEMA, "student": self.student, "status": self.status,
            "reason": self.reason, "fingerprint": self.fingerprint, "source": self.source,
            "wall_s": self.wall_s, "graded_at": self.graded_at, "extra": self.extra,
            "result": self.result.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "StudentRecord":
        return cls(student=d["student"], status=d["status"], result=SubmissionResult.from_dict(d["result"]),
                   fingerprint=d.get("fingerprint", ""), source=d.get("source", ""),
                   reason=d.get("reason", ""), wall_s=float(d.get("wall_s", 0.0)),
                   graded_at=d.get("graded_at", ""), extra=dict(d.get("extra", {})))


def student_dir(out_dir: Path, student: str) -> Path:
    """The folder of one student's results, records and feedback page."""
    return out_dir / STUDENTS_DIR / student


def _hash_files(h: "hashlib._Hash", files: Iterable[tuple[str, Path]]) -> None:
    for rel, path in sorted(files):
        h.update(os.fsencode(rel) + b"\0")  # a name's bytes as they are, UTF-8 or not
        h.update(hashlib.sha256(path.read_bytes()).digest())


def submission_hash(path: Path) -> str:
    """Content hash of the notebooks of a submission (names and bytes; nothing else counts).
    Only regular files are read, bounded, through no link (autograder/files.py)."""
    h = hashlib.sha256(b"notebooks\0")
    if is_regular(path):
        files, root = [(path.name, path)], path.parent
    elif path.is_dir() and not path.is_symlink():
        files, root = [(p.relative_to(path).as_posix(), p) for p in regular_files(path, ".ipynb")], path
    else:
        files, root = [], path
    for rel, p in sorted(files):
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        try:
            h.update(hashlib.sha256(read_regular(p, MAX_SUBMITTED_FILE, root)).digest())
        except OSError as e:  # replaced meanwhile, or too large: the reason is the content
            h.update(f"unreadable: {e}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def grader_hash(grading_dir: Path, settings: dict[str, Any]) -> str:
    """Hash of what decides a grade besides the submission: the grader's version, the
    assignment's grading material (config, rubrics, checks) and the batch's settings (device,
    limits, grading function)."""
    from autograder import __version__

    h = hashlib.sha256(f"autograder {__version__}\0".encode())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    if grading_dir.is_dir():
        _hash_files(h, [(p.relative_to(grading_dir).as_posix(), p) for p in grading_dir.rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")])
    return h.hexdigest()


def fingerprint(sub_hash: str, grade_hash: str) -> str:
    return hashlib.sha256(f"{sub_hash}:{grade_hash}".encode()).hexdigest()[:32]


def read_record(student_dir: Path) -> StudentRecord | None:
    """The committed record of a student, or None (missing, half-written or unreadable)."""
    try:
        d = json.loads((student_dir / RECORD_NAME).read_text(encoding="utf-8"))
        if d.get("schema") != RECORD_SCHEMA:
            return None
        return StudentRecord.from_dict(d)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def commit(student_dir: Path, record: StudentRecord) -> Path:
    """Write a student's results files, then their record (the commit point), each atomically."""
    from autograder.reporters import write_results

    student_dir.mkdir(parents=True, exist_ok=True)
    for left in student_dir.glob(".staging-*"):  # from a grading process killed while committing
        shutil.rmtree(left, ignore_errors=True)
    for left in student_dir.glob(".*.tmp"):
        left.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=student_dir) as tmp:
        files = write_results(record.result, Path(tmp))
        for path in files.values():
            os.replace(path, student_dir / path.name)
    if not record.graded_at:
        record.graded_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return atomic_write(student_dir / RECORD_NAME, json.dumps(record.to_dict(), ensure_ascii=False, indent=1) + "\n")


def ungradable_result(config: AssignmentConfig, student: str, reason: str, device: str = "cpu",
                      grader_errors: list[str] | None = None) -> SubmissionResult:
    from autograder.not_graded import ungradable_result as zero_record  # one definition of "ungradable"

    return zero_record(config, student, reason, device, grader_errors)
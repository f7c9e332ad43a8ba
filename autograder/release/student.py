"""The student release: nbgrader's generate_assignment, run in a throw-away course folder.

nbgrader replaces solution regions with stubs, removes hidden tests and mark schemes, clears
outputs, locks grade cells and records checksums of them (so that `nbgrader validate` and the
grader can tell a student changed a locked cell). It also wants a gradebook database and copies
every file of the source folder; both happen here in a temporary folder only: the course's own
source/<assignment>/grading/ is never copied, and no gradebook is created in the repository.
"""
from __future__ import annotations

import copy
import logging
import shutil
from pathlib import Path

from nbformat import reads
from traitlets.config import Config

from autograder.gradebook.schema import create_tables

from .errors import ReleaseError
from .source import SourceNotebook
from .steps import FINAL_STEPS, notebook_bytes, run_steps, write_notebook

CODE_STUB = (
    "# YOUR CODE HERE\n"
    'raise NotImplementedError("Replace this line with your code. / 请删除这一行，在此处编写你的代码。")'
)
TEXT_STUB = "YOUR ANSWER HERE"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _quiet_logger(name: str) -> tuple[logging.Logger, _Collect]:
    log = logging.getLogger(f"autograder.release.nbgrader.{name}")
    log.propagate = False
    log.setLevel(logging.WARNING)
    for h in list(log.handlers):
        log.removeHandler(h)
    collect = _Collect()
    log.addHandler(collect)
    return log, collect


def nbgrader_config(course: Path, assignment: str) -> Config:
    c = Config()
    c.CourseDirectory.root = str(course)
    c.CourseDirectory.source_directory = "source"
    c.CourseDirectory.release_directory = "release"
    c.CourseDirectory.assignment_id = assignment
    # a private gradebook in the throw-away folder (never the course's)
    c.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "grading"]
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    # keep nbgrader's defaults explicit: locked grade cells, checksums, metadata checks
    c.LockCells.lock_grade_cells = True
    c.LockCells.lock_readonly_cells = True
    c.LockCells.lock_solution_cells = True
    c.GenerateAssignment.force = True
    c.GenerateAssignment.create_assignment = True
    return c


def stage_course(workdir: Path, assignment: str, sources: list[SourceNotebook], supporting: list[tuple[Path, Path]]) -> Path:
    """A minimal nbgrader course folder: course/source/<assignment>/ with the notebooks (kernelspec
    normalised, so that nbgrader and the answer key see the same `python3` kernel) and the
    supporting files; nothing from grading/."""
    course = workdir / "course"
    src_dir = course / "source" / assignment
    src_dir.mkdir(parents=True)
    for src in sources:
        nb = run_steps(copy.deepcopy(src.nb), src.rel, FINAL_STEPS)
        (src_dir / src.path.name).write_bytes(notebook_bytes(nb))
    for path, rel in supporting:
        dest = src_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    return course


def generate_release(course: Path, assignment: str, out_dir: Path) -> list[Path]:
    """Run nbgrader's GenerateAssignment on the staged course and write the normalised student
    notebooks (and copied supporting files) into out_dir. Returns the files written."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(course, assignment)
    # nbgrader would shell out to `alembic` (on PATH only in an activated venv) to create it
    create_tables(config.CourseDirectory.db_url)
    log, collect = _quiet_logger(assignment)
    coursedir = CourseDirectory(config=config, log=log)
    app = GenerateAssignment(coursedir=coursedir, config=config, log=log)
    try:
        app.start()
    except Exception as e:
        details = "\n".join(m for m in collect.messages if m.strip())
        raise ReleaseError(
            f"nbgrader generate_assignment failed for {assignment!r}: {e}\n{details}".rstrip()
        ) from e

    released = course / "release" / assignment
    written = []
    for path in sorted(released.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(released)
        dest = out_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".ipynb" and len(rel.parts) == 1:
            where = f"release/{assignment}/{rel.as_posix()}"
            nb = reads(path.read_text(encoding="utf-8"), as_version=4)
            write_notebook(run_steps(nb, where, FINAL_STEPS), dest, where)
        else:
            shutil.copyfile(path, dest)
        written.append(dest)
    return written

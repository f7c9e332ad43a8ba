"""Scores and comments into the nbgrader gradebook, so that `nbgrader formgrader` shows them.

The gradebook is nbgrader's own database, read and written through `nbgrader.api.Gradebook`:
a SQLite file by default, or any SQLAlchemy URL (`postgresql://...`). For each submission:

- the assignment, its notebooks and grade cells are created from `assignment.toml` when the
  gradebook lacks them (code grade cells `check_<name>` with their solution cells
  `sol_<name>`; markdown answer cells `q...`, which are grade and solution cell at once, as
  nbgrader makes them);
- students missing from the gradebook are added;
- each grade cell's `auto_score` is the sum of our checks' points for that grade_id, and the
  comment on its solution cell (`auto_comment`) lists the checks' verdicts and messages;
- a TA's override is never touched: `manual_score`, `extra_credit` and `manual_comment` belong
  to the TA (formgrader, or `autograder review`). The effective score of a cell is its
  `manual_score` when set (plus extra credit), else the `auto_score` - nbgrader's own rule;
- a flagged short answer that no TA has scored yet is marked `needs_manual_grade`, which
  formgrader lists as "needs manual grade".

Writing is idempotent: writing the same results twice leaves the same gradebook.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from autograder.assignment import AssignmentConfig
from autograder.results import CheckResult, Status, SubmissionResult

DEFAULT_DB_NAME = "gradebook.db"


def db_url_of(db: str | Path) -> str:
    """An SQLAlchemy URL: a URL is kept, a file path becomes sqlite:///<absolute path>."""
    s = str(db)
    if "://" in s:
        return s
    return f"sqlite:///{Path(s).expanduser().resolve()}"


def db_url(db: str | Path | None, default: Path) -> str:
    """A SQLAlchemy URL from `--db` (a URL, or a path to a SQLite file), else `default`."""
    return db_url_of(default if db is None else db)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (to hide it from workers), else None."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url[len("sqlite:///"):])
    return None


@dataclass(frozen=True)
class CellGrade:
    auto_score: float | None
    manual_score: float | None
    extra_credit: float | None
    max_score: float
    needs_manual_grade: bool
    notebook: str = ""
    manual_comment: str | None = None

    @property
    def overridden(self) -> bool:
        return self.manual_score is not None

    @property
    def score(self) -> float:
        """nbgrader's rule: manual score when set, else auto score; plus extra credit."""
        base = self.manual_score if self.manual_score is not None else (self.auto_score or 0.0)
        return round(base + (self.extra_credit or 0.0), 4)


@dataclass
class GradebookState:
    """What the gradebook holds for one assignment, by student and grade_id."""

    students: list[str] = field(default_factory=list)  # every student in the gradebook
    grades: dict[str, dict[str, CellGrade]] = field(default_factory=dict)  # submitted ones

    def overrides(self, student: str) -> dict:
        """The TA's scores of a student, as `autograder.review` stores and applies them
        (grade_id -> review.Override): the same store, read for the whole class at once."""
        from autograder.review import Override

        return {g: Override(grade_id=g, notebook=c.notebook, score=float(c.manual_score), comment=c.manual_comment,
                            max_score=c.max_score)
                for g, c in self.grades.get(student, {}).items() if c.overridden}


def solution_cell_for(grade_id: str, answer_cells: Iterable[str]) -> str:
    """The solution cell a grade cell's comment belongs to (nbgrader comments live there)."""
    if grade_id in set(answer_cells):
        return grade_id
    return "sol_" + grade_id.removeprefix("check_")


def comment_for(checks: list[CheckResult]) -> str:
    """Plain-text comment for one grade cell: each check's verdict and its message."""
    lines = []
    for c in checks:
        mark = {"passed": "✓", "failed": "✗", "error": "!"}[c.status.value]
        line = f"{mark} [{c.points:g}/{c.max_points:g}] {c.name}"
        if c.status is not Status.PASSED and c.message:
            line += f" — {c.message.strip()}"
        elif c.message:
            line += f" ({c.message.strip()})"
        if c.flagged:
            line += " [flagged for a TA's review]"
        lines.append(line)
    return "\n".join(lines)


def _alembic_head() -> str:
    import nbgrader.dbutil
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", nbgrader.dbutil.ALEMBIC_DIR)
    return ScriptDirectory.from_config(cfg).get_current_head()


def create_tables(url: str) -> None:
    """Create a new gradebook's tables and stamp nbgrader's schema version, as nbgrader does.

    nbgrader's Gradebook does this itself by running the `alembic` command, which fails unless
    the virtual environment's bin/ is on PATH; asking alembic's Python API for the same head
    revision needs no PATH. A gradebook that has tables is left alone."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url, future=True)
    try:
        if inspect(engine).get_table_names():
            return
        head = _alembic_head()
        Base.metadata.create_all(bind=engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})
    finally:
        engine.dispose()


def open_gradebook(url: str):
    """nbgrader's Gradebook at `url`, its SQLite folder and tables created when missing."""
    from nbgrader.api import Gradebook

    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    create_tables(url)
    return Gradebook(url)


def ensure_assignment(gb, config: AssignmentConfig) -> None:
    """Create the assignment's notebooks, grade cells and solution cells where missing."""
    from nbgrader.api import MissingEntry

    try:
        gb.find_assignment(config.name)
    except MissingEntry:
        gb.add_assignment(config.name)
    for nb in config.notebooks:
        try:
            gb.find_notebook(nb.stem, config.name)
        except MissingEntry:
            gb.add_notebook(nb.stem, config.name)
        for gid in (*nb.grade_cells, *nb.answer_cells):
            kind = "markdown" if gid in nb.answer_cells else "code"
            max_score = float(nb.cell_points.get(gid, 0.0))
            try:
                cell = gb.find_grade_cell(gid, nb.stem, config.name)
                if abs(cell.max_score - max_score) > 1e-9:
                    cell.max_score = max_score
                    gb.db.commit()
            except MissingEntry:
                gb.add_grade_cell(gid, nb.stem, config.name, max_score=max_score, cell_type=kind)
            sol = solution_cell_for(gid, nb.answer_cells)
            try:
                gb.find_solution_cell(sol, nb.stem, config.name)
            except MissingEntry:
                gb.add_solution_cell(sol, nb.stem, config.name)


def _ensure_student(gb, student: str) -> None:
    from nbgrader.api import MissingEntry

    try:
        gb.find_student(student)
    except MissingEntry:
        gb.add_student(student)


def _complete_submission(gb, sub) -> None:
    """Give a submission a notebook, grade and comment for every cell of the assignment (cells
    added to the gradebook after the submission was first written lack them)."""
    from nbgrader.api import Comment, Grade, SubmittedNotebook

    have = {snb.notebook.name: snb for snb in sub.notebooks}
    changed = False
    for notebook in sub.assignment.notebooks:
        snb = have.get(notebook.name)
        if snb is None:
            snb = SubmittedNotebook(notebook=notebook, assignment=sub)
            gb.db.add(snb)
            changed = True
        graded = {g.cell_id for g in snb.grades}
        commented = {c.cell_id for c in snb.comments}
        for cell in notebook.grade_cells:
            if cell.id not in graded:
                gb.db.add(Grade(cell_id=cell.id, notebook=snb))
                changed = True
        for cell in notebook.solution_cells:
            if cell.id not in commented:
                gb.db.add(Comment(cell_id=cell.id, notebook=snb))
                changed = True
    if changed:
        gb.db.commit()
        gb.db.refresh(sub)


def write_gradebook(url: str, config: AssignmentConfig, results: Iterable[SubmissionResult],
                    students: Iterable[str] = ()) -> GradebookState:
    """Write every result's scores and comments; add `students` (a roster) too. Returns what the
    gradebook then holds for the assignment (with any TA overrides)."""
    from nbgrader.api import MissingEntry

    gb = open_gradebook(url)
    try:
        ensure_assignment(gb, config)
        answer_cells = {g for nb in config.notebooks for g in nb.answer_cells}
        for s in students:
            _ensure_student(gb, s)
        for result in results:
            if not result.student:
                raise ValueError("a result without a student id cannot go into the gradebook")
            _ensure_student(gb, result.student)
            try:
                sub = gb.find_submission(config.name, result.student)
            except MissingEntry:
                with warnings.catch_warnings():  # nbgrader's own add_submission trips SQLAlchemy's autoflush warnings
                    warnings.simplefilter("ignore")
                    sub = gb.add_submission(config.name, result.student)
            _complete_submission(gb, sub)
            by_gid = result.by_grade_id()
            for snb in sub.notebooks:
                for grade in snb.grades:
                    gid = grade.cell.name
                    checks = by_gid.get(gid, [])
                    auto = round(sum(c.points for c in checks), 4) if checks else 0.0
                    grade.auto_score = auto
                    if grade.manual_score is None:
                        # Flagged answers wait for a TA; everything else is settled by the checks.
                        grade.needs_manual_grade = any(c.flagged for c in checks)
                comments = {c.cell.name: c for c in snb.comments}
                for gid in [g for g in by_gid if g in _cells_of(config, snb.notebook.name)]:
                    comment = comments.get(solution_cell_for(gid, answer_cells))
                    if comment is not None:
                        comment.auto_comment = comment_for(by_gid[gid])
                for gid in _cells_of(config, snb.notebook.name):
                    if gid not in by_gid:
                        comment = comments.get(solution_cell_for(gid, answer_cells))
                        if comment is not None:
                            reason = "; ".join(result.format_errors) or "no check ran for this cell"
                            comment.auto_comment = f"not graded: {reason}"
            gb.db.commit()
        return _state(gb, config.name)
    finally:
        gb.close()


def _cells_of(config: AssignmentConfig, stem: str) -> tuple[str, ...]:
    for nb in config.notebooks:
        if nb.stem == stem:
            return (*nb.grade_cells, *nb.answer_cells)
    return ()


def _state(gb, assignment: str) -> GradebookState:
    from nbgrader.api import MissingEntry

    state = GradebookState(students=sorted(s.id for s in gb.students))
    try:
        a = gb.find_assignment(assignment)
    except MissingEntry:
        return state
    for sub in a.submissions:
        cells: dict[str, CellGrade] = {}
        for snb in sub.notebooks:
            comments = {c.cell.name: c.manual_comment for c in snb.comments}
            answers = {c.name for c in snb.notebook.grade_cells if c.cell_type == "markdown"}
            for g in snb.grades:
                name = g.cell.name
                cells[name] = CellGrade(auto_score=g.auto_score, manual_score=g.manual_score,
                                        extra_credit=g.extra_credit, max_score=float(g.cell.max_score),
                                        needs_manual_grade=bool(g.needs_manual_grade), notebook=snb.notebook.name,
                                        manual_comment=comments.get(name) or comments.get(solution_cell_for(name, answers)))
        state.grades[sub.student.id] = cells
    return state


def read_gradebook(url: str, assignment: str) -> GradebookState:
    """What the gradebook holds for `assignment` (students, auto and manual scores)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return GradebookState()
    gb = open_gradebook(url)
    try:
        return _state(gb, assignment)
    finally:
        gb.close()


# -- formgrader's view of the submissions -------------------------------------------------------------

AUTOGRADED_MARK = "autograder_copy"


def formgrader_root(url: str, fallback: Path) -> Path:
    """The nbgrader course folder of a gradebook: where `nbgrader formgrader` is started. The
    folder holding a SQLite gradebook; `fallback` for other databases."""
    path = sqlite_path(url)
    return path.parent if path is not None else fallback


def write_formgrader_copies(root: Path, assignment: str, student: str, notebooks: dict[str, Path]) -> list[Path]:
    """Copy a student's submitted notebooks to `root/autograded/<student>/<assignment>/<stem>.ipynb`.

    nbgrader's formgrader lists and opens a submission for manual grading only when that file
    exists (nbgrader writes it in `nbgrader autograde`); with it, formgrader shows our scores and
    comments beside the student's cells. A file that nbgrader itself wrote there is left alone;
    our own copies (marked in the notebook metadata) are replaced when the submission changes."""
    import hashlib
    import json

    from autograder.files import atomic_write, read_regular

    written = []
    folder = root / "autograded" / student / assignment
    for stem, src in sorted(notebooks.items()):
        try:
            data = read_regular(src)  # a regular file, no link, bounded (files.py)
        except OSError:
            continue
        digest = hashlib.sha256(data).hexdigest()
        dest = folder / f"{stem}.ipynb"
        if dest.exists():
            try:
                mark = json.loads(dest.read_text(encoding="utf-8")).get("metadata", {}).get(AUTOGRADED_MARK)
            except (OSError, ValueError):
                mark = None
            if not isinstance(mark, dict) or mark.get("sha256") == digest:
                continue  # nbgrader's own autograded notebook, or our copy of the same bytes
        try:
            nb = json.loads(data.decode("utf-8"))
        except ValueError:
            continue
        if not isinstance(nb, dict):
            continue
        nb.setdefault("metadata", {})[AUTOGRADED_MARK] = {"sha256": digest, "source": src.name}
        written.append(atomic_write(dest, json.dumps(nb, ensure_ascii=False, indent=1) + "\n"))
    return written


def check_reachable(url: str) -> None:
    """Connect once to the gradebook's database, so that a wrong `--db` fails before grading.
    Raises the database driver's error."""
    from sqlalchemy import create_engine, text

    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()

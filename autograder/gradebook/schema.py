"""Opening nbgrader's gradebook and making the rows a write needs: tables, the assignment's
notebooks and cells, students, and a submission's grades and comments.

Only `grade-all` creates a gradebook (`open_gradebook(url, create=True)`); everything else opens
an existing one and refuses a missing one, so that a typo never starts a second gradebook that
no later run reads.
"""
from __future__ import annotations

import warnings
from autograder.assignment import AssignmentConfig
from autograder.gradebook.url import GradebookError, hide_secret, masked, sqlite_path


def comment_cells(config: AssignmentConfig) -> dict[str, str]:
    """grade id -> the solution cell its comments go on (nbgrader keeps comments on solution
    cells): the last solution cell before a code grade cell, as the notebook has it (manifest);
    a markdown answer is its own solution cell."""
    return {gid: sol for nb in config.notebooks for gid in (*nb.grade_cells, *nb.answer_cells)
            if (sol := nb.solution_cell(gid)) is not None}


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


def exists(url: str) -> bool:
    """Whether a gradebook is at `url` (a SQLite file that exists; a server database with
    nbgrader's tables). Never creates anything."""
    path = sqlite_path(url)
    if path is not None:
        return path.is_file()
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url, future=True)
    try:
        return "grade_cell" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def open_gradebook(url: str, create: bool = False):
    """nbgrader's Gradebook at `url`. With `create`, its SQLite folder and tables are made when
    missing (grade-all); without, a missing gradebook is refused with GradebookError."""
    from nbgrader.api import Gradebook

    try:
        if create:
            path = sqlite_path(url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            create_tables(url)
        elif not exists(url):
            raise GradebookError(f"no gradebook at {masked(url)}: grade the class first (autograder grade-all), "
                                 "or point to the gradebook grade-all wrote (--results DIR)")
        return Gradebook(url)
    except GradebookError:
        raise
    except Exception as e:  # a bad URL, an unreachable server, not a database
        raise GradebookError(f"cannot open the gradebook {masked(url)}: {type(e).__name__}: "
                             f"{hide_secret(str(e), url)}") from None


def check_reachable(url: str) -> None:
    """Connect once to the gradebook's database, so that a wrong `--db` fails before grading.
    Raises GradebookError (the password masked)."""
    from sqlalchemy import create_engine, text

    try:
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as e:  # noqa: BLE001 - any driver's error: say which database and why
        raise GradebookError(f"cannot open the gradebook {masked(url)}: {type(e).__name__}: "
                             f"{hide_secret(str(e), url)}") from None


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
            for sol in nb.solution_cells.get(gid, ()):
                try:
                    gb.find_solution_cell(sol, nb.stem, config.name)
                except MissingEntry:
                    gb.add_solution_cell(sol, nb.stem, config.name)


def ensure_student(gb, student: str) -> None:
    from nbgrader.api import MissingEntry

    try:
        gb.find_student(student)
    except MissingEntry:
        gb.add_student(student)


def submission_of(gb, assignment: str, student: str):
    """The student's submission row of the assignment, made (with every grade and comment row,
    see `complete_submission`) when missing. The student must be in the gradebook."""
    from nbgrader.api import MissingEntry

    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        with warnings.catch_warnings():  # nbgrader's own add_submission trips SQLAlchemy's autoflush warnings
            warnings.simplefilter("ignore")
            sub = gb.add_submission(assignment, student)
    complete_submission(gb, sub)
    return sub


def complete_submission(gb, sub) -> None:
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

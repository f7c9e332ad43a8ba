"""Reading and checking the instructor notebooks of an assignment before anything is generated.

Each problem is reported as a `ReleaseError` that names the notebook (and cell) and says how to
fix it, instead of the traceback nbgrader would log half-way through a conversion.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from ..course import AssignmentPaths
from .errors import ReleaseError

# Files and folders of source/<assignment>/ that never leave the instructor's checkout.
# `grading/` is grader-only material (assignment.toml, rubrics, hidden checks).
PRIVATE_NAMES = frozenset({"grading", ".ipynb_checkpoints", "__pycache__", ".DS_Store", ".git"})

# nbgrader's region delimiters, and which kind of nbgrader cell each region must live in.
REGIONS = (
    ("BEGIN SOLUTION", "END SOLUTION", "solution", "a solution cell (\"Autograded answer\" or \"Manually graded answer\")"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "grade", "a grade cell (\"Autograder tests\")"),
    ("BEGIN MARK SCHEME", "END MARK SCHEME", "task", "a task cell (\"Manually graded task\")"),
)


@dataclass(frozen=True)
class SourceNotebook:
    path: Path  # the instructor notebook
    rel: str  # the path as shown in messages: source/<assignment>/<name>.ipynb
    nb: NotebookNode

    @property
    def stem(self) -> str:
        return self.path.stem


def _rel(paths: AssignmentPaths, path: Path) -> str:
    try:
        return path.relative_to(paths.course_root).as_posix()
    except ValueError:
        return str(path)


def check_assignment_folder(paths: AssignmentPaths) -> list[Path]:
    """The assignment's notebooks (top level of source/<assignment>/, sorted by name)."""
    if not paths.source.is_dir():
        parent = paths.source.parent
        known = sorted(p.name for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []
        raise ReleaseError(
            f"unknown assignment {paths.name!r}: there is no folder {_rel(paths, paths.source)}; "
            f"known assignments: {', '.join(known) or 'none'}. Check the spelling, or create the folder "
            "with the instructor notebooks first."
        )
    notebooks = sorted(p for p in paths.source.glob("*.ipynb") if p.is_file())
    if not notebooks:
        raise ReleaseError(
            f"assignment {paths.name!r} has no notebooks: {_rel(paths, paths.source)} holds no *.ipynb file. "
            "Put the instructor notebooks (with nbgrader solution regions) there."
        )
    return notebooks


def supporting_files(paths: AssignmentPaths) -> list[Path]:
    """Other files students need next to the notebooks (data, images), relative to the source
    folder; never grading/, checkpoints or caches, and no nested notebooks (nbgrader would drop
    those)."""
    found = []
    for path in sorted(paths.source.rglob("*")):
        rel = path.relative_to(paths.source)
        if any(part in PRIVATE_NAMES for part in rel.parts) or not path.is_file():
            continue
        if path.suffix == ".ipynb" and len(rel.parts) == 1:
            continue  # the notebooks themselves
        if path.suffix in {".pyc"}:
            continue
        found.append(rel)
    return found


def read_notebook(paths: AssignmentPaths, path: Path) -> SourceNotebook:
    rel = _rel(paths, path)
    text = path.read_text(encoding="utf-8")
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise ReleaseError(
            f"{rel} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}). "
            "A notebook must be a Jupyter .ipynb file: fix the file (or restore it with "
            f"`git checkout -- {rel}`) and run the release again."
        ) from None
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # nbformat.ValidationError, or a JSON that is not a notebook at all
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ReleaseError(
            f"{rel} is JSON but not a valid Jupyter notebook ({first}). "
            "Open and save it in Jupyter, or restore it from git, and run the release again."
        ) from None
    return SourceNotebook(path, rel, nb)


def _where(src: SourceNotebook, index: int) -> str:
    return f"{src.rel}, cell {index}"


def check_nbgrader_metadata(src: SourceNotebook) -> None:
    """Every graded, solution or read-only cell has a grade id; every grade cell (and task cell)
    has a non-negative number of points; regions sit in the right kind of cell and are closed."""
    for index, cell in enumerate(src.nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is not None:
            grade, solution, locked, task = (bool(meta.get(k)) for k in ("grade", "solution", "locked", "task"))
            if (grade or solution or locked or task) and not meta.get("grade_id"):
                raise ReleaseError(
                    f"{_where(src, index)}: an nbgrader cell without a grade id. Give it a unique "
                    "\"grade_id\" in its nbgrader metadata (Create Assignment toolbar -> ID)."
                )
            if grade or task:
                gid = meta["grade_id"]
                if "points" not in meta:
                    raise ReleaseError(
                        f"{_where(src, index)} (grade id {gid!r}): a grade cell without points. Add "
                        "\"points\": N to its nbgrader metadata (Create Assignment toolbar -> Points)."
                    )
                points = meta["points"]
                ok = isinstance(points, (int, float)) and not isinstance(points, bool)
                if not ok or not math.isfinite(points) or points < 0:
                    raise ReleaseError(
                        f"{_where(src, index)} (grade id {gid!r}): points must be a number >= 0, "
                        f"not {points!r}. Fix \"points\" in its nbgrader metadata."
                    )
        _check_regions(src, index, cell, meta or {})


def _check_regions(src: SourceNotebook, index: int, cell: NotebookNode, meta: dict) -> None:
    for begin, end, kind, kind_words in REGIONS:
        open_line = None
        for lineno, line in enumerate(cell.source.split("\n"), 1):
            if begin in line:
                if open_line is not None:
                    raise ReleaseError(
                        f"{_where(src, index)}, line {lineno}: {begin!r} inside another {begin!r} "
                        f"region (opened on line {open_line}); close the first with {end!r}."
                    )
                if not meta.get(kind):
                    raise ReleaseError(
                        f"{_where(src, index)}, line {lineno}: a {begin!r} region outside {kind_words}; "
                        "mark the cell as such in its nbgrader metadata, or remove the region."
                    )
                open_line = lineno
            elif end in line:
                if open_line is None:
                    raise ReleaseError(
                        f"{_where(src, index)}, line {lineno}: {end!r} without a {begin!r} before it."
                    )
                open_line = None
        if open_line is not None:
            raise ReleaseError(
                f"{_where(src, index)}, line {open_line}: {begin!r} is never closed; add a line with "
                f"{end!r} after the region."
            )


def check_unique_grade_ids(notebooks: list[SourceNotebook]) -> None:
    """Grade ids identify cells (and recognise notebooks in a submission): unique across the
    whole assignment, not only within a notebook as nbgrader requires."""
    seen: dict[str, str] = {}
    for src in notebooks:
        for index, cell in enumerate(src.nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader")
            if not meta or not meta.get("grade_id"):
                continue
            if not any(meta.get(k) for k in ("grade", "solution", "locked", "task")):
                continue
            gid = meta["grade_id"]
            here = _where(src, index)
            if gid in seen:
                raise ReleaseError(
                    f"duplicate grade id {gid!r}: used by {seen[gid]} and by {here}. Grade ids must "
                    "be unique across the assignment's notebooks; rename one of them."
                )
            seen[gid] = here


def check_with_nbgrader(src: SourceNotebook) -> None:
    """nbgrader's own metadata validator (schema version, markdown grade cells, ...)."""
    from nbgrader.nbgraderformat import MetadataValidator, SchemaTooNewError, SchemaTooOldError, ValidationError

    try:
        MetadataValidator().validate_nb(src.nb)
    except SchemaTooOldError:
        raise ReleaseError(
            f"{src.rel} uses an old nbgrader metadata format; back it up and run `nbgrader update {src.rel}`."
        ) from None
    except SchemaTooNewError:
        raise ReleaseError(
            f"{src.rel} uses a newer nbgrader metadata format than the installed nbgrader understands."
        ) from None
    except ValidationError as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else "invalid nbgrader metadata"
        raise ReleaseError(f"{src.rel}: {msg}. Fix the cell's nbgrader metadata.") from None


def load_sources(paths: AssignmentPaths) -> list[SourceNotebook]:
    """Read and check every instructor notebook of the assignment; raise on the first problem."""
    notebooks = [read_notebook(paths, p) for p in check_assignment_folder(paths)]
    for src in notebooks:
        check_nbgrader_metadata(src)
    check_unique_grade_ids(notebooks)
    for src in notebooks:
        check_with_nbgrader(src)
    return notebooks

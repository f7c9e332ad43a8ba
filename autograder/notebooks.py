"""Reading a submission: which file is which assignment notebook, and what code it runs.

Notebooks are recognised by their nbgrader grade ids, not their file names, so a renamed or
"(1)"-suffixed file still grades. Only the notebook JSON is read here; nothing is executed.
Only regular files are read, never through a link, never more than MAX_NOTEBOOK_BYTES
(autograder/files.py); their text is made valid Unicode here, where it enters the grader.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import AssignmentConfig, NotebookSpec
from autograder.files import (MAX_SUBMITTED_FILE, NotRegularFile, display_name, irregular_files, read_regular,
                              regular_files)
from autograder.unicode import valid_tree

MAX_NOTEBOOK_BYTES = MAX_SUBMITTED_FILE  # a bigger file is an accident or an attack, not homework


class UnreadableNotebook(Exception):
    pass


@dataclass(frozen=True)
class SubmittedNotebook:
    path: Path
    spec: NotebookSpec
    nb: dict  # the notebook JSON

    @property
    def stem(self) -> str:
        return self.spec.stem

    def code_cells(self) -> list[tuple[int, str]]:
        """(cell number, source) of every code cell the worker runs: all but the public check
        cells, which the grader's own checks replace. Cells are numbered from 1, markdown
        cells included, so that "cell 7" is the seventh cell a student sees."""
        skip = set(self.spec.grade_cells)
        out = []
        for i, cell in enumerate(self.nb.get("cells", [])):
            if cell.get("cell_type") != "code" or grade_id(cell) in skip:
                continue
            out.append((i + 1, cell_source(cell)))
        return out


@dataclass
class Recognition:
    found: dict[str, SubmittedNotebook] = field(default_factory=dict)  # by notebook stem
    problems: list[str] = field(default_factory=list)  # said to the student
    notes: list[str] = field(default_factory=list)


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if isinstance(gid, str) else None


def read_notebook(path: Path, root: Path | None = None) -> dict:
    """The notebook JSON of the regular file `path` (no link followed below `root`, by default
    its folder), every string valid Unicode. Raises UnreadableNotebook with a student's message."""
    name = display_name(path)
    try:
        data = read_regular(path, MAX_NOTEBOOK_BYTES, root)
    except NotRegularFile as e:  # says what it is instead: a link, a FIFO, too large, ...
        raise UnreadableNotebook(str(e)) from None
    except OSError as e:
        raise UnreadableNotebook(f"{name} could not be read ({e.strerror or e})") from None
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UnreadableNotebook(f"{name} is not UTF-8 text; is it really a .ipynb notebook?") from None
    except json.JSONDecodeError as e:
        raise UnreadableNotebook(
            f"{name} is not a valid notebook (JSON error at line {e.lineno}, column {e.colno}); "
            "open it in Jupyter, save it again, and resubmit") from None
    except RecursionError:
        raise UnreadableNotebook(f"{name} is not a valid notebook (nested too deeply)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise UnreadableNotebook(f"{name} has no list of cells; it is not a Jupyter notebook")
    return valid_tree(nb)


def _defined_functions(nb: dict) -> set[str]:
    names = set()
    for cell in nb["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            for line in cell_source(cell).splitlines():
                if line.startswith("def "):
                    names.add(line[4:].split("(")[0].strip())
    return names


def _match(nb: dict, config: AssignmentConfig) -> tuple[NotebookSpec | None, str]:
    ids = {grade_id(c) for c in nb["cells"] if isinstance(c, dict)} - {None}
    scored = sorted(((len(ids & s.grade_ids), s) for s in config.notebooks), key=lambda t: -t[0])
    if scored and scored[0][0] > 0:
        return scored[0][1], "grade_ids"
    defs = _defined_functions(nb)
    scored = sorted(((len(defs & set(s.functions)), s) for s in config.notebooks), key=lambda t: -t[0])
    if scored and scored[0][0] > 0:
        return scored[0][1], "functions"
    return None, ""


def recognise(submission: Path, config: AssignmentConfig) -> Recognition:
    """Map the notebooks of a submission (a folder, or one .ipynb file) to the assignment's."""
    rec = Recognition()
    if submission.is_dir() and not submission.is_symlink():
        root, files = submission, regular_files(submission, ".ipynb")
        rec.problems += [f"{display_name(p)} is {kind}, not a regular file: it was not read; submit "
                         "the notebook file itself" for p, kind in irregular_files(submission, ".ipynb")]
    else:
        root, files = submission.parent, [submission]
    if not files and not rec.problems:
        rec.problems.append(f"no .ipynb notebook found in {display_name(submission)}")
    for path in files:
        try:
            nb = read_notebook(path, root)
        except (UnreadableNotebook, OSError) as e:
            rec.problems.append(str(e))
            continue
        spec, how = _match(nb, config)
        if spec is None:
            rec.problems.append(f"{display_name(path)} matches no notebook of {config.name} (none of its grade cells or functions); it was not graded")
            continue
        if how == "functions":
            rec.notes.append(f"{display_name(path)}: nbgrader cell metadata is missing; recognised as {spec.stem} by its function names")
        other = rec.found.get(spec.stem)
        if other is not None:
            # Prefer the file named like the original; otherwise the first in name order.
            keep, drop = (path, other.path) if path.stem == spec.stem else (other.path, path)
            rec.notes.append(f"{display_name(drop)} and {display_name(keep)} are both {spec.stem}; "
                             f"graded {display_name(keep)}, ignored {display_name(drop)}")
            if keep == other.path:
                continue
        rec.found[spec.stem] = SubmittedNotebook(path=path, spec=spec, nb=nb)
    return rec

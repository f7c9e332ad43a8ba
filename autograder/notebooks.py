"""Reading a submission: which file is which assignment notebook, and what code it runs.

Notebooks are recognised by their nbgrader grade ids, not their file names, so a renamed or
"(1)"-suffixed file still grades. Only the notebook JSON is read here; nothing is executed.
Only regular files are read, never through a link, never more than MAX_NOTEBOOK_BYTES
(autograder/files.py); their text is made valid Unicode here, where it enters the grader.
"""
from __future__ import annotations

import ast
import json
import re
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

    def cell_label(self, number: int) -> str:
        """How a student finds cell `number` in Jupyter, which shows no cell numbers."""
        labels = self.__dict__.get("_labels")
        if labels is None:
            labels = cell_labels(self.nb)
            object.__setattr__(self, "_labels", labels)
        return labels.get(number) or f"cell {number}"

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
    unreadable: dict[str, str] = field(default_factory=dict)  # stem -> why its file could not be read
    choices: list[str] = field(default_factory=list)  # which file was graded where several matched
    candidates: dict[str, list[Path]] = field(default_factory=dict)  # every file matching each stem


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if isinstance(gid, str) else None


_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(\S.*?)\s*#*\s*$")
_DEF = re.compile(r"^(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)", re.M)


def _defined(source: str) -> list[str]:
    """Top-level functions (and classes) a code cell defines, in order."""
    try:
        tree = ast.parse(source)
        return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    except (SyntaxError, ValueError):  # IPython lines or a half-written cell: read the def lines
        return [m.group(2) for m in _DEF.finditer(source)]


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def cell_labels(nb: dict) -> dict[int, str]:
    """Cell number -> how a student finds that code cell in Jupyter (which shows no numbers):
    "the cell defining `products`", else "the cell under '## 3. Training'" (the nearest heading
    above; "the second code cell under ..." when there are several), else "the second code cell
    of the notebook". Read from the notebook JSON in the grader; headings are cut to 60 characters."""
    out: dict[int, str] = {}
    heading, under, top = None, 0, 0
    for number, cell in enumerate(nb.get("cells", []), 1):
        if not isinstance(cell, dict):
            continue
        src = cell_source(cell)
        if cell.get("cell_type") == "markdown":
            found = [m.group(0).strip() for line in src.splitlines() if (m := _HEADING.match(line))]
            if found:
                heading, under = found[-1] if len(found[-1]) <= 60 else found[-1][:59] + "…", 0
            continue
        if cell.get("cell_type") != "code":
            continue
        top += 1
        under += 1
        names = _defined(src)
        if names:
            shown = ", ".join(f"`{n}`" for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            out[number] = f"the cell defining {shown}"
        elif heading is not None:
            out[number] = (f"the cell under '{heading}'" if under == 1
                           else f"the {_ordinal(under)} code cell under '{heading}'")
        else:
            out[number] = f"the {_ordinal(top)} code cell of the notebook"
    return out


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
    if not data.strip():
        raise UnreadableNotebook(f"{name} is empty: save the notebook in Jupyter (File > Save) "
                                 "and use the file it saved") from None
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


# How file managers and Jupyter name a copy: "x-Copy1", "x (1)", "x copy 2", "x - Copy (2)".
_COPY_SUFFIX = re.compile(r"(?:-Copy\d*| - Copy(?: \(\d+\))?| copy(?: \d+)?| \(\d+\)|_copy\d*)$", re.IGNORECASE)
_STUB = re.compile(r"raise\s+NotImplementedError\b")
TEXT_STUB = "YOUR ANSWER HERE"


def base_name(path: Path) -> str:
    """A notebook's name without the suffixes a copy gets ("01_tensor_ops-Copy1" -> "01_tensor_ops")."""
    name = path.stem
    while True:
        shorter = _COPY_SUFFIX.sub("", name)
        if shorter == name or not shorter:
            return name
        name = shorter


def answered_cells(nb: dict, spec: NotebookSpec) -> int:
    """How many of the notebook's solution and answer cells are no longer the release's stub."""
    n = 0
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or grade_id(cell) not in spec.grade_ids or grade_id(cell) in spec.grade_cells:
            continue
        src = cell_source(cell).strip()
        if src and src != TEXT_STUB and not _STUB.search(src):
            n += 1
    return n


def _choose(spec: NotebookSpec, found: list[tuple[Path, dict]]) -> tuple[tuple[Path, dict], list[str]]:
    """The file to grade among several for one notebook: the one with the most answers, then
    the one named like the original, then by name. Returns it and the choice in words."""
    scored = sorted(found, key=lambda f: (-answered_cells(f[1], spec), f[0].stem != spec.stem,
                                          base_name(f[0]) != spec.stem, str(f[0])))
    keep, rest = scored[0], scored[1:]
    if not rest:
        return keep, []

    def said(f: tuple[Path, dict]) -> str:
        return f"{display_name(f[0].name)} ({answered_cells(f[1], spec)} answered cells)"

    return keep, [f"{spec.stem}: graded {said(keep)}, not {', '.join(said(f) for f in rest)}"]


def class_folder(rec: Recognition, submission: Path) -> str | None:
    """Why `submission` looks like a whole class rather than one student's work, or None:
    assignment notebooks in two or more of its subfolders, or three or more files of one
    notebook that are not copies of one another."""
    if not submission.is_dir():
        return None
    owners = {p.relative_to(submission).parts[0] for paths in rec.candidates.values() for p in paths
              if len(p.relative_to(submission).parts) > 1}
    if len(owners) >= 2:
        shown = ", ".join(sorted(display_name(o) + "/" for o in owners)[:4])
        return f"its subfolders {shown} each hold notebooks of the assignment"
    for stem, paths in rec.candidates.items():
        bases = sorted({base_name(p) for p in paths})
        if len(bases) >= 3:
            return f"{len(bases)} different files are {stem} ({', '.join(display_name(b) for b in bases[:4])}, ...)"
    return None


def recognise(submission: Path, config: AssignmentConfig) -> Recognition:
    """Map the notebooks of a submission (a folder, or one .ipynb file) to the assignment's.
    Where several files are the same notebook ("Make a Copy"), the one with answers is graded
    and the choice recorded; a file that cannot be read is recorded against the notebook its
    name says it is, so that its checks can say why."""
    rec = Recognition()
    if submission.is_dir() and not submission.is_symlink():
        root, files = submission, regular_files(submission, ".ipynb")
        rec.problems += [f"{display_name(p)} is {kind}, not a regular file: it was not read; submit "
                         "the notebook file itself" for p, kind in irregular_files(submission, ".ipynb")]
    else:
        root, files = submission.parent, [submission]
    if not files and not rec.problems:
        rec.problems.append(f"no .ipynb notebook found in {display_name(submission)}")
    matched: dict[str, list[tuple[Path, dict]]] = {}
    specs: dict[str, NotebookSpec] = {}
    stems = {s.stem for s in config.notebooks}
    for path in files:
        try:
            nb = read_notebook(path, root)
        except (UnreadableNotebook, OSError) as e:
            message = display_name(str(e))
            rec.problems.append(message)
            if base_name(path) in stems:
                rec.unreadable.setdefault(base_name(path), message)
            continue
        spec, how = _match(nb, config)
        if spec is None:
            rec.problems.append(f"{display_name(path.name)} matches no notebook of {config.name} (none of its grade "
                                "cells or functions); it was not graded")
            continue
        if how == "functions":
            rec.notes.append(f"{display_name(path.name)}: nbgrader cell metadata is missing; recognised as "
                             f"{spec.stem} by its function names")
        matched.setdefault(spec.stem, []).append((path, nb))
        specs[spec.stem] = spec
    for stem, found in matched.items():
        (path, nb), said = _choose(specs[stem], found)
        rec.found[stem] = SubmittedNotebook(path=path, spec=specs[stem], nb=nb)
        rec.candidates[stem] = [p for p, _ in found]
        rec.choices += said
        rec.notes += said
        rec.unreadable.pop(stem, None)
    return rec

"""One description of an assignment: its notebooks, grade cells, points, solution cells,
functions and answer cells, derived from the instructor notebooks by `autograder release`.

The manifest is written to `release/<assignment>/manifest.json` (committed; students may read it:
it holds grade ids, points and function names, nothing hidden) and every other place that needs
this description reads it: the grading config, the gradebook, the checks' points, the rubric.

What belongs to a grade cell comes from the notebook itself: its solution cells are the
solution cells between the previous grade cell and it; its functions are the top-level `def`s of
those solution cells that students are given (the lines outside the solution regions); a markdown
cell that is both a grade and a solution cell is a short answer. Nothing depends on how ids are
spelled (`check_<x>`/`sol_<x>` or nbgrader's own `cell-8a3f...`).
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from autograder.course import MANIFEST

FORMAT = 1
FILE_NAME = MANIFEST
CODE, ANSWER = "code", "answer"
GENERATED = "written by `autograder release` from the instructor notebooks and grading/assignment.toml: do not edit"


class ManifestError(Exception):
    """The notebooks or the manifest do not describe an assignment the engine can grade; the
    message names the file and the cell."""


@dataclass(frozen=True)
class Cell:
    grade_id: str
    kind: str  # CODE (graded by check files) or ANSWER (a markdown short answer, graded by the rubric)
    points: float
    solution_cells: tuple[str, ...] = ()  # grade ids; an answer cell is its own solution cell
    functions: tuple[str, ...] = ()  # the graded functions its solution cells define


@dataclass(frozen=True)
class Notebook:
    stem: str
    points: float
    cells: tuple[Cell, ...]

    def cell(self, grade_id: str) -> Cell | None:
        return next((c for c in self.cells if c.grade_id == grade_id), None)


@dataclass(frozen=True)
class Manifest:
    assignment: str
    title: str
    notebooks: tuple[Notebook, ...]
    settings: dict[str, Any] = field(default_factory=dict)  # the engine settings assignment.toml sets
    published: dict[str, Any] = field(default_factory=dict)  # what released public checks read as `assignment`

    @property
    def points(self) -> float:
        return sum(n.points for n in self.notebooks)

    def to_json(self) -> str:
        cells: dict[str, str] = {}  # one line per grade cell: the file reads like a table

        def cell(c: Cell) -> str:
            key = f"@cell{len(cells)}@"
            cells[key] = json.dumps({"grade_id": c.grade_id, "kind": c.kind, "points": _num(c.points),
                                     "solution_cells": list(c.solution_cells), "functions": list(c.functions)},
                                    ensure_ascii=False)
            return key

        doc = {
            "format": FORMAT, "note": GENERATED, "assignment": self.assignment, "title": self.title,
            "points": _num(self.points),
            "notebooks": [{"stem": n.stem, "points": _num(n.points), "cells": [cell(c) for c in n.cells]}
                          for n in self.notebooks],
            "settings": self.settings, "published": self.published,
        }
        text = json.dumps(doc, indent=1, ensure_ascii=False, default=_plain)
        for key, value in cells.items():
            text = text.replace(json.dumps(key), value)
        return text + "\n"

    def structure(self) -> tuple:
        """What the notebooks decide (for comparing a manifest with the notebooks)."""
        return tuple((n.stem, n.points, n.cells) for n in self.notebooks)


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):  # a TOML date-time (a deadline)
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not plain data")


def read_manifest(text: str, where: str) -> Manifest:
    """A manifest from its JSON; ManifestError names `where` and what is wrong."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ManifestError(f"{where} is not valid JSON (line {e.lineno}): run `autograder release` again") from None
    try:
        if doc.get("format") != FORMAT:
            raise ManifestError(f"{where}: format {doc.get('format')!r}, this autograder reads format {FORMAT}; "
                                "run `autograder release` again")
        notebooks = tuple(Notebook(n["stem"], float(n["points"]), tuple(
            Cell(c["grade_id"], c["kind"], float(c["points"]), tuple(c["solution_cells"]), tuple(c["functions"]))
            for c in n["cells"])) for n in doc["notebooks"])
        manifest = Manifest(doc["assignment"], doc["title"], notebooks, dict(doc.get("settings") or {}),
                            dict(doc.get("published") or {}))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ManifestError(f"{where} is not a manifest ({type(e).__name__}: {e}); run `autograder release` again") from None
    check_manifest(manifest, where)
    return manifest


def check_manifest(manifest: Manifest, where: str) -> None:
    """Points add up; every grade id is used once; kinds are known."""
    seen: set[str] = set()
    for nb in manifest.notebooks:
        total = sum(c.points for c in nb.cells)
        if abs(total - nb.points) > 1e-9:
            raise ManifestError(f"{where}: the cells of {nb.stem} add up to {total:g} points, but the notebook is "
                                f"worth {nb.points:g}")
        for c in nb.cells:
            if c.kind not in (CODE, ANSWER):
                raise ManifestError(f"{where}: {nb.stem}, grade cell {c.grade_id}: unknown kind {c.kind!r}")
            for gid in (c.grade_id, *c.solution_cells):
                if gid in seen and gid != c.grade_id:
                    raise ManifestError(f"{where}: grade id {gid!r} is used twice")
            seen.add(c.grade_id)
            seen.update(s for s in c.solution_cells if s != c.grade_id)


# -- derived from a notebook's JSON --------------------------------------------------------------------


def _source(cell: Mapping) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _nbgrader(cell: Mapping) -> dict:
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return meta if isinstance(meta, dict) else {}


_REGION = re.compile(r"^\s*#+\s*(BEGIN|END) SOLUTION\b")


def given_functions(source: str) -> tuple[str, ...]:
    """Top-level functions a solution cell gives students: `def` lines outside its solution
    regions (those stay in the release as the stub's signature)."""
    given, inside = [], False
    for line in source.splitlines():
        m = _REGION.match(line)
        if m:
            inside = m.group(1) == "BEGIN"
            given.append("")
            continue
        given.append("" if inside else line)
    text = "\n".join(given)
    try:
        tree = ast.parse(text)
    except SyntaxError:  # a stub without a body: read the def lines
        return tuple(m.group(1) for m in re.finditer(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(", text, re.M))
    return tuple(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))


def derive_notebook(stem: str, nb: Mapping, where: str) -> Notebook:
    """The grade cells of one notebook, in order, with their solution cells and functions."""
    cells: list[Cell] = []
    pending: list[tuple[str, tuple[str, ...], int]] = []  # solution cells since the last grade cell
    for number, cell in enumerate(nb.get("cells") or [], 1):
        meta = _nbgrader(cell)
        gid, kind = meta.get("grade_id"), cell.get("cell_type")
        at = f"{where}, cell {number}" + (f" (grade id {gid})" if gid else "")
        if meta.get("task"):  # "Manually graded task": a TA grades it by hand in formgrader, not the autograder
            continue
        grade, solution = bool(meta.get("grade")), bool(meta.get("solution"))
        if grade and solution and kind == "markdown":
            cells.append(Cell(gid, ANSWER, float(meta.get("points", 0)), (gid,)))
            if pending:
                raise ManifestError(f"{where}, cell {pending[0][2]} (grade id {pending[0][0]}): a solution cell "
                                    f"followed by the answer cell {gid}, not by a grade cell of its own")
        elif grade and solution:
            raise ManifestError(f"{at}: a code cell that is both a solution and a grade cell (\"Manually graded "
                                "answer\"); split it into a solution cell and a grade cell with checks")
        elif grade:
            if not pending:
                raise ManifestError(f"{at}: a grade cell without a solution cell before it (after the previous "
                                    "grade cell); the grader's comments go on the solution cell it grades")
            functions = tuple(dict.fromkeys(f for _, fs, _ in pending for f in fs))
            cells.append(Cell(gid, CODE, float(meta.get("points", 0)), tuple(s for s, _, _ in pending), functions))
            pending = []
        elif solution and kind == "code":
            pending.append((gid, given_functions(_source(cell)), number))
    if pending:
        raise ManifestError(f"{where}, cell {pending[-1][2]} (grade id {pending[-1][0]}): a solution cell "
                            "with no grade cell after it; add a grade cell with its checks after it")
    if not cells:
        raise ManifestError(f"{where}: no grade cell (an nbgrader \"Autograder tests\" cell or a markdown answer "
                            "cell with points); a notebook of an assignment is graded by its grade cells")
    return Notebook(stem, sum(c.points for c in cells), tuple(cells))


def derive_manifest(assignment: str, title: str, notebooks: Iterable[tuple[str, Mapping, str]],
                    settings: Mapping[str, Any] | None = None, published: Mapping[str, Any] | None = None) -> Manifest:
    """The manifest of an assignment from its notebooks `(stem, notebook JSON, where)`."""
    manifest = Manifest(assignment, title, tuple(derive_notebook(stem, nb, where) for stem, nb, where in notebooks),
                        dict(settings or {}), dict(published or {}))
    check_manifest(manifest, f"the notebooks of {assignment}")
    return manifest


def differences(committed: Manifest, derived: Manifest, where: str, notebooks: Mapping[str, str]) -> list[str]:
    """How the committed manifest (at `where`) differs from the one derived now, each naming the
    notebook file (`notebooks`: stem -> its path as shown) and the cell."""
    out: list[str] = []
    have = {n.stem: n for n in committed.notebooks}
    want = {n.stem: n for n in derived.notebooks}
    for stem in sorted(set(have) | set(want)):
        if stem not in want:
            out.append(f"{where} lists notebook {stem}, which is gone")
            continue
        file = notebooks.get(stem, stem)
        if stem not in have:
            out.append(f"{file} is not in {where}")
            continue
        old, new = {c.grade_id: c for c in have[stem].cells}, {c.grade_id: c for c in want[stem].cells}
        for gid in [g for g in new if g not in old]:
            out.append(f"{file}, grade cell {gid}: not in {where}")
        for gid in [g for g in old if g not in new]:
            out.append(f"{file}: grade cell {gid} of {where} is gone")
        for gid in [g for g in new if g in old and new[g] != old[g]]:
            a, b = new[gid], old[gid]
            what = ("points" if a.points != b.points else "solution cells" if a.solution_cells != b.solution_cells
                    else "functions" if a.functions != b.functions else "kind")
            out.append(f"{file}, grade cell {gid}: its {what} changed ({_said(b, what)} in {where}, "
                       f"{_said(a, what)} in the notebook)")
        if not out and [c.grade_id for c in have[stem].cells] != [c.grade_id for c in want[stem].cells]:
            out.append(f"{file}: the grade cells are in another order than in {where}")
    for key in ("title", "settings", "published"):
        if getattr(committed, key) != json.loads(json.dumps(getattr(derived, key), default=_plain)):
            out.append(f"{where}: the assignment's {key} changed in grading/assignment.toml")
    return out


def _said(cell: Cell, what: str) -> str:
    value = {"points": f"{cell.points:g}", "solution cells": ", ".join(cell.solution_cells) or "none",
             "functions": ", ".join(cell.functions) or "none", "kind": cell.kind}[what]
    return value


__all__ = ["ANSWER", "CODE", "Cell", "FILE_NAME", "Manifest", "ManifestError", "Notebook", "derive_manifest",
           "derive_notebook", "differences", "given_functions", "read_manifest"]

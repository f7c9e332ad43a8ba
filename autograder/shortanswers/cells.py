"""Reading a notebook's cells for short answers (an nbformat NotebookNode or plain JSON alike)."""
from __future__ import annotations

from typing import Any, Mapping

def _get(obj: Any, key: str, default: Any = None) -> Any:
    try:
        return obj.get(key, default)
    except AttributeError:
        return getattr(obj, key, default)


MAX_CELL_CHARS = 100_000  # a cell longer than this is read up to here (no answer is that long)


def cell_source(cell: Any) -> str:
    src = _get(cell, "source", "") or ""
    src = "".join(src) if isinstance(src, list) else str(src)
    return src[:MAX_CELL_CHARS]


def nbgrader_meta(cell: Any) -> dict:
    meta = _get(cell, "metadata", {}) or {}
    nbg = _get(meta, "nbgrader", {}) or {}
    return dict(nbg) if isinstance(nbg, Mapping) else {}


def cell_grade_id(cell: Any) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def _cells(nb: Any) -> list:
    cells = _get(nb, "cells", None)
    if cells is None:
        raise TypeError("not a notebook: no 'cells'")
    return list(cells)


def _is_nbgrader_cell(cell: Any) -> bool:
    m = nbgrader_meta(cell)
    return bool(m.get("grade_id") or m.get("grade") or m.get("solution") or m.get("locked") or m.get("task"))


def _is_heading(cell: Any) -> bool:
    return _get(cell, "cell_type") == "markdown" and cell_source(cell).lstrip().startswith("#")

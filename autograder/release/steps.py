"""Small notebook-to-notebook steps, one concern each, in the style of nbgrader's preprocessors.

A step is a callable `step(nb, where) -> nb`; `where` names the notebook in error messages.
`run_steps` applies a list of them in order. nbgrader's own preprocessors are used where they
exist (`NbgraderStep`); the rest make the generated files reproducible byte for byte.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Callable, Iterable

import nbformat
from nbformat.notebooknode import NotebookNode, from_dict

from .errors import ReleaseError

Step = Callable[[NotebookNode, str], NotebookNode]

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# language_info as ipykernel reports it, minus the Python version (machine-dependent).
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
# Notebook and cell metadata that survive; everything else (execution timings, papermill,
# widget state, Colab provenance, ExecuteTime, trusted, ...) is machine or session state.
NOTEBOOK_METADATA_KEPT = frozenset({"kernelspec", "language_info", "title", "authors"})
CELL_METADATA_KEPT = frozenset({"nbgrader", "deletable", "editable", "tags", "jupyter", "slideshow", "collapsed", "scrolled"})
WIDGET_MIMETYPES = frozenset({"application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json"})


def run_steps(nb: NotebookNode, where: str, steps: Iterable[Step]) -> NotebookNode:
    for step in steps:
        nb = step(nb, where)
    return nb


class NbgraderStep:
    """One of nbgrader's preprocessors (ClearHiddenTests, ClearMarkScheme, ClearOutput, ...),
    applied to a single notebook; its RuntimeErrors become ReleaseErrors naming the notebook."""

    def __init__(self, preprocessor_class, **traits):
        self.preprocessor_class = preprocessor_class
        self.traits = traits

    def __call__(self, nb: NotebookNode, where: str) -> NotebookNode:
        pp = self.preprocessor_class(**self.traits)
        try:
            nb, _ = pp.preprocess(nb, {})
        except (RuntimeError, ValueError) as e:
            raise ReleaseError(f"{where}: nbgrader's {self.preprocessor_class.__name__} failed: {e}") from e
        return nb

    def __repr__(self) -> str:
        return f"NbgraderStep({self.preprocessor_class.__name__})"


def normalise_kernelspec(nb: NotebookNode, where: str) -> NotebookNode:
    """Every notebook runs on the standard `python3` kernel, whatever the author's machine
    called its kernel; language_info without the Python version."""
    nb.metadata["kernelspec"] = from_dict(dict(KERNELSPEC))
    nb.metadata["language_info"] = from_dict(dict(LANGUAGE_INFO))
    return nb


def strip_metadata(nb: NotebookNode, where: str) -> NotebookNode:
    """Keep only the notebook and cell metadata that mean something to the course."""
    for key in [k for k in nb.metadata if k not in NOTEBOOK_METADATA_KEPT]:
        del nb.metadata[key]
    for cell in nb.cells:
        meta = cell.setdefault("metadata", from_dict({}))
        for key in [k for k in meta if k not in CELL_METADATA_KEPT]:
            del meta[key]
    return nb


_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def assign_cell_ids(nb: NotebookNode, where: str) -> NotebookNode:
    """nbformat 4.5 cell ids, derived from the grade id of nbgrader cells and from the position
    of the others (Jupyter would otherwise invent random ones)."""
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    used: set[str] = set()
    for index, cell in enumerate(nb.cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        base = _ID_CHARS.sub("-", gid).strip("-")[:56] if gid else ""
        base = base or f"cell-{index}"
        cid, n = base, 1
        while cid in used:
            n += 1
            cid = f"{base}-{n}"
        used.add(cid)
        cell["id"] = cid
    return nb


class ScrubOutputs:
    """Outputs without session state: no widget models, no memory addresses, no paths of this
    machine (the temporary folders, the course checkout, the Python installation, the home
    folder), no one-off messages of a first run (matplotlib building its font cache)."""

    ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}\b")
    # warnings raised in a cell name its temporary file: /tmp/ipykernel_<pid>/<hash>.py
    CELL_FILE = re.compile(r"(?:[A-Za-z]:)?[^\s\"'()]*ipykernel_\d+[/\\]\d+\.py")
    ONE_OFF_LINES = re.compile(
        r"^(Matplotlib is building the font cache; this may take a moment\."
        r"|Matplotlib created a temporary cache directory at .*)\n?",
        re.MULTILINE,
    )

    def __init__(self, paths: dict[Path, str] | None = None):
        named = dict(paths or {})
        named.setdefault(Path(sys.prefix), "<python>")
        named.setdefault(Path(sys.base_prefix), "<python>")
        named.setdefault(Path.home(), "~")
        replacements = set()
        for path, label in named.items():
            for variant in {str(path), os.path.realpath(path)}:
                if variant not in ("", "/", "."):
                    replacements.add((variant, label))
        # longest first, so that a folder inside another is replaced before its parent
        self.replacements = sorted(replacements, key=lambda r: (-len(r[0]), r))

    def text(self, s: str) -> str:
        for old, new in self.replacements:
            s = s.replace(old, new)
        s = self.CELL_FILE.sub("<cell>", s)
        return self.ADDRESS.sub("at 0x...", s)

    def _texts(self, value):
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self._texts(v) for v in value]
        return value

    def _output(self, out: NotebookNode) -> NotebookNode | None:
        if out.output_type == "stream":
            out.text = self.text(self.ONE_OFF_LINES.sub("", out.text))
            return out if out.text else None
        if out.output_type == "error":
            out.evalue = self.text(out.evalue)
            out.traceback = [self.text(t) for t in out.traceback]
            return out
        # display_data, execute_result
        for mime in [m for m in out.get("data", {}) if m in WIDGET_MIMETYPES]:
            del out.data[mime]
            out.get("metadata", {}).pop(mime, None)
        if not out.get("data"):
            return None
        for mime in out.data:
            if mime.startswith("text/") or mime == "application/javascript":
                out.data[mime] = self._texts(out.data[mime])
        return out

    def __call__(self, nb: NotebookNode, where: str) -> NotebookNode:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in map(self._output, cell.get("outputs", [])) if o is not None]
        return nb


def notebook_bytes(nb: NotebookNode) -> bytes:
    """nbformat's JSON (indent 1, sorted keys, non-ASCII kept) with a final newline, UTF-8."""
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def write_notebook(nb: NotebookNode, path: Path, where: str) -> None:
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as e:
        raise ReleaseError(f"{where}: the generated notebook is not valid nbformat: {e.message}") from e
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(notebook_bytes(nb))


# The steps every written notebook ends with.
FINAL_STEPS: tuple[Step, ...] = (normalise_kernelspec, strip_metadata, assign_cell_ids)

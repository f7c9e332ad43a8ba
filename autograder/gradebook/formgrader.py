"""nbgrader formgrader's view of a class: the submitted notebooks where it looks for them."""
from __future__ import annotations

from pathlib import Path

from autograder.files import atomic_write, display_name, read_regular
from autograder.gradebook.url import sqlite_path

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
        nb.setdefault("metadata", {})[AUTOGRADED_MARK] = {"sha256": digest, "source": display_name(src.name)}
        # ASCII JSON: text the student's notebook holds that is not valid Unicode stays escaped
        written.append(atomic_write(dest, json.dumps(nb, indent=1) + "\n"))
    return written

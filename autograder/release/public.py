"""What the release carries besides the student notebooks: the manifest and the public checks.

    release/<assignment>/manifest.json                 the assignment's one description (autograder/manifest.py)
    release/<assignment>/checks/<notebook>/<grade id>.py  the public checks of each grade cell
    release/<assignment>/checks/<file>                 the files of [release] public_files

With these, a student who installed the checker runs `autograder check` in a folder holding the
release only; nothing in them is hidden (public_checks.py says what is cut and what is refused).
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

from ..assignment import ConfigError, load_settings_of, manifest_of
from ..course import AssignmentPaths
from ..manifest import CODE, FILE_NAME, Manifest
from .errors import ReleaseError
from .public_checks import cut_public
from .source import SourceNotebook

CHECKS = "checks"


def write_public(paths: AssignmentPaths, sources: list[SourceNotebook], out_dir: Path) -> list[Path]:
    """Write the manifest, the public checks and the public files into `out_dir`; the files written."""
    try:
        manifest = manifest_of(paths, [(s.stem, s.nb, s.rel) for s in sources])
        settings = load_settings_of(paths)
    except ConfigError as e:
        raise ReleaseError(str(e)) from None
    written = [out_dir / FILE_NAME]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / FILE_NAME).write_text(manifest.to_json(), encoding="utf-8")
    public_files = frozenset(settings.release.public_files)
    written += _public_checks(paths, manifest, out_dir / CHECKS, public_files)
    for name in sorted(public_files):
        src = paths.checks / name
        if not src.is_file():
            raise ReleaseError(f"[release] public_files names {name}, but {_shown(paths, src)} does not exist")
        if src.suffix == ".py":
            _check_public_module(paths, src, public_files)
        dest = out_dir / CHECKS / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        written.append(dest)
    return written


def _shown(paths: AssignmentPaths, path: Path) -> str:
    try:
        return path.relative_to(paths.course_root).as_posix()
    except ValueError:
        return str(path)


def _public_checks(paths: AssignmentPaths, manifest: Manifest, out: Path, public_files: frozenset[str]) -> list[Path]:
    written = []
    for nb in manifest.notebooks:
        for cell in nb.cells:
            if cell.kind != CODE:
                continue
            src = paths.checks / nb.stem / f"{cell.grade_id}.py"
            if not src.is_file():
                raise ReleaseError(f"grade cell {cell.grade_id} of {nb.stem} has no check file: expected "
                                   f"{_shown(paths, src)}")
            text = cut_public(src, _shown(paths, src), cell.grade_id, nb.stem, public_files,
                              frozenset(manifest.published))
            if text is None:
                raise ReleaseError(f"{_shown(paths, src)}: grade cell {cell.grade_id} has no public check "
                                   "(@check(..., public=True)); students self-check every grade cell")
            dest = out / nb.stem / src.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            written.append(dest)
    return written


def _check_public_module(paths: AssignmentPaths, path: Path, public_files: frozenset[str]) -> None:
    """A released helper module may import only other released files of the assignment."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            targets = [node.module] if node.module else [a.name for a in node.names]
            for t in targets:
                if node.level != 1 or f"{t.split('.')[0]}.py" not in public_files:
                    raise ReleaseError(f"{_shown(paths, path)}, line {node.lineno}: a released helper imports "
                                       f"{'.' * node.level}{t}, which is not released ([release] public_files)")


__all__ = ["CHECKS", "write_public"]

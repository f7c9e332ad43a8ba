"""What a bundle for a hosted platform carries, and nothing more.

A bundle holds three kinds of files:

- the grading environment: `requirements.lock`, `pyproject.toml` (and the README it names), so
  the platform installs exactly the pinned versions;
- the engine: the `autograder/` package source (no assignment content lives there);
- the grading material of ONE assignment, in the course layout the engine reads:
  `course/source/<assignment>/grading/` (assignment.toml, rubrics.toml, checks/) and the
  manifest `course/release/<assignment>/manifest.json` (grade cells and points). No notebook is
  ever packed: not the instructor's source notebooks, not the answer key (solutions/), not the
  student release notebooks: grading needs none of them.

Zips are deterministic (sorted entries, fixed timestamps and modes): the same checkout gives the
same bytes, so a bundle can be compared with the one uploaded last term.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder.course import PACKAGE_ROOT, AssignmentPaths
from autograder.platforms.environment import LOCK_NAME
from autograder.platforms.paths import BUNDLE_COURSE_DIR

PROJECT_FILES = (LOCK_NAME, "pyproject.toml", "README.md")
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo"}
# Parts of the package that grading never imports and that carry instructor material: the demo's
# example submissions are edits of the answer key (model answers). They stay out of every
# grading environment: bundles, images (docker/Dockerfile.*.dockerignore) and the CI checkout,
# where the installed package is readable by the sandboxed worker.
ENGINE_EXCLUDE = ("demo_submissions",)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class BundleError(Exception):
    pass


@dataclass(frozen=True)
class Entry:
    arcname: str
    data: bytes
    mode: int = 0o644


def project_root(course_root: Path | None = None) -> Path:
    """The checkout holding requirements.lock and pyproject.toml: this package's, else the course's."""
    for root in (PACKAGE_ROOT, course_root):
        if root is not None and all((Path(root) / f).is_file() for f in PROJECT_FILES[:2]):
            return Path(root)
    raise BundleError(f"no {LOCK_NAME} and pyproject.toml beside the autograder package ({PACKAGE_ROOT}) "
                      "nor in the course folder: build bundles from a checkout of the autograder")


def _walk(folder: Path, arc_prefix: str, exclude: tuple[str, ...] = ()) -> list[Entry]:
    if not folder.is_dir():
        raise BundleError(f"{folder} is missing")
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts) or p.suffix in SKIP_SUFFIXES:
            continue
        if rel.parts[0] in exclude:
            continue
        if p.is_symlink():  # a link could pull anything into the bundle
            raise BundleError(f"{p} is a symbolic link; bundles carry plain files only")
        if p.is_dir():
            continue
        if p.suffix == ".ipynb":
            raise BundleError(f"{p} is a notebook; bundles carry no notebooks (answer keys and source "
                              "notebooks stay with the instructor)")
        out.append(Entry(f"{arc_prefix}/{rel.as_posix()}", p.read_bytes(), 0o755 if p.stat().st_mode & 0o111 else 0o644))
    return out


def package_entries(prefix: str = "autograder") -> list[Entry]:
    """The engine's source: every file of the `autograder` package but caches and ENGINE_EXCLUDE."""
    return _walk(PACKAGE_ROOT / "autograder", prefix, ENGINE_EXCLUDE)


def project_entries(course_root: Path | None = None) -> list[Entry]:
    root = project_root(course_root)
    return [Entry(name, (root / name).read_bytes()) for name in PROJECT_FILES if (root / name).is_file()]


def grading_entries(paths: AssignmentPaths, prefix: str = BUNDLE_COURSE_DIR) -> list[Entry]:
    """The assignment's grader-only material, under `<prefix>/source/<assignment>/grading/`, and
    its manifest (`<prefix>/release/<assignment>/manifest.json`: the grade cells and points)."""
    if not paths.config_file.is_file():
        raise BundleError(f"{paths.config_file} is missing: nothing to grade with")
    if not paths.manifest_file.is_file():
        raise BundleError(f"{paths.manifest_file} is missing: run `autograder release {paths.name}` first")
    manifest = Entry(f"{prefix}/release/{paths.name}/{paths.manifest_file.name}", paths.manifest_file.read_bytes())
    return _walk(paths.grading, f"{prefix}/source/{paths.name}/grading") + [manifest]


def manifest(entries: list[Entry], **info) -> Entry:
    doc = {**info, "files": {e.arcname: hashlib.sha256(e.data).hexdigest() for e in sorted(entries, key=lambda e: e.arcname)}}
    return Entry("bundle.json", (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())


def write_zip(out: Path, entries: list[Entry]) -> Path:
    names = [e.arcname for e in entries]
    if len(names) != len(set(names)):
        raise BundleError(f"duplicate entries in the bundle: {sorted({n for n in names if names.count(n) > 1})}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for e in sorted(entries, key=lambda e: e.arcname):
            info = zipfile.ZipInfo(e.arcname, date_time=ZIP_DATE)
            info.create_system = 3  # unix: keep the modes (run_autograder must be executable)
            info.external_attr = (0o100000 | e.mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, e.data)
    tmp.replace(out)
    return out

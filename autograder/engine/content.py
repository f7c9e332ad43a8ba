"""An assignment's check files: one per grade cell, imported as a package of their own.

Layout of `source/<assignment>/grading/checks/`:

    <notebook stem>/<grade id>.py   the checks of that grade cell (01_tensor_ops/check_pick.py)
    fixtures.py                     optional: pytest fixtures of the assignment's own
    <any other module>.py           the assignment's helpers (reference implementations, ...)

so the file of any check follows from the grade id a TA reads in a report. The folder is
imported as the package `autograder_assignment_<name>_<hash of its path>`: check files import
their helpers relatively (`from .. import reference`), no folder is put on `sys.path`, and two
assignments (or two copies of one) graded in one process never share a module.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import AssignmentConfig

PACKAGE_PREFIX = "autograder_assignment_"
_STAMPS: dict[str, dict[str, tuple[int, int]]] = {}  # package -> its files' (mtime, size) when imported
FIXTURES = "fixtures"


@dataclass(frozen=True)
class CheckLayout:
    root: Path  # grading/checks
    package: str  # the name `root` is imported under
    files: dict[str, Path]  # grade id -> its check file (which may be missing)
    notebooks: dict[str, str]  # grade id -> notebook stem

    def missing(self) -> list[str]:
        return [f"grade cell {gid} of {self.notebooks[gid]} has no check file: expected {path}"
                for gid, path in self.files.items() if not path.is_file()]

    def strays(self) -> list[str]:
        """Python files in a notebook folder that are no grade cell's (a typo in a file name
        would otherwise never run)."""
        known = {p.resolve() for p in self.files.values()}
        out = []
        for stem in sorted(set(self.notebooks.values())):
            folder = self.root / stem
            for p in sorted(folder.glob("*.py")) if folder.is_dir() else []:
                if p.resolve() not in known:
                    out.append(f"{p} is not named after a grade cell of {stem} "
                               f"({', '.join(g for g, s in self.notebooks.items() if s == stem)}); it is not run")
        return out

    def module_name(self, path: Path) -> str:
        rel = path.resolve().relative_to(self.root.resolve()).with_suffix("")
        return ".".join((self.package, *rel.parts))

    def import_module(self, path: Path) -> types.ModuleType:
        """The check file (or helper) at `path`, imported under the assignment's package."""
        register_package(self.root, self.package)
        return importlib.import_module(self.module_name(path))

    def refresh(self) -> None:
        """Forget the package's imported modules when a file of it changed since they were
        imported (`autograder lint` after an edit, a long-lived process): checks never run stale."""
        stamps = {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(self.root.rglob("*.py"))}
        if _STAMPS.get(self.package) != stamps:
            for name in [m for m in sys.modules if m == self.package or m.startswith(self.package + ".")]:
                del sys.modules[name]
            importlib.invalidate_caches()
            _STAMPS[self.package] = stamps

    def fixtures(self) -> types.ModuleType | None:
        path = self.root / f"{FIXTURES}.py"
        return self.import_module(path) if path.is_file() else None


def package_name(checks_dir: Path, assignment: str) -> str:
    digest = hashlib.sha1(str(checks_dir.resolve()).encode()).hexdigest()[:10]
    return f"{PACKAGE_PREFIX}{re.sub(r'[^0-9A-Za-z_]', '_', assignment)}_{digest}"


def register_package(root: Path, package: str) -> None:
    """Make `package` the name of the folder `root` (idempotent): its modules and subfolders
    import as `package.<module>`, `package.<folder>.<module>`."""
    mod = sys.modules.get(package)
    if mod is not None and list(getattr(mod, "__path__", [])) == [str(root.resolve())]:
        return
    spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
    spec.submodule_search_locations = [str(root.resolve())]
    mod = importlib.util.module_from_spec(spec)
    sys.modules[package] = mod


def check_layout(checks_dir: Path, config: AssignmentConfig) -> CheckLayout:
    files, notebooks = {}, {}
    for nb in config.notebooks:
        for gid in nb.grade_cells:
            files[gid] = checks_dir / nb.stem / f"{gid}.py"
            notebooks[gid] = nb.stem
    return CheckLayout(checks_dir, package_name(checks_dir, config.name), files, notebooks)


def import_helper(checks_dir: Path, assignment: str, module: str) -> types.ModuleType:
    """One helper module of an assignment (e.g. its `reference`), for scripts and tests."""
    package = package_name(checks_dir, assignment)
    register_package(checks_dir, package)
    return importlib.import_module(f"{package}.{module}")

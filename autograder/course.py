"""Where an assignment's material lives. Every path the engine uses comes from here."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"  # autograder/manifest.py FILE_NAME (this module stays import-free)


class CourseNotFound(Exception):
    pass


def find_course_root(start: Path | None = None) -> Path:
    """The course folder: $AUTOGRADER_COURSE, else the nearest parent of the working directory
    (or of `start`) with an assignment (grading material under source/, or a student's copy of a
    release: release/<name>/manifest.json), else the checkout this package was installed from."""
    env = os.environ.get("AUTOGRADER_COURSE")
    if env:
        root = Path(env).resolve()
        if not assignments_in(root):
            raise CourseNotFound(f"AUTOGRADER_COURSE={env} has no assignment (source/<name>/grading/ or "
                                 "release/<name>/manifest.json)")
        return root
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if assignments_in(d):
            return d
    if (PACKAGE_ROOT / "source").is_dir():
        return PACKAGE_ROOT
    raise CourseNotFound(
        "no course folder found: run from a course checkout (a folder with source/) "
        "or set AUTOGRADER_COURSE to one"
    )


@dataclass(frozen=True)
class AssignmentPaths:
    course_root: Path
    name: str
    release_at: Path | None = None  # a student's release folder kept elsewhere than release/<name>

    @property
    def source(self) -> Path:
        return self.course_root / "source" / self.name

    @property
    def grading(self) -> Path:  # grader-only material; never released, hidden from workers
        return self.source / "grading"

    @property
    def config_file(self) -> Path:
        return self.grading / "assignment.toml"

    @property
    def rubrics_file(self) -> Path:
        return self.grading / "rubrics.toml"

    @property
    def mistakes_file(self) -> Path:  # the known mistakes the checks recognise, with their hints
        return self.grading / "mistakes.toml"

    @property
    def checks(self) -> Path:
        return self.grading / "checks"

    @property
    def release(self) -> Path:
        return self.release_at if self.release_at is not None else self.course_root / "release" / self.name

    @property
    def manifest_file(self) -> Path:  # the one description of the assignment (autograder/manifest.py)
        return self.release / MANIFEST

    @property
    def public_checks(self) -> Path:  # the public checks, released with the notebooks
        return self.release / "checks"

    @property
    def has_grading(self) -> bool:
        return self.config_file.is_file()

    @property
    def solutions(self) -> Path:
        return self.course_root / "solutions" / self.name


def assignments_in(course: Path) -> list[str]:
    """The assignments of a course folder: those with grading material, and those of which only
    the release is there (a student's copy)."""
    names = {p.parent.parent.name for p in Path(course).glob("source/*/grading/assignment.toml")}
    names |= {p.parent.name for p in Path(course).glob(f"release/*/{MANIFEST}")}
    return sorted(names)


def check_course_root(root: Path) -> Path:
    """`root` resolved, if it is a course folder (one holding source/ or release/); else CourseNotFound."""
    root = Path(root).expanduser().resolve()
    if not (root / "source").is_dir() and not (root / "release").is_dir():
        what = ("does not exist" if not root.exists() else
                "is a file" if not root.is_dir() else "has no source/ or release/ folder")
        raise CourseNotFound(f"--course {root} {what}; give the course folder (the one holding source/ or release/)")
    return root


def assignment_paths(name: str, course_root: Path | None = None) -> AssignmentPaths:
    root = check_course_root(course_root) if course_root is not None else find_course_root()
    paths = AssignmentPaths(root, name)
    if not paths.source.is_dir() and not paths.manifest_file.is_file():
        known = assignments_in(root)
        raise CourseNotFound(f"no assignment {name!r} in {root}; known: {', '.join(known) or 'none'}")
    return paths


def only_assignment(course_root: Path | None = None, ask: str = "--assignment NAME") -> AssignmentPaths:
    """The course's assignment when it has exactly one; CourseNotFound asks for `ask` otherwise."""
    root = check_course_root(course_root) if course_root is not None else find_course_root()
    names = assignments_in(root)
    if len(names) == 1:
        return AssignmentPaths(root, names[0])
    if not names:
        raise CourseNotFound(f"no assignment in {root} (no source/<name>/grading/assignment.toml, no "
                             f"release/<name>/{MANIFEST})")
    raise CourseNotFound(f"the course {root} has {len(names)} assignments ({', '.join(names)}); "
                         f"say which with {ask}")

"""Where an assignment's material lives. Every path the engine uses comes from here."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class CourseNotFound(Exception):
    pass


def find_course_root(start: Path | None = None) -> Path:
    """The folder holding `source/`: $AUTOGRADER_COURSE, else the nearest parent of the working
    directory whose source/ has an assignment with grading material, else the checkout this
    package was installed from."""
    env = os.environ.get("AUTOGRADER_COURSE")
    if env:
        root = Path(env).resolve()
        if not (root / "source").is_dir():
            raise CourseNotFound(f"AUTOGRADER_COURSE={env} has no source/ folder")
        return root
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if any((d / "source").glob("*/grading/assignment.toml")):
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
        return self.course_root / "release" / self.name

    @property
    def solutions(self) -> Path:
        return self.course_root / "solutions" / self.name


def check_course_root(root: Path) -> Path:
    """`root` resolved, if it is a course folder (one holding source/); else CourseNotFound."""
    root = Path(root).expanduser().resolve()
    if not (root / "source").is_dir():
        what = "does not exist" if not root.exists() else ("is a file" if not root.is_dir() else "has no source/ folder")
        raise CourseNotFound(f"--course {root} {what}; give the course folder (the one holding source/)")
    return root


def assignment_paths(name: str, course_root: Path | None = None) -> AssignmentPaths:
    root = check_course_root(course_root) if course_root is not None else find_course_root()
    paths = AssignmentPaths(root, name)
    if not paths.source.is_dir():
        known = sorted(p.name for p in (root / "source").iterdir() if p.is_dir())
        raise CourseNotFound(f"no assignment {name!r} under {root / 'source'}; known: {', '.join(known) or 'none'}")
    return paths

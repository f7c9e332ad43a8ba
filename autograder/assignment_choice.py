"""Which assignment a command works on, when the user did not say.

No assignment is the default. `autograder check NOTEBOOK` finds it from the notebook itself: its
grade ids (or, without nbgrader metadata, its function names) are matched against the manifests of
the course's assignments, and the command says which one it used. The other commands take the
course's only assignment, and ask for --assignment when there are several.

The course is --course (or $AUTOGRADER_COURSE); for `check`, else the folders above the notebook,
else the working directory. A student's copy of a release works too: a folder holding
`release/<name>/manifest.json`, or the release folder itself (a folder holding `manifest.json`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from autograder.course import MANIFEST, AssignmentPaths, CourseNotFound, assignment_paths, assignments_in, \
    check_course_root, find_course_root, only_assignment


@dataclass(frozen=True)
class Choice:
    paths: AssignmentPaths
    said: str = ""  # how it was chosen, when the user did not name it


def choose(course: Path | None, wanted: str | None, ask: str = "--assignment NAME") -> AssignmentPaths:
    """The named assignment of the course, or its only one. CourseNotFound says what to give (`ask`)."""
    if wanted:
        return assignment_paths(wanted, course)
    return only_assignment(course, ask)


def _release_folder(start: Path) -> AssignmentPaths | None:
    """A release folder at or above `start` (one holding manifest.json), as an assignment."""
    for d in (start, *start.parents):
        if (d / MANIFEST).is_file() and not (d.parent.name == "release" and assignments_in(d.parent.parent)):
            try:
                name = json.loads((d / MANIFEST).read_text(encoding="utf-8"))["assignment"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if isinstance(name, str) and name:
                return AssignmentPaths(d, name, release_at=d)
    return None


def choose_for_notebook(notebook: Path, course: Path | None, wanted: str | None) -> Choice:
    """The assignment `notebook` (a file or a folder of them) belongs to."""
    start = notebook.resolve() if notebook.is_dir() else notebook.resolve().parent
    if wanted:
        if course is None:
            try:
                course = find_course_root(start)
            except CourseNotFound:
                pass
        return Choice(assignment_paths(wanted, course))
    if course is None:
        folder = _release_folder(start)
        if folder is not None:
            return Choice(folder, f"the release in {folder.release}")
    root = check_course_root(course) if course is not None else find_course_root(start)
    names = assignments_in(root)
    if len(names) == 1:
        return Choice(AssignmentPaths(root, names[0]), f"the only assignment of {root}")
    scored = sorted(((_match(notebook, AssignmentPaths(root, n)), n) for n in names), reverse=True)
    if not scored or scored[0][0] <= (0, 0):
        raise CourseNotFound(f"{notebook} matches no assignment of {root} ({', '.join(names) or 'none'}) by its grade "
                             "cells or functions; is it a notebook of this course? Give --assignment NAME")
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        raise CourseNotFound(f"{notebook} matches the assignments {scored[0][1]} and {scored[1][1]} alike; "
                             "give --assignment NAME")
    return Choice(AssignmentPaths(root, scored[0][1]), f"matched by the notebook's grade cells among {', '.join(names)}")


def _match(notebook: Path, paths: AssignmentPaths) -> tuple[int, int]:
    """(notebooks recognised, grade ids in common) of `notebook` against one assignment."""
    from autograder.assignment import ConfigError, load_release
    from autograder.notebooks import grade_id, recognise

    try:
        config = load_release(paths)  # the manifest: enough to recognise notebooks, and light
    except ConfigError:
        return (0, 0)
    rec = recognise(notebook.resolve(), config)
    common = sum(len({grade_id(c) for c in sub.nb.get("cells", []) if isinstance(c, dict)} & sub.spec.grade_ids)
                 for sub in rec.found.values())
    return (len(rec.found), common)


__all__ = ["Choice", "choose", "choose_for_notebook"]

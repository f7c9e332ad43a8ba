"""An assignment as the engine reads it: the manifest's notebooks and grade cells, the settings
and the check sections of `grading/assignment.toml`, checked every time it is loaded.

- Notebooks, grade cells, points, solution cells, functions and answer cells come from the
  manifest (`release/<assignment>/manifest.json`, written by `autograder release` from the
  instructor notebooks; see autograder/manifest.py). Where the instructor notebooks are there, the
  manifest must still describe them: a notebook edited since the last release is refused, with
  the notebook and the cell named.
- The engine's settings ([limits], [worker_builds], [results], [short_answer_feedback],
  [release]) are dataclasses (autograder/settings.py); the manifest carries them too, for a
  student who has the release only.
- The sections the assignment's own checks read (thresholds, seeds, budgets) stay plain tables,
  reached with `config["fit_spiral"]["low_bar"]`. In a release (no grading/), they are the
  [published] tables only: what the released public checks may read.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.course import AssignmentPaths
from autograder.manifest import ANSWER, CODE, FILE_NAME, Manifest, ManifestError, derive_manifest, differences, read_manifest
from autograder.manifest import Notebook as ManifestNotebook
from autograder.settings import AssignmentSettings, SettingsError, load_settings, settings_tables

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PUBLISHED = "published"


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class NotebookSpec:
    stem: str  # "02_spiral_classification"
    points: float
    cell_points: dict[str, float]  # grade_id -> points, code grade cells then answer cells
    grade_cells: tuple[str, ...]  # code grade cells (public checks), by grade_id
    answer_cells: tuple[str, ...] = ()  # markdown answer cells (short answers)
    functions: tuple[str, ...] = ()  # graded functions, to recognise a notebook whose metadata is gone
    solution_cells: dict[str, tuple[str, ...]] = field(default_factory=dict)  # grade id -> its solution cells
    cell_functions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # grade id -> functions it grades

    @property
    def grade_ids(self) -> frozenset[str]:
        """Every grade_id that marks this notebook: grade cells, their solution cells, answers."""
        sols = {s for cells in self.solution_cells.values() for s in cells}
        return frozenset(self.grade_cells) | frozenset(self.answer_cells) | sols

    def solution_cell(self, grade_id: str) -> str | None:
        """The solution cell a grade cell's comment goes on (nbgrader keeps comments there): the
        last one before the grade cell; an answer cell is its own."""
        cells = self.solution_cells.get(grade_id, ())
        return cells[-1] if cells else None

    @classmethod
    def of(cls, nb: ManifestNotebook) -> "NotebookSpec":
        code = [c for c in nb.cells if c.kind == CODE]
        answers = [c for c in nb.cells if c.kind == ANSWER]
        return cls(stem=nb.stem, points=nb.points, cell_points={c.grade_id: c.points for c in code + answers},
                   grade_cells=tuple(c.grade_id for c in code), answer_cells=tuple(c.grade_id for c in answers),
                   functions=tuple(dict.fromkeys(f for c in code for f in c.functions)),
                   solution_cells={c.grade_id: c.solution_cells for c in nb.cells},
                   cell_functions={c.grade_id: c.functions for c in code})


@dataclass(frozen=True)
class AssignmentConfig:
    name: str
    title: str
    notebooks: tuple[NotebookSpec, ...]
    sections: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None  # grading/assignment.toml (in a release: its manifest.json)
    settings: AssignmentSettings = field(default_factory=AssignmentSettings)
    manifest: Manifest | None = None
    public_only: bool = False  # loaded from a release: public checks only, [published] sections

    @property
    def points(self) -> float:
        return sum(n.points for n in self.notebooks)

    def notebook(self, stem: str) -> NotebookSpec:
        for n in self.notebooks:
            if n.stem == stem:
                return n
        raise ConfigError(f"{self.path}: no notebook {stem!r}; known: {[n.stem for n in self.notebooks]}")

    def notebook_of(self, grade_id: str) -> NotebookSpec | None:
        return next((n for n in self.notebooks if grade_id in n.cell_points), None)

    def __getitem__(self, section: str) -> dict[str, Any]:
        try:
            return self.sections[section]
        except KeyError:
            where = "[published] of assignment.toml (the release carries only those)" if self.public_only else "a"
            raise ConfigError(f"{self.path}: no [{section}] section in {where} (a check needs it)") from None


def paths_of_config(path: Path) -> AssignmentPaths:
    """The assignment a `source/<name>/grading/assignment.toml` belongs to."""
    path = Path(path).resolve()
    if path.parent.name != "grading" or path.parents[2].name != "source":
        raise ConfigError(f"{path} is not source/<assignment>/grading/assignment.toml of a course folder")
    return AssignmentPaths(path.parents[3], path.parents[1].name)


def load_assignment(where: Path | AssignmentPaths) -> AssignmentConfig:
    """The assignment at `where` (its AssignmentPaths, or its grading/assignment.toml), checked:
    ConfigError says what is wrong, naming the file and the cell. Without grading material (a
    student's copy of the release), the release's manifest and [published] tables."""
    paths = where if isinstance(where, AssignmentPaths) else paths_of_config(where)
    if not paths.config_file.is_file() and paths.manifest_file.is_file():
        return load_release(paths)
    raw = _toml(paths.config_file)
    try:
        head = raw.pop("assignment")
        name, title = head["name"], head.get("title", head["name"])
    except (KeyError, TypeError, AttributeError):
        raise ConfigError(f"{paths.config_file}: missing [assignment] with its name") from None
    if "notebooks" in raw:
        raise ConfigError(f"{paths.config_file}: [[notebooks]] is no longer read: grade cells, points and functions "
                          f"come from the notebooks themselves (release/{paths.name}/{FILE_NAME}, written by "
                          f"`autograder release {paths.name}`); remove the [[notebooks]] tables")
    if name != paths.name:
        raise ConfigError(f"{paths.config_file}: [assignment] name = {name!r}, but its folder is source/{paths.name}")
    settings = _settings(raw, str(paths.config_file))
    published = raw.get(PUBLISHED, {})
    if not isinstance(published, dict):
        raise ConfigError(f"{paths.config_file}: [{PUBLISHED}] must be a table of tables")
    manifest = _manifest(paths)
    problems = _stale(paths, manifest, title, raw, published)
    if problems:
        raise ConfigError(f"release/{paths.name}/{FILE_NAME} no longer describes the assignment: "
                          + "; ".join(problems[:8]) + f". Run `autograder release {paths.name}` and commit the release")
    return AssignmentConfig(name=name, title=title, notebooks=tuple(NotebookSpec.of(n) for n in manifest.notebooks),
                            sections=raw, path=paths.config_file, settings=settings, manifest=manifest)


def load_release(paths: AssignmentPaths) -> AssignmentConfig:
    """A release without grading material: the manifest's notebooks, settings and [published]."""
    manifest = _manifest(paths)
    if manifest.assignment != paths.name:
        raise ConfigError(f"{paths.manifest_file} is the manifest of {manifest.assignment!r}, not of {paths.name!r}")
    settings = _settings(manifest.settings, str(paths.manifest_file))
    return AssignmentConfig(name=manifest.assignment, title=manifest.title,
                            notebooks=tuple(NotebookSpec.of(n) for n in manifest.notebooks),
                            sections=dict(manifest.published), path=paths.manifest_file, settings=settings,
                            manifest=manifest, public_only=True)


def manifest_of(paths: AssignmentPaths, notebooks: list[tuple[str, dict, str]] | None = None) -> Manifest:
    """The manifest the notebooks and assignment.toml describe now (what the release writes)."""
    raw = _toml(paths.config_file)
    head = raw.get("assignment") or {}
    _settings(raw, str(paths.config_file))
    if notebooks is None:
        notebooks = source_notebooks(paths)
    try:
        return derive_manifest(paths.name, head.get("title", paths.name), notebooks, settings_tables(raw),
                               raw.get(PUBLISHED, {}))
    except ManifestError as e:
        raise ConfigError(str(e)) from None


def load_settings_of(paths: AssignmentPaths) -> AssignmentSettings:
    """The settings grading/assignment.toml sets (checked), without the manifest."""
    return _settings(_toml(paths.config_file), str(paths.config_file))


def source_notebooks(paths: AssignmentPaths) -> list[tuple[str, dict, str]]:
    """(stem, JSON, path as shown) of the instructor notebooks, sorted by name."""
    out = []
    for p in sorted(paths.source.glob("*.ipynb")):
        rel = f"source/{paths.name}/{p.name}"
        try:
            out.append((p.stem, json.loads(p.read_text(encoding="utf-8")), rel))
        except (OSError, ValueError) as e:
            raise ConfigError(f"{rel} cannot be read as a notebook ({e})") from None
    return out


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing: every assignment needs grading/assignment.toml") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None


def _settings(tables: dict, where: str) -> AssignmentSettings:
    try:
        return load_settings(tables, where)
    except SettingsError as e:
        raise ConfigError(str(e)) from None


def _manifest(paths: AssignmentPaths) -> Manifest:
    shown = f"release/{paths.name}/{FILE_NAME}"
    try:
        text = paths.manifest_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{shown} is missing: run `autograder release {paths.name}` (it derives the grade cells "
                          "and points from the notebooks) and commit the release") from None
    try:
        return read_manifest(text, shown)
    except ManifestError as e:
        raise ConfigError(str(e)) from None


def _stale(paths: AssignmentPaths, manifest: Manifest, title: str, raw: dict, published: dict) -> list[str]:
    """How the committed manifest differs from what the notebooks and the config say now."""
    notebooks = source_notebooks(paths)
    shown = f"release/{paths.name}/{FILE_NAME}"
    try:
        if notebooks:
            derived = derive_manifest(paths.name, title, notebooks, settings_tables(raw), published)
        else:  # grading material without the notebooks (a platform bundle): the config only
            derived = Manifest(paths.name, title, manifest.notebooks, settings_tables(raw), published)
    except ManifestError as e:
        return [str(e)]
    return differences(manifest, derived, shown, {stem: rel for stem, _, rel in notebooks})


__all__ = ["AssignmentConfig", "ConfigError", "NotebookSpec", "load_assignment", "load_release", "load_settings_of", "manifest_of",
           "paths_of_config", "source_notebooks"]

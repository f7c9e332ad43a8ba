"""An assignment's grading configuration (`source/<name>/grading/assignment.toml`).

The engine reads the parts it needs (notebooks and their grade ids) into dataclasses; the
sections the assignment's own checks read (thresholds, seeds, budgets) stay plain tables,
reached with `config["fit_spiral"]["low_bar"]`.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


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

    @property
    def grade_ids(self) -> frozenset[str]:
        """Every grade_id that marks this notebook: grade cells, their solution cells, answers."""
        sols = {"sol_" + g.removeprefix("check_") for g in self.grade_cells}
        return frozenset(self.grade_cells) | frozenset(self.answer_cells) | sols


@dataclass(frozen=True)
class AssignmentConfig:
    name: str
    title: str
    notebooks: tuple[NotebookSpec, ...]
    sections: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def points(self) -> float:
        return sum(n.points for n in self.notebooks)

    def notebook(self, stem: str) -> NotebookSpec:
        for n in self.notebooks:
            if n.stem == stem:
                return n
        raise ConfigError(f"{self.path}: no notebook {stem!r}; known: {[n.stem for n in self.notebooks]}")

    def __getitem__(self, section: str) -> dict[str, Any]:
        try:
            return self.sections[section]
        except KeyError:
            raise ConfigError(f"{self.path}: no [{section}] section (a check needs it)") from None


def load_assignment(path: Path) -> AssignmentConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing: every assignment needs grading/assignment.toml") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None
    try:
        head = raw.pop("assignment")
        notebooks = tuple(_notebook(path, nb) for nb in raw.pop("notebooks"))
        return AssignmentConfig(name=head["name"], title=head.get("title", head["name"]),
                                notebooks=notebooks, sections=raw, path=path)
    except KeyError as e:
        raise ConfigError(f"{path}: missing key {e} ([assignment] needs name; each [[notebooks]] stem and points)") from None


def _notebook(path: Path, nb: dict[str, Any]) -> NotebookSpec:
    grade = {k: float(v) for k, v in nb.get("grade_cells", {}).items()}
    answers = {k: float(v) for k, v in nb.get("answer_cells", {}).items()}
    spec = NotebookSpec(stem=nb["stem"], points=float(nb["points"]), cell_points={**grade, **answers},
                        grade_cells=tuple(grade), answer_cells=tuple(answers),
                        functions=tuple(nb.get("functions", ())))
    if abs(sum(spec.cell_points.values()) - spec.points) > 1e-9:
        raise ConfigError(f"{path}: the cells of {spec.stem} add up to {sum(spec.cell_points.values()):g} "
                          f"points, but the notebook is worth {spec.points:g}")
    return spec

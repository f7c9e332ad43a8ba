"""Do an assignment's checks agree with its manifest? Run on every load of the checks (the
plugin, before any check runs) and by `autograder lint`.

For every code grade cell: its checks' points add up to the cell's points, it has a public check
(what `autograder check` runs) and a hidden one (judged on inputs the notebook does not show), and
each check's name begins with a function that cell grades. Each problem names the check file and
the grade cell. In a release (public checks only), the public checks' points stay within the cell.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from autograder.assignment import AssignmentConfig


@dataclass(frozen=True)
class Declared:
    """What a check declares: its grade cell, points, visibility and name, and its file."""

    grade_id: str
    points: float
    public: bool
    name: str
    file: Path


def check_problems(checks: Iterable[Declared], config: AssignmentConfig, files: dict[str, Path]) -> list[str]:
    """What is wrong with the checks of `config` (`files`: grade id -> its check file)."""
    checks = list(checks)
    by_cell: dict[str, list[Declared]] = defaultdict(list)
    for c in checks:
        by_cell[c.grade_id].append(c)
    out: list[str] = []
    for nb in config.notebooks:
        for gid in nb.grade_cells:
            where = f"{files.get(gid, gid)} (grade cell {gid} of {nb.stem})"
            mine = by_cell.get(gid, [])
            total = round(sum(c.points for c in mine), 6)
            cell = nb.cell_points[gid]
            if config.public_only:
                if total > cell + 1e-6:
                    out.append(f"{where}: its public checks are worth {total:g} points, more than the cell's {cell:g}")
            elif abs(total - cell) > 1e-6:
                out.append(f"{where}: its checks are worth {total:g} points, but the cell is worth {cell:g} "
                           "(its points in the notebook, release manifest)")
            if not any(c.public for c in mine):
                out.append(f"{where}: no public check (@check(..., public=True)): `autograder check` would "
                           "not check this cell")
            if not config.public_only and not any(not c.public for c in mine):
                out.append(f"{where}: no hidden check: the cell would be judged on the notebook's own example only")
            functions = set(nb.cell_functions.get(gid, ()))
            for c in mine:
                named = {f.strip() for f in c.name.split(":")[0].split(",")}
                if not named <= functions:
                    out.append(f"{where}: the check {c.name!r} does not begin with the function it judges "
                               f"({', '.join(sorted(functions)) or 'none'}, from the cell's solution cells)")
    return out


__all__ = ["Declared", "check_problems"]

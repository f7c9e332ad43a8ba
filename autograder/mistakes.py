"""An assignment's catalogue of known mistakes: what a check recognised, said to the student.

The catalogue is assignment content (`source/<assignment>/grading/mistakes.toml`), one table per
mistake; the engine knows none of them:

    [products_elementwise_for_matmul]
    cells = ["check_products"]                 # the grade cells whose checks may recognise it
    title = "m * v where m @ v was meant"      # for TAs: the class summary counts it
    title_zh = "..."
    hint = "Your matrix-vector product has the shape of an element-wise product ..."
    hint_zh = "..."                            # for the student: the likely mistake, no solution
    concept = "matrix product vs element-wise product"   # the lecture point to revisit
    concept_zh = "..."
    gpu_only = false                           # optional: only observable when grading on a GPU

A check recognises a mistake from what the student's code returned (the check library's
`Known`, `KnownError` and `KnownMistake`); the engine then puts the mistake's id and `text()` on
the failed check's record (`CheckResult.mistake`, `.hint`).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Iterable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CATALOGUE_NAME = "mistakes.toml"
_ID = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
_TEXTS = ("title", "title_zh", "hint", "hint_zh", "concept", "concept_zh")


class CatalogueError(ValueError):
    """A wrong mistakes.toml: the message names the mistake, the key and what is expected."""


@dataclass(frozen=True)
class Mistake:
    id: str
    cells: tuple[str, ...]
    title: str
    title_zh: str
    hint: str
    hint_zh: str
    concept: str
    concept_zh: str
    gpu_only: bool = False

    def text(self) -> str:
        """The student's hint, in English and Chinese: the likely mistake, the concept to revisit."""
        return (f"Hint: {self.hint} Concept to revisit: {self.concept}.\n"
                f"提示：{self.hint_zh} 需要复习的概念：{self.concept_zh}。")


@dataclass(frozen=True)
class Catalogue:
    mistakes: dict[str, Mistake] = field(default_factory=dict)
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.mistakes)

    def __contains__(self, mistake_id: object) -> bool:
        return mistake_id in self.mistakes

    def get(self, mistake_id: str) -> Mistake | None:
        return self.mistakes.get(mistake_id)

    def problem(self, mistake_id: str, grade_id: str) -> str:
        """Why a check of `grade_id` may not name `mistake_id` ("" when it may): a grader error."""
        m = self.mistakes.get(mistake_id)
        where = self.path or CATALOGUE_NAME
        if m is None:
            return f"a check of {grade_id} recognised the mistake {mistake_id!r}, which {where} does not describe"
        if grade_id not in m.cells:
            return f"a check of {grade_id} recognised the mistake {mistake_id!r}, which {where} gives to {', '.join(m.cells)}"
        return ""


@dataclass(frozen=True)
class MistakeCount:
    """How many students of a class made one known mistake (the lecture point to repeat)."""

    mistake: Mistake
    students: tuple[str, ...]  # each once, however many checks showed it

    @property
    def count(self) -> int:
        return len(self.students)


def class_counts(results: Iterable, catalogue: Catalogue) -> list[MistakeCount]:
    """Every known mistake at least one student made (a failed check named it), most frequent
    first. `results`: SubmissionResults (with their `student`)."""
    seen: dict[str, set[str]] = {}
    for r in results:
        for c in r.checks:
            if c.mistake and c.mistake in catalogue and c.status.value != "passed":
                seen.setdefault(c.mistake, set()).add(r.student or "")
    counts = [MistakeCount(catalogue.mistakes[m], tuple(sorted(s))) for m, s in seen.items()]
    return sorted(counts, key=lambda x: (-x.count, x.mistake.cells[0], x.mistake.id))


def _mistake(mid: str, table: object, where: str, grade_ids: frozenset[str] | None) -> Mistake:
    if not _ID.match(mid):
        raise CatalogueError(f"{where}: [{mid}]: a mistake's id is 3-64 lower-case letters, digits and _")
    if not isinstance(table, dict):
        raise CatalogueError(f"{where}: {mid} must be a table ([{mid}] with cells, title, hint, concept ...)")
    known = {f.name for f in fields(Mistake)} - {"id"}
    extra = sorted(set(table) - known)
    if extra:
        raise CatalogueError(f"{where}: [{mid}]: unknown key {extra[0]!r}; known: {', '.join(sorted(known))}")
    for key in _TEXTS:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise CatalogueError(f"{where}: [{mid}]: {key} must be a non-empty string (every hint is bilingual)")
    cells = table.get("cells")
    if not isinstance(cells, list) or not cells or not all(isinstance(c, str) for c in cells):
        raise CatalogueError(f"{where}: [{mid}]: cells must be a list of the grade ids whose checks recognise it")
    if grade_ids is not None:
        unknown = [c for c in cells if c not in grade_ids]
        if unknown:
            raise CatalogueError(f"{where}: [{mid}]: {unknown[0]!r} is not a grade cell of the assignment")
    gpu_only = table.get("gpu_only", False)
    if not isinstance(gpu_only, bool):
        raise CatalogueError(f"{where}: [{mid}]: gpu_only must be true or false")
    return Mistake(mid, tuple(cells), *(table[k].strip() for k in _TEXTS), gpu_only=gpu_only)


def parse_catalogue(text: str, where: str = CATALOGUE_NAME, grade_ids: Iterable[str] | None = None) -> Catalogue:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CatalogueError(f"{where} is not valid TOML: {e}") from None
    ids = frozenset(grade_ids) if grade_ids is not None else None
    return Catalogue({mid: _mistake(mid, table, where, ids) for mid, table in raw.items()})


def load_catalogue(path: Path, grade_ids: Iterable[str] | None = None) -> Catalogue:
    """The catalogue at `path`; an empty one when the assignment has none. `grade_ids`: the
    assignment's grade cells, which every mistake's `cells` must name."""
    path = Path(path)
    if not path.is_file():
        return Catalogue(path=path)
    cat = parse_catalogue(path.read_text(encoding="utf-8"), str(path), grade_ids)
    return Catalogue(cat.mistakes, path)


__all__ = ["CATALOGUE_NAME", "Catalogue", "CatalogueError", "Mistake", "MistakeCount", "class_counts", "load_catalogue",
           "parse_catalogue"]

"""Labelled example answers, and what the most similar of them scored: a second opinion for an
answer the rubric scores low and is unsure of.

The examples (a TOML file named by the rubric's `settings.examples`) are answers a TA scored:
real answers of the tuning split, the earlier hand-written ones and the answer key's own. For a
new answer, its `k` most similar examples of the same question (character 2- and 3-grams, cosine:
no tokenizer, so English, Chinese and mixed text compare alike) vote with their scores, each
weighted by its similarity. `score.py` lets that estimate raise an unsure answer by at most
`settings.examples_raise`; it never lowers a score, and never touches an answer that denies a
concept, states a misconception or lists terms (those look like good answers to n-grams).

Deterministic on any machine: n-gram counts are whole numbers, so every dot product is exact,
and ties are broken by the examples' order in the file.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .match import prepare
from .rubric_model import Example, Rubric, RubricError
from .similarity import Vector, cosine, ngrams

_KEYS = {"id", "grade_id", "score", "text", "source"}


@dataclass(frozen=True)
class Estimate:
    score: float  # the neighbours' scores, weighted by their similarity
    neighbours: tuple[tuple[str, float], ...]  # (example id, cosine), most similar first


def load_examples(path: str | Path, grade_ids: Iterable[str], prepare: Callable[[str], str]) -> dict[str, tuple[Example, ...]]:
    """{grade id: its examples} from a TOML file of [[answer]] tables; `prepare` turns a text into
    what the matcher reads (the same normalisation an answer gets). Raises RubricError naming the
    file and the answer that is wrong."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RubricError(f"{p}: examples file not found (settings.examples of the rubric names it)") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise RubricError(f"{p}: not a valid TOML file: {e}") from None
    known = set(grade_ids)
    out: dict[str, list[Example]] = {g: [] for g in known}
    for i, a in enumerate(raw.get("answer", [])):
        name = a.get("id", "no id") if isinstance(a, dict) else repr(a)
        where = f"{p}: answer {i + 1} ({name})"
        if not isinstance(a, dict) or set(a) - _KEYS or not {"id", "grade_id", "score", "text"} <= set(a):
            raise RubricError(f"{where}: each [[answer]] needs id, grade_id, score and text (and may have source)")
        if a["grade_id"] not in known:
            raise RubricError(f"{where}: grade_id {a['grade_id']!r} is no question of the rubric")
        s = a["score"]
        if isinstance(s, bool) or not isinstance(s, (int, float)) or s < 0 or not isinstance(a["text"], str):
            raise RubricError(f"{where}: score must be a number >= 0 and text a string")
        out[a["grade_id"]].append(Example(str(a["id"]), a["grade_id"], float(s), a["text"], str(a.get("source", "")),
                                          ngrams(prepare(a["text"]))))
    return {g: tuple(v) for g, v in out.items()}


def estimate(vector: Vector, examples: Sequence[Example], k: int) -> Estimate | None:
    """What the `k` examples most similar to an answer (its n-gram `vector`) scored, weighted by
    their similarity; None without examples or when none shares an n-gram with the answer."""
    sims = sorted(((cosine(vector, e.vector), i) for i, e in enumerate(examples)), key=lambda t: (-t[0], t[1]))[:k]
    sims = [(s, i) for s, i in sims if s > 0]
    total = sum(s for s, _ in sims)
    if not sims or total <= 0:
        return None
    return Estimate(sum(s * examples[i].score for s, i in sims) / total,
                    tuple((examples[i].id, round(s, 3)) for s, i in sims))


def with_examples(rubric: Rubric, examples: str | Path | Mapping[str, Sequence[Example]]) -> Rubric:
    """The rubric with each question's examples: read from a file (prepared as the rubric's
    answers are), or given as {grade id: examples}."""
    if not isinstance(examples, Mapping):
        examples = load_examples(examples, rubric.questions, lambda t: prepare(t, rubric.settings))
    qs = {g: dataclasses.replace(q, examples=tuple(examples.get(g, ()))) for g, q in rubric.questions.items()}
    return dataclasses.replace(rubric, questions=qs)


def without_source(examples: Mapping[str, Sequence[Example]], source: str) -> dict[str, tuple[Example, ...]]:
    """The examples less those from one source (cross-validation: an answer is never scored with
    the help of its own write-up)."""
    return {g: tuple(e for e in v if e.source != source) for g, v in examples.items()}


__all__ = ["Estimate", "Example", "estimate", "load_examples", "with_examples", "without_source"]

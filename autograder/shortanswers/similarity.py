"""Character n-gram vectors and cosine similarity: deterministic, offline, language-agnostic.

Character n-grams need no tokenizer, so English, Chinese and mixed text compare alike; they
forgive misspellings and inflections. Used for answer groups (near-duplicate answers).

A TF-IDF similarity to the model answers was measured as a scoring signal and not kept: on the
tuning split, denials and keyword lists were as similar to the model answers (cosine 0.2-0.6) as
full-marks answers (mean 0.31), so it could not raise a score safely.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Mapping

from .text import CJK, normalize

_KEEP = re.compile(rf"[^a-z0-9{CJK}]+")
Vector = Mapping[str, float]


def squash(text: str) -> str:
    """Normalised text with runs of anything but letters, digits and Chinese as one space."""
    return _KEEP.sub(" ", normalize(text)).strip()


def ngrams(text: str, sizes: tuple[int, ...] = (2, 3)) -> Counter:
    """Counts of the character n-grams of the squashed text (spaces count as characters, so
    English word boundaries are kept)."""
    t = f" {squash(text)} "
    out: Counter = Counter()
    for n in sizes:
        out.update(t[i:i + n] for i in range(len(t) - n + 1))
    return out


def cosine(a: Vector, b: Vector) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


__all__ = ["cosine", "ngrams", "squash"]

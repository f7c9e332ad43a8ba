"""Character n-gram vectors and cosine similarity: deterministic, offline, language-agnostic.

Character n-grams need no tokenizer, so English, Chinese and mixed text compare alike; they
forgive misspellings and inflections. Used for answer groups (near-duplicate answers) and for
the scorer's similarity to the model answers.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable, Mapping

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


class TfIdf:
    """TF-IDF weighting of character n-grams fitted on a small corpus (the question's model
    answers and concept descriptions), so that n-grams every text shares weigh little."""

    def __init__(self, documents: Iterable[str], sizes: tuple[int, ...] = (2, 3)):
        self.sizes = sizes
        docs = [ngrams(d, sizes) for d in documents]
        n = len(docs)
        df: Counter = Counter()
        for d in docs:
            df.update(d.keys())
        # smoothed idf; unseen n-grams get the largest weight
        self.idf = {g: math.log((1 + n) / (1 + c)) + 1.0 for g, c in df.items()}
        self.unseen = math.log(1 + n) + 1.0
        self.documents = [self.weigh(d) for d in docs]

    def weigh(self, counts: Counter) -> dict[str, float]:
        return {g: (1.0 + math.log(c)) * self.idf.get(g, self.unseen) for g, c in counts.items()}

    def vector(self, text: str) -> dict[str, float]:
        return self.weigh(ngrams(text, self.sizes))

    def best(self, text: str) -> float:
        """Highest cosine similarity of `text` to any fitted document."""
        v = self.vector(text)
        return max((cosine(v, d) for d in self.documents), default=0.0)


__all__ = ["TfIdf", "cosine", "ngrams", "squash"]

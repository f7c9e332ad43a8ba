"""Character n-gram vectors and cosine similarity: deterministic, offline, language-agnostic.

Character n-grams need no tokenizer, so English, Chinese and mixed text compare alike; they
forgive misspellings and inflections. Used for answer groups (near-duplicate answers) and for
the second opinion from labelled examples (examples.py).

Similarity to the model answers alone was measured as a scoring signal and not kept: on the
tuning split, denials and keyword lists were as similar to the model answers (cosine 0.2-0.6) as
full-marks answers (mean 0.31). examples.py compares with many scored answers instead, and only
raises, by at most half a point, an answer with no denial, misconception or term list.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Mapping, Sequence

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


def cosine_matrix(vectors: Sequence[Vector]):
    """Every pair's `cosine` at once (a numpy array), the same floats `cosine` gives on any
    machine: counts are whole numbers, so the dot products are exact in any order of summation
    (float64 holds whole numbers to 2**53), and each is divided as `cosine` divides it. Only
    n-grams two vectors share are laid out, which keeps the matrix small."""
    import numpy as np

    n = len(vectors)
    norms = np.array([math.sqrt(sum(v * v for v in c.values())) for c in vectors], dtype=np.float64)
    seen: Counter = Counter(k for c in vectors for k in c)
    shared = {k: j for j, k in enumerate(sorted(k for k, df in seen.items() if df > 1))}
    x = np.zeros((n, len(shared)), dtype=np.float64)
    for i, c in enumerate(vectors):
        for k, v in c.items():
            j = shared.get(k)
            if j is not None:
                x[i, j] = v
    dots = x @ x.T
    den = np.outer(norms, norms)
    out = np.divide(dots, den, out=np.zeros_like(dots), where=den > 0)
    np.fill_diagonal(out, [1.0 if norms[i] > 0 else 0.0 for i in range(n)])
    return out


__all__ = ["cosine", "cosine_matrix", "ngrams", "squash"]

"""Which pairs of students share anything: an inverted index from each fingerprint (or answer
shingle) to the students holding it. A pair that shares nothing is never looked at, so the cost
follows the pairs that share something rather than all n(n-1)/2 of them."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def shared_counts(sets: Sequence[set], min_shared: int) -> dict[tuple[int, int], int]:
    """{(i, j): how many elements sets i and j share} for i < j sharing at least `min_shared`,
    through an inverted index: a pair that shares nothing costs nothing."""
    postings: dict[object, list[int]] = {}
    for i, s in enumerate(sets):
        for h in s:
            postings.setdefault(h, []).append(i)
    chunks_a, chunks_b = [], []
    for ids in postings.values():
        if len(ids) < 2:
            continue
        a = np.asarray(ids, dtype=np.int64)
        ia, ib = np.triu_indices(len(a), k=1)
        chunks_a.append(a[ia])
        chunks_b.append(a[ib])
    if not chunks_a:
        return {}
    n = len(sets)
    keys, counts = np.unique(np.concatenate(chunks_a) * n + np.concatenate(chunks_b), return_counts=True)
    return {(int(key // n), int(key % n)): int(c) for key, c in zip(keys, counts) if c >= min_shared}

"""Code similarity by winnowed fingerprints (copydetect, the MOSS algorithm).

copydetect tokenises with pygments and normalises every identifier (variables become V,
function names F, class names O, strings S; comments and whitespace vanish), so renamed
variables, moved functions and added comments leave the fingerprints of the code itself intact.
It selects fingerprints by winnowing and maps matches back to the original text.

Two things are done here rather than in copydetect, for reasons of its design:
- k-grams are hashed with a fixed polynomial hash: copydetect uses Python's `hash()`, which is
  salted per process, so the same class would give slightly different figures on every run;
- fingerprints shared by everyone are discounted before coverage is counted: the release's
  starter code and the published answer key (copydetect's "boilerplate"), and, as MOSS's -m,
  fingerprints found in more than a share of the class (idioms, or a widely shared leak that
  the per-pair report would not explain anyway).

Pairs are found through an inverted index from fingerprint to students (index.py), so only pairs
that share fingerprints are compared in detail (copydetect's own CopyDetector compares all n² pairs).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

_BASE = np.uint64(1_000_003)
_MASK = np.uint64((1 << 52) - 1)  # copydetect's winnowing keeps hashes in float64: stay exact
# copydetect is imported where it is used: importing it imports matplotlib.pyplot, which every other
# command (grade, check, review) would pay for at start, and which needs a writable home.


def kgram_hashes(doc: str, k: int) -> np.ndarray:
    """A stable hash of every k-character window of `doc` (same on every machine and run)."""
    n = len(doc) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    codes = np.frombuffer(doc.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _BASE + codes[j:j + n]
    return (h & _MASK).astype(np.int64)


@dataclass
class Fingerprint:
    """One student's code, in the shape copydetect's compare_files reads (its CodeFingerprint
    attributes), with the winnowed fingerprints kept before discounting."""
    filename: str
    raw_code: str
    filtered_code: str
    offsets: np.ndarray
    k: int
    selected: np.ndarray  # winnowed hashes, with repeats, in order
    selected_idx: np.ndarray  # their positions in filtered_code
    hashes: set = field(default_factory=set)  # after discounting
    hash_idx: dict = field(default_factory=dict)
    token_coverage: float = 0.0

    @property
    def unique(self) -> set[int]:
        return set(self.selected.tolist())


@lru_cache(maxsize=8192)
def normalised(code: str) -> tuple[str, np.ndarray]:
    """copydetect's tokenised and normalised code and its offsets. Cached: the same block (a
    demonstration cell, a shared helper) recurs across a class, and tokenising is most of the cost."""
    from copydetect.utils import filter_code

    text, offsets = filter_code(code, "code.py", "python")
    offsets.setflags(write=False)
    return text, offsets


def fingerprint(name: str, blocks: Sequence[str], k: int, window: int) -> Fingerprint:
    """Fingerprints of a student's code, given as blocks joined by newlines in `raw_code`. Each
    block is tokenised and winnowed on its own (no fingerprint spans two blocks); positions and
    copydetect's offsets (filtered position -> characters removed before it) are shifted into
    the joined text."""
    filtered, offsets, sel, idx = [], [], [], []
    f_start = r_start = 0
    for block in blocks:
        text, off = normalised(block)
        shift = r_start - f_start
        if len(off):
            offsets.append(off + np.array([f_start, shift]))
        # the block's tail: everything after its last token was removed
        offsets.append(np.array([[f_start + max(len(text) - 1, 0), shift + len(block) - len(text)]]))
        hashes = kgram_hashes(text, k)
        if len(hashes):
            from copydetect.utils import winnow

            s, i = winnow(hashes, window_size=window, remove_duplicates=False)
            sel.append(np.asarray(s, dtype=np.int64))
            idx.append(np.asarray(i, dtype=np.int64) + f_start)
        filtered.append(text)
        f_start += len(text)
        r_start += len(block) + 1
    fp = Fingerprint(name, "\n".join(blocks), "".join(filtered),
                     np.concatenate(offsets).astype(np.int64) if offsets else np.zeros((0, 2), dtype=np.int64), k,
                     np.concatenate(sel) if sel else np.zeros(0, dtype=np.int64),
                     np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64))
    discount(fp, set())
    return fp


def boilerplate_hashes(sources: Iterable[str], k: int, window: int) -> set[int]:
    """Every k-gram hash of the given code (not only the winnowed ones: a student's window may
    pick a different fingerprint of the same shared text)."""
    out: set[int] = set()
    for src in sources:
        filtered, _ = normalised(src)
        out |= set(kgram_hashes(filtered, k).tolist())
    return out


def discount(fp: Fingerprint, ignore: set[int]) -> None:
    """Drop the ignored fingerprints and recount the coverage matches are divided by."""
    keep = [i for i, h in enumerate(fp.selected.tolist()) if h not in ignore]
    idx: dict[int, list[int]] = {}
    for i in keep:
        idx.setdefault(int(fp.selected[i]), []).append(int(fp.selected_idx[i]))
    fp.hash_idx = idx
    fp.hashes = set(idx)
    from copydetect.utils import get_token_coverage

    fp.token_coverage = float(get_token_coverage(idx, fp.k, len(fp.filtered_code))) if idx else 0.0


def common_hashes(fps: Sequence[Fingerprint], max_df: int) -> set[int]:
    """Fingerprints held by more than `max_df` students."""
    counts: dict[int, int] = {}
    for fp in fps:
        for h in fp.unique:
            counts[h] = counts.get(h, 0) + 1
    return {h for h, c in counts.items() if c > max_df}


@dataclass(frozen=True)
class CodeMatch:
    a_in_b: float  # share of A's own code (its discounted coverage) found in B
    b_in_a: float
    chars: int  # normalised characters of A that match
    slices_a: tuple[tuple[int, int], ...]  # matching regions, as character ranges of the raw code
    slices_b: tuple[tuple[int, int], ...]


def compare(a: Fingerprint, b: Fingerprint) -> CodeMatch:
    if not a.hashes or not b.hashes:
        return CodeMatch(0.0, 0.0, 0, (), ())
    from copydetect import compare_files

    overlap, (sim_a, sim_b), (sl_a, sl_b) = compare_files(a, b)
    if overlap == 0:
        return CodeMatch(0.0, 0.0, 0, (), ())

    def ranges(sl: np.ndarray) -> tuple[tuple[int, int], ...]:
        return tuple((int(s), int(e)) for s, e in zip(sl[0], sl[1]))

    return CodeMatch(min(float(sim_a), 1.0), min(float(sim_b), 1.0), int(overlap), ranges(sl_a), ranges(sl_b))

"""Chinese text: traditional -> simplified characters, and word segmentation (jieba).

Both packages are pinned in requirements.lock and carry their dictionaries inside the package, so
nothing is downloaded at grading time. They are loaded on first use (jieba's dictionary takes
about a second to load once per process) and their output is deterministic.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
from functools import lru_cache

from .text import CJK, EN_FUNCTION_WORDS, ZH_FUNCTION_CHARS, cjk_chars, en_words

_HAS_CJK = re.compile(f"[{CJK}]")


@lru_cache(maxsize=1)
def _converter():
    from hanziconv import HanziConv

    return HanziConv


def to_simplified(text: str) -> str:
    """Traditional characters as simplified ones (只 / 隻 style one-to-many cases keep the common form)."""
    if not _HAS_CJK.search(text):
        return text
    return _converter().toSimplified(text)


@lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    # jieba caches its prefix dictionary in the temporary folder; keep it in one folder of ours
    tok.tmp_dir = os.path.join(tempfile.gettempdir(), "autograder-jieba")
    os.makedirs(tok.tmp_dir, exist_ok=True)
    return tok


def words(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) for every jieba word of `text` (HMM off: dictionary words only, so the
    same text always splits the same way)."""
    out = []
    for w, start, end in _tokenizer().tokenize(text, HMM=False):
        out.append((w, start, end))
    return out


# Words that glue a Chinese sentence (particles, auxiliaries, copulas, prepositions, conjunctions),
# recognised as jieba words: 过 in 过拟合, 有 in 有效 or 更 in 更深 is not one.
ZH_FUNCTION_WORDS = frozenset(ZH_FUNCTION_CHARS) | frozenset(
    "因为 所以 由于 但是 如果 可以 能够 应该 需要 这个 那个 它们 我们 从而 因此 而且 并且 使得 导致 通过 进行 就是 "
    "还是 已经 没有 不是 可能 然后 其中 这样 这些 那些 虽然 尽管 以及 或者 并不 并非 其实 只是 对于 关于 为了".split())


def function_word_count(text_norm: str) -> tuple[int, int, int, int]:
    """(English function words, English words, characters in Chinese function words, Chinese
    characters)."""
    ew = en_words(text_norm)
    fz = sum(len(w) for w, _, _ in words(text_norm) if w in ZH_FUNCTION_WORDS) if _HAS_CJK.search(text_norm) else 0
    return sum(1 for w in ew if w in EN_FUNCTION_WORDS), len(ew), fz, len(cjk_chars(text_norm))


def has_function_word(segment_norm: str) -> bool:
    fe, _, fz, _ = function_word_count(segment_norm)
    return fe + fz > 0


__all__ = ["ZH_FUNCTION_WORDS", "function_word_count", "has_function_word", "to_simplified", "words"]

"""Does a sentence say the opposite of what a term or pattern matched in it?

"Softmax does not turn logits into probabilities" must not earn "probabilities". A match is
negated when, in the same clause:
- a negation cue comes shortly before it ("not", "no", "never", "none", "nothing", 不, 没有, 并非,
  ...), with no clause break between them. A comma continues the scope only into a bare list
  ("not trained on GPUs, ImageNet or ...") and breaks it before a new clause ("does not
  saturate, so training is faster");
- or (Chinese) a post-negation follows it: "与过拟合、容量都无关";
- or, for a regex pattern, a cue stands inside the match (not at its start, where the pattern's
  own "without ..." / "没有 ..." lives), unless it negates a bad outcome ("does not saturate",
  "不会饱和", "no longer updates" are the concept, not its denial).
Negation words inside a term ("not saturate", 不饱和, 没有绝对) belong to the term.

Chinese cues are found on jieba word boundaries, so 不同, 不断, 不仅, 无论 are not negations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from . import zh
from .text import CJK
from .zh import has_function_word

_EN_CUE = re.compile(r"\b(not|nto|no|never|none|nothing|neither|nor|cannot|hardly|far from|in no way)\b(?!\s+(only|just|matter)\b)"
                     # "fails to turn logits into ...": a denial; "fail to reach the early layers" is the concept
                     r"|\b(fails?|failed|unable) to\b(?!\s+(reach|propagat|flow|learn|updat|converg|train|chang|escape|captur|generali))")
_EN_BREAK = re.compile(
    r"[.;:!?()\[\]]|\b(but|however|although|though|whereas|while|instead|rather|so|therefore|thus|hence|"
    r"which|because|since|unlike|than|whereby)\b"
)
ZH_CUES = frozenset(
    "不 没 没有 无 无法 不会 不是 不能 不可 不要 并非 并不 并没有 并未 未 未能 不再 绝不 毫无 从不 从未 不用 不需要 不必 "
    "非 难以 不可能 决不 别 绝非 绝不是 并非是".split()
)
# 的/时/则/就 end a negated condition: 没有激活函数的每层 / 没有激活函数时 ... negate the condition only
# words that begin with 不/没/无/未 but negate nothing (or are negative adjectives: 初始化不当 is a cause,
# or compare: 不如)
ZH_NOT_CUES = frozenset(
    "不同 不断 不仅 不只 不少 不管 不论 不过 不足 不久 不错 不禁 不得不 不妨 不当 不良 不佳 不稳定 不够 不易 不利 不均 "
    "不平衡 不一 不停 无论 无数 无穷 无限 无穷大 无穷小 没错 未来 未知".split()
    # comparisons, not denials: "Adam 的泛化不如 SGD" says SGD generalises better
    + "不如 不及 比不上 不亚于".split()
    # a negative adjective, not a denial: 收敛不好 (converges badly)
    + ["不好"])
ZH_BREAK = frozenset("但 但是 而 而是 却 因此 所以 从而 因为 由于 使得 导致 然而 不过 只是 以便 比 相比 而且 的 时 则 就 那么 的话".split())
ZH_POST = re.compile(r"^[、和与及或\s]{0,2}.{0,6}?(无关|没有关系|没关系|不相关|不相干|毫无关系|没有任何关系|打不着|不相及|不重要|没有用|没用|"
                     r"没有作用|不存在|并不存在)")
# a coordinator between a match and a later cue: the cue denies the next predicate, not the match
# ("训练速度很慢或收敛不好")
_ZH_COORD = re.compile(r"[或和与及、]")
_ZH_STOP = re.compile(r"[，,。；;：:！!？?]")
_COMMA = re.compile(r"[,，、]")
# what a negation inside a pattern may legitimately negate: a bad outcome, right after the cue
_OUTCOME_EN = re.compile(r"^\W{0,3}(?:[a-z]+\s+){0,2}?(saturat|vanish|explod|overfit|diverg|converg|learn|updat|chang|"
                         r"shrink|die|dead|suffer)")
_OUTCOME_ZH = re.compile(r"^\s?.?(饱和|消失|爆炸|过拟合|发散|收敛|更新|学习|训练|变化|变|衰减)")
# a negated predicate after the match denies it: "the chain rule does not ...", "X 并没有 ..."
_POST_EN = re.compile(r"^\W{0,3}(?:[a-z0-9\-]+\s+){0,6}?(?:(?:do|does|did|is|are|was|were|has|have|had|can|could|will|"
                      r"would|should|must|plays?|played)\s+(?:not|no|never)\b|(?:has|have|had)\s+nothing\b|"
                      r"(?:is|are|was|were)\s+irrelevant\b)")
EN_WINDOW = 60
ZH_WINDOW = 16


def _zh_cue(word: str) -> bool:
    """A jieba word that negates: 不, 没有, 并非, and words built on them (也不, 不等价, 没用)."""
    if word in ZH_CUES:
        return True
    if len(word) < 2 or any(word.startswith(w) for w in ZH_NOT_CUES):
        return False
    return word[0] in "不没未" or word[-1] in "不没"


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    cjk: bool


class Sentence:
    """One normalised sentence, its negation cues and clause breaks (computed once, used for every
    match in it)."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def _zh_words(self) -> list[tuple[str, int, int]]:
        return zh.words(self.text) if re.search(f"[{CJK}]", self.text) else []

    @cached_property
    def cues(self) -> tuple[Cue, ...]:
        out = [Cue(m.start(), m.end(), False) for m in _EN_CUE.finditer(self.text)]
        out += [Cue(s, e, True) for w, s, e in self._zh_words if _zh_cue(w)]
        return tuple(sorted(out, key=lambda c: c.start))

    @cached_property
    def breaks(self) -> tuple[int, ...]:
        pos = [m.start() for m in _EN_BREAK.finditer(self.text)]
        pos += [s for w, s, e in self._zh_words if w in ZH_BREAK]
        pos += [m.start() for m in re.finditer("[。；;：:！!？?]", self.text)]
        return tuple(sorted(pos))

    def _in_scope(self, cue: Cue, start: int) -> bool:
        if start - cue.end > (ZH_WINDOW if cue.cjk else EN_WINDOW):
            return False
        # a colon right after "not" opens what it denies ("does not: give ..."; but "No: they come
        # from ..." answers a question)
        if any(cue.end <= b < start and not (self.text[b] == ":" and not self.text[cue.end:b].strip()
                                              and self.text[cue.start:cue.end] != "no")
               for b in self.breaks):
            return False
        commas = [m.start() for m in _COMMA.finditer(self.text, cue.end, start)]
        if commas:
            # past a comma the scope goes on only through a bare list of items
            tail = self.text[commas[0] + 1:start]
            if has_function_word(tail):
                return False
        return True

    def legit_inner(self, cue: Cue, start: int) -> bool:
        """A cue inside a pattern's match that belongs to it: at its start ("without ...",
        "没有 ...") or negating a bad outcome ("does not saturate", "不会饱和")."""
        if cue.start <= start + 1:
            return True
        after = self.text[cue.end:cue.end + 24]
        return bool((_OUTCOME_ZH if cue.cjk else _OUTCOME_EN).match(after))

    def negates(self, start: int, end: int, *, pattern: bool = False, owned: frozenset[int] = frozenset()) -> bool:
        """Is the match text[start:end] negated? Cues inside a term's match are the term's own;
        `owned` are the offsets of cues that belong to other matches ("not saturate", 不饱和),
        which therefore deny nothing else."""
        for cue in self.cues:
            if cue.start < start < cue.end:  # the match begins inside a negated word: 不|等价
                return True
            if cue.end <= start and cue.start not in owned and self._in_scope(cue, start):
                return True
            if pattern and start <= cue.start and cue.end <= end and not self.legit_inner(cue, start):
                return True
        rest = self.text[end:end + 48]
        cut = next((b - end for b in self.breaks if b >= end), len(rest))
        rest = rest[:cut]
        m = _POST_EN.match(rest)
        if m and not any(end <= c.start < end + m.end(0) and c.start in owned for c in self.cues):
            return True
        if self._zh_words:
            stop = _ZH_STOP.search(rest)
            head = rest[:stop.start()] if stop else rest
            if ZH_POST.match(head):
                return True
            for cue in self.cues:
                if (cue.cjk and end <= cue.start <= end + 4 and cue.start not in owned
                        and not _OUTCOME_ZH.match(self.text[cue.end:cue.end + 4])
                        and not any(end <= b < cue.start for b in self.breaks)
                        and not _ZH_COORD.search(self.text[end:cue.start])):
                    return True
        return False

    def owned_cues(self, start: int, end: int, *, pattern: bool) -> set[int]:
        """Offsets of the cues that belong to the match text[start:end] itself."""
        return {c.start for c in self.cues
                if start <= c.start and c.end <= end and (not pattern or self.legit_inner(c, start))}


__all__ = ["Sentence", "ZH_CUES"]

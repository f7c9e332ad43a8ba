"""Does an answer disown what it says? A claim the answer itself calls false earns nothing.

negation.py reads "not", 不, 没有 in the words around a match. This module reads the framing of
whole clauses and sentences, which students (and hostile students) use as often:
- a clause that calls itself false: "it is a myth that ...", "... - completely untrue", "fake news:
  ...", "it would be wrong to say ...", "I disagree", 说…是错的, 纯属胡说, 谈不上, 并不是说 ...
  (the clause only: "这并不是说深度不重要，而是要权衡" keeps what follows 而是);
- a sentence disowned by a short one after it ("Completely untrue.", "As if.", "Neither holds.",
  "否。"); one pointing back at everything ("all of the above is false", "以上全部是错误说法") disowns
  every sentence before it, one pointing ahead ("the following is false:", "以下都是错的") every
  sentence after it;
- a question ("Does softmax give probabilities?", "……吗？") is noted, not disowned: real answers
  ask and answer ("需要最快收敛? 用 Adam"); an answer whose concepts are all in questions is
  capped by the scorer.
A marker that is itself negated ("this is not a myth", 不是错的) disowns nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .text import cjk_chars, en_words

_ADJ = (r"false|wrong|incorrect|mistaken|misguided|ridiculous|absurd|baseless|groundless|clueless|a lie|lies|"
        r"a myth|myths|a misconception|misconceptions|nonsense|rubbish|bogus|fake|untrue")
_EN_MARK = re.compile(
    r"\b(myths?|untrue|nonsense|rubbish|bogus|baloney|hogwash|fake news|falsehoods?|fallac(y|ies|ious)|debunked|"
    r"disagree|not true|not the case|not so that|yeah right|who knows|who can say|doubt that|i doubt|"
    r"(do|does|did) not believe|misconceptions?)\b"
    rf"|\b(is|are|was|were|be|been|being|completely|totally|entirely|simply|plainly|utterly|absolutely|all|both|"
    rf"also|equally|just|patently|clearly|obviously|that's|it's)\s+({_ADJ})\b"
    r"|\b(wrong|false|incorrect|mistaken) to (say|claim|think|believe|state|write)\b"
    r"|\b(false|untrue|incorrect|wrong)\s*[:!]"
    r"|[:\-\u2013\u2014]\s*(completely |totally |all |simply |also |equally )?(false|untrue|incorrect|wrong|nonsense|a myth)\W*$")
# what a short sentence says when it only answers "no" to the sentence before it
_EN_SHORT = re.compile(r"^\W*(no|nope|not really|as if|yeah right|neither holds|neither is true|"
                       r"none of (it|this|that|these|them)( is true| holds)?|wrong|false|incorrect|untrue)\W*$")
_ZH_MARK = re.compile(r"(?<!不是)(?<!不)错的|是错误的|错误的?(说法|观点|认识|理解)|说法(是)?错误|不对(?!称|应)|胡说|瞎说|胡扯|"
                      r"扯淡|无稽之谈|谬论|谣言|误解|误区|不成立|谈不上|站不住脚|毫无根据|没有根据|纯属|得了吧|开玩笑|"
                      r"想多了|并不是说|不是说|假的|骗人")
_ZH_SHORT = re.compile(r"^\W*(否|不|不是|不对|错|错了|并不是|没有|不成立)\W*$")
_NEGATED_MARK = re.compile(r"\b(not|no|never|hardly)\s+(\w+\s+){0,2}$")
_BACK = re.compile(r"\b(all|everything|above|all of (this|that|these|it))\b|以上|上面|上述|全部|前面")
_AHEAD = re.compile(r"\b(following|below|next)\b|以下|下面|下列|如下")
_CONTRAST = re.compile(r"\b(but|however|whereas|instead|rather|in fact|actually)\b|而是|但是|但|然而|其实|实际上|事实上|不过|可是")
_QUESTION = re.compile(r"[?？]\W*$|(吗|么)\W*$")


def _marks(text: str) -> list[re.Match]:
    out = [m for m in _EN_MARK.finditer(text) if not _NEGATED_MARK.search(text[max(0, m.start() - 24):m.start()])]
    return out + list(_ZH_MARK.finditer(text))


def _short(text: str, words: int = 8, chars: int = 16) -> bool:
    return len(en_words(text)) <= words and len(cjk_chars(text)) <= chars


def clause_spans(text: str) -> list[tuple[int, int]]:
    """The clauses of `text` (between contrast words) that hold a disavowal marker. A short one
    is a verdict on what came before it ("..., but they are mistaken", "……，其实都是瞎说"): from the
    sentence's start."""
    cuts = [0, *(m.start() for m in _CONTRAST.finditer(text)), len(text)]
    spans = []
    for m in _marks(text):
        lo = max(c for c in cuts if c <= m.start())
        hi = min(c for c in cuts if c > m.start())
        spans.append((0 if _short(text[lo:hi], 6, 12) else lo, hi))
    return spans


@dataclass(frozen=True)
class Stance:
    whole: frozenset[int]  # sentences disowned entirely, by a sentence near them
    marked: frozenset[int]  # sentences holding a disavowal of their own (clause_spans says where)
    questions: frozenset[int] = frozenset()

    def spans(self, si: int, text: str) -> list[tuple[int, int]]:
        if si in self.whole:
            return [(0, len(text))]
        return clause_spans(text) if si in self.marked else []


def read_stance(sentences: list[str]) -> Stance:
    whole: set[int] = set()
    marked: set[int] = set()
    questions = {si for si, s in enumerate(sentences) if _QUESTION.search(s)}
    for si, s in enumerate(sentences):
        bare_no = bool(_EN_SHORT.match(s) or _ZH_SHORT.match(s))
        if not (_marks(s) or bare_no):
            continue
        marked.add(si)
        if _AHEAD.search(s) and not bare_no:
            whole.update(range(si + 1, len(sentences)))
        elif _short(s) and si > 0:
            whole.update(range(si) if _BACK.search(s) else [si - 1])
    return Stance(frozenset(whole), frozenset(marked), frozenset(questions))


__all__ = ["Stance", "clause_spans", "read_stance"]

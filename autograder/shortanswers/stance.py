"""Does an answer disown what it says? A claim the answer itself calls false earns nothing.

negation.py reads "not", 不, 没有 in the words around a match. This module reads the framing of
clauses and sentences, which students (and hostile students) use as often:
- a clause that calls itself false: "it is a myth that ...", "it would be wrong to say ...",
  "the claim that ... is erroneous", 说…是错的, 谈不上, 并不是说 ... Clauses end at contrast words
  (but, 而是, 其实 ...), at a colon or a dash, and in Chinese at a comma: "It is a myth that deeper
  is always better: depth gives ..." keeps what follows the colon;
- a short verdict is about its neighbour: after a claim it disowns the claim ("..., which is
  inaccurate", "……，这完全是错的"); opening a sentence before a colon it disowns what follows
  ("Fake news: ...", "以下都是错的：...");
- a short sentence that is only a verdict ("Completely untrue.", "Lol no.", "/s", "否。") disowns
  the sentence before it, or every sentence before it when it points back ("I disagree with all of
  this", "以上全部是错误说法"); one pointing ahead ("the following is false") every sentence after it.
  A short sentence with a subject of its own ("Using it in hidden layers would be wrong.") is no
  verdict on its neighbour.
- a one-word verdict that opens a correction answers what came before it, and disowns that, not
  the correction: "Do they come from big weights? No: they come from ...", "Myth: '...' – wrong,
  the GPUs only ...", "LeNet was deeper? Wrong, AlexNet is ...";
- "Rather than X, ..." / "Instead of X, ..." opening a sentence disowns X.
A marker that is itself negated ("this is not a myth", 不是错的) or qualified ("not true for ReLU")
disowns nothing. Questions are noted, not disowned: real answers ask and answer ("需要最快收敛?
用 Adam").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .text import CJK, EN_FUNCTION_WORDS, cjk_chars, en_words

_ADJ = (r"false|wrong|incorrect|mistaken|misguided|erroneous|inaccurate|ridiculous|absurd|baseless|groundless|"
        r"clueless|a lie|lies|a myth|myths|a misconception|misconceptions|misinformation|nonsense|rubbish|garbage|"
        r"bogus|fake|untrue|not correct|not right|not accurate")
_EN_MARK = re.compile(
    r"\b(myths?|untrue|nonsense|rubbish|garbage|bogus|baloney|hogwash|fake news|falsehoods?|fallac(y|ies|ious)|"
    r"debunked|erroneous(ly)?|inaccurate|wrongly|falsely|mistakenly|misinformation|disinformation|disagree|"
    r"not true|not the case|not so that|yeah right|who knows|who can say|doubt that|i doubt|who says|since when|"
    r"(do|does|did) not (believe|endorse|agree)|i reject|reject(ed)? (claims?|statements?)|claims? i reject|"
    r"just kidding|scratch that|disregard|ignore (everything|all|the above|what i)|misconceptions?|misunderstanding|"
    r"urban legend|made (all of )?(this|it|that|these|them) up|hallucinat\w*|said no one ever|none of (that|this|it) holds|"
    r"i would be surprised|nobody believes|no one believes|used to think|know better|pigs fly|opposite day|"
    r"dreamt|dreamed|woke up|(is|was) not so|isn't so|lies|exact opposite|kidding|april fools?|read (it|this|that|everything|all)( above)? backwards|flip every|none of the above)\b"
    r"|^\W*(rather than|instead of)\b"
    r"|^\W*(in no way|by no means|under no circumstances|not once|never once)\b"
    rf"|\b(is|are|was|were|be|been|being|completely|totally|entirely|simply|plainly|utterly|absolutely|all|both|"
    rf"also|equally|just|patently|clearly|obviously|dead|pure|that's|it's)\s+({_ADJ})\b"
    r"|\b(wrong|false|incorrect|mistaken) to (say|claim|think|believe|state|write)\b"
    r"|(?<!true/)(?<!true or )\b(false|untrue|incorrect|wrong)\s*[:!]|/s\b"
    r"|(?<![\w/-])(false|wrong|incorrect|untrue)(?=\s*[,，:：\-–—]\s*\w)"
    r"|[:：\-\u2013\u2014]\s*(completely |totally |all |simply |also |equally |dead )?"
    r"(false|untrue|incorrect|wrong|nonsense|a myth|not correct|not true)\W*$")
# a sentence that is only an answer "no" to the one before it
_EN_SHORT = re.compile(r"^\W*(no|nope|nah|not|hardly|as if|yeah,? right|lol( no)?|jk|no way|not at all|not even close|"
                       r"neither holds|neither is true|none of (it|this|that|these|them)( is true| holds)?|"
                       r"wrong|false|incorrect|untrue|not correct|not really)\W*$")
_ZH_MARK = re.compile(r"(?<!不是)(?<!不)错的|是错误的|错误的?(说法|观点|认识|理解)|说法(是)?错误|(?<!对)不对(?!称|应)|胡说|瞎说|胡扯|"
                      r"扯淡|无稽之谈|谬论|谣言|谣传|误解|误区|不成立|谈不上|站不住脚|毫无根据|没有根据|纯属|得了吧|开玩笑|"
                      r"想多了|并不是说|不是说|假的|骗人|不正确|有误|全错|大错特错|伪命题|瞎编|编造|恰恰相反|非也|荒谬|"
                      r"不靠谱|怎么可能|哪里能|哪能|岂能|才怪|鬼才信|^\W*谁说|不是这样|并非如此|我不信|不相信|(曾经|原本|本来|一直)以为|统统不是|压根|扯不上|说辞|一派胡言|胡言乱语|反话|全反了|别当真|不同意")
_ZH_SHORT = re.compile(r"^\W*(否|不|不是|都不是|不对|错|错了|全错|并不是|没有|不成立|非也)\W*$")
# a one-word verdict; at the start of a sentence and followed by more words, a reply to the one before
_ANSWER_WORD = re.compile(r"(no|nope|false|wrong|incorrect|not true|not correct|untrue|不是|不对|错了|错|否)(?![\w\u4e00-\u9fff])")
_REPLY = re.compile(r"^\W*(no|nope|false|wrong|incorrect|not true|not correct|untrue|不是|不对|错了|错|否)\s*[,，:：\-–—]\s*[\w\u4e00-\u9fff]")
# a sentence a reply can be about: a question, or a quoted claim ("True or false: 'Adam needs no ...'")
_CLAIM_ASKED = re.compile(r"[?？]\W*$|['\"“”「」‘’]")
# "not true for ReLU", "wrong for a regression": a qualification, not a verdict on a claim
_QUALIFIED = re.compile(r"\s+(for|of|in|when|if|with)\b")
_VERDICT_END = re.compile(r"(true|the case|wrong|false|incorrect|correct)$")
_NEGATED_MARK = re.compile(r"\b(not|no|never|hardly)\s+(\w+\s+){0,2}$")
# "如有不对欢迎指正", "not 100% sure", "to the best of my knowledge", "不一定对": a hedge, which a TA need
# not read (score.py's closing remark uses it too)
HEDGE = re.compile(r"\b(sure|certain|expert|i think|maybe|probably|best of my knowledge|corrected|may be wrong|"
                   r"might be wrong)\b|如有|指正|个人|仅供参考|不知道|确定|保证|一定|可能|也许|参考")
# a verdict sentence naming what is above it, or closing the answer: a TA reads it ("上面都是我瞎写的，别当真")
_REFERS_BACK = re.compile(r"\b(above|all of (this|it)|everything)\b|以上|上面|上述")
_POINTS_BACK = re.compile(r"\b(this|that|these|those|statement|claim|above)\b|这|那|上面|以上")
_BACK = re.compile(r"\b(all|everything|above|all of (this|that|these|it))\b|以上|上面|上述|全部|前面")
# a short verdict opening a sentence about the one before it, then a colon: "The statement above is a myth: ..."
_BACK_VERDICT = re.compile(r"^\W*(the|this|that|these|those)\s+(statement|claim|idea|sentence|view)s?(\s+above)?\s+(is|are)\s+"
                           rf"({_ADJ})\s*[:：]|^\W*(这种|这个|上面的?|以上)(说法|观点|结论)?(是|都是|完全是)?(错的|错误的|误解|谣言)\s*[:：]")
_AHEAD = re.compile(r"\b(following|below|next)\b|以下|下面|下列|如下")
# (answers are normalised: Chinese punctuation is half-width by now, so a Chinese comma is a comma
# next to a Chinese character)
_CUT = re.compile(rf"\b(but|however|whereas|instead|rather|in fact|actually|until|now i know|later)\b|后来|才知道|才明白|[:：—–]|\s-\s|，|(?<=[{CJK}]),|,(?=\s?[{CJK}])"
                  r"|而是|但是|但|然而|其实|实际上|事实上|不过|可是")
_COLON = re.compile(r"\s*[:：]")
_RATHER = re.compile(r"\W*(rather than|instead of)\b")  # at a sentence's start (the mark is anchored there)
_QUESTION = re.compile(r"[?？]\W*$|(吗|么)\W*$|^\W*(我想问|请问|想问一下|问一下)")
# words a verdict is made of besides its marker: "that is completely untrue", "以上全部是错误说法"
_VERDICT_WORDS = frozenset("completely totally entirely simply plainly utterly absolutely clearly obviously really "
                           "just dead pure all everything said claims claim statements statement idea above with "
                           "lol sorry well so ok okay i practice reality fact truth honestly frankly total wrote "
                           "written said say please answer my me sentence sentences sadly unfortunately alas".split())
_VERDICT_CHARS = frozenset("这那以上全部都是也完全根本纯属均皆一切所有说法观点结论的了啊吧呢嘛个些种我你他们网很太真后来发现可惜现实面")


def _marks(text: str) -> list[re.Match]:
    out = [m for m in _EN_MARK.finditer(text) if not _NEGATED_MARK.search(text[max(0, m.start() - 24):m.start()])
           and not (_VERDICT_END.search(m.group(0)) and _QUALIFIED.match(text, m.end()))]
    return out + list(_ZH_MARK.finditer(text))


def _short(text: str, words: int = 8, chars: int = 16) -> bool:
    return len(en_words(text)) <= words and len(cjk_chars(text)) <= chars


def _only_verdict(text: str) -> bool:
    """Is `text` a verdict and nothing else: no word of its own beyond the marker and filler?"""
    rest = text
    for m in sorted([*_marks(text), *_CUT.finditer(text)], key=lambda m: -m.start()):
        rest = rest[:m.start()] + " " * (m.end() - m.start()) + rest[m.end():]
    words = [w for w in en_words(rest) if w not in EN_FUNCTION_WORDS and w not in _VERDICT_WORDS and not w.isdigit()]
    return not words and all(c in _VERDICT_CHARS for c in cjk_chars(rest))


def clause_spans(text: str, reply: bool = False) -> list[tuple[int, int]]:
    """The parts of `text` that a disavowal marker in it disowns (see the module's docstring).
    `reply`: the sentence answers the one before it ("...? No: they come from ..."), so a verdict
    opening it disowns nothing of its own."""
    cuts = sorted({0, *(m.start() for m in _CUT.finditer(text)), len(text)})
    marks = sorted(_marks(text), key=lambda m: m.start())
    spans = []
    for i, m in enumerate(marks):
        lo = max(c for c in cuts if c <= m.start())
        hi = min(c for c in cuts if c > m.start())
        clause = text[lo:hi]
        opens = not re.sub(r"[\W_]", "", text[lo:m.start()])  # the marker opens its clause
        if opens and _ANSWER_WORD.match(text, m.start()) and (lo > 0 or reply):
            # "...? Wrong, AlexNet is much deeper", "Myth: ... – wrong, the GPUs only ...": a verdict on
            # what came before it; what follows is the student's own correction
            spans.append((0, m.end()))
            continue
        if _RATHER.match(text, m.start()):
            comma = text.find(",", m.end())
            spans.append((0, comma if comma > 0 else hi))
            continue
        if _AHEAD.search(clause) or (_short(clause, 6, 12) and not text[:lo].strip(" ,，") and _COLON.match(text[hi:])
                                     and not _POINTS_BACK.search(clause)):
            # up to the clause of the next verdict ("Myth: ... – wrong, the GPUs only ...")
            later = [c for c in cuts if i + 1 < len(marks) and lo < c <= marks[i + 1].start()]
            spans.append((lo, max(later) if later else len(text)))
        elif _short(clause, 6, 12) and _only_verdict(clause):
            spans.append((0, hi))  # "..., which is inaccurate", "……，这完全是错的"
        else:
            spans.append((lo, hi))
    return spans


@dataclass(frozen=True)
class Stance:
    whole: frozenset[int]  # sentences disowned entirely, by a sentence near them
    marked: frozenset[int]  # sentences holding a disavowal of their own (clause_spans says where)
    questions: frozenset[int] = frozenset()
    replies: frozenset[int] = frozenset()  # sentences opening with "No:", "Wrong," ... after another one
    doubts: frozenset[int] = frozenset()  # verdicts about what is above, or closing the answer: a TA reads them

    def spans(self, si: int, text: str) -> list[tuple[int, int]]:
        if si in self.whole:
            return [(0, len(text))]
        return clause_spans(text, si in self.replies) if si in self.marked else []


def read_stance(sentences: list[str]) -> Stance:
    whole: set[int] = set()
    marked: set[int] = set()
    questions = {si for si, s in enumerate(sentences) if _QUESTION.search(s)}
    replies: set[int] = set()
    doubts: set[int] = set()
    for si, s in enumerate(sentences):
        if si > 0 and _REPLY.match(s) and _CLAIM_ASKED.search(sentences[si - 1]):
            # "Do they come from big weights? No: they come from ...": the answer disowns the question
            replies.add(si)
            marked.add(si)
            whole.add(si - 1)
            continue
        bare_no = bool(_EN_SHORT.match(s) or _ZH_SHORT.match(s))
        if not (_marks(s) or bare_no):
            continue
        marked.add(si)
        if _AHEAD.search(s) and not bare_no:
            whole.update(range(si + 1, len(sentences)))
        elif si > 0 and (bare_no or (_short(s) and _only_verdict(s))):
            whole.update(range(si) if _BACK.search(s) else [si - 1])
        elif si > 0 and _BACK_VERDICT.match(s):
            whole.add(si - 1)  # "The statement above is a myth: ..." disowns the statement, not the correction
        if si > 0 and (_REFERS_BACK.search(s) or (si == len(sentences) - 1 and _short(s))):
            # "Everything above is the exact opposite of ...", but also "以上内容都是我的理解，如有不对欢迎指正":
            # a TA reads it; nothing is taken away for it
            if not HEDGE.search(s):
                doubts.add(si)
    return Stance(frozenset(whole), frozenset(marked), frozenset(questions), frozenset(replies), frozenset(doubts))


__all__ = ["HEDGE", "Stance", "clause_spans", "read_stance"]

"""Text normalisation shared by the rubric matcher, the extractor and the scorer.

Pure stdlib. Works on English, Chinese and mixed text: rubric terms match Chinese by substring and
English by words; zh.py adds word segmentation where it measurably helps (negation cues, term lists).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{CJK}]")
_NOT_WORD = re.compile(r"[\W_]+")
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{CJK}])[ \\t\\r\\n]+(?=[{CJK}])")
_EN_WORD = re.compile(r"[a-z][a-z0-9']*|[0-9]+(?:\.[0-9]+)?")
_NT = re.compile(r"\b(ca|wo)n't\b|n't\b")


def _expand_nt(m: re.Match) -> str:
    stem = m.group(1)
    if stem == "ca":
        return "can not"
    if stem == "wo":
        return "will not"
    return " not"


# Cyrillic and Greek letters that look like Latin ones: "nоt" with a Cyrillic о must still read "not".
# (Greek small letters other than omicron stay: α, β, ε, η are symbols in these answers.)
_LOOKALIKES = str.maketrans("аеорсухіјѕԁһӏԛԝοЅАВЕНІЈКМОРСТХУΑΒΕΗΙΚΜΝΟΡΤΧΥΖ",
                            "aeopcyxijsdhlqwosabehijkmopctxyabehikmnoptxyz")
_CROSS = re.compile("[\u274c\u274e\u2715\u2717\u2718\u2716\U0001f6ab\u26d4\U0001f645\U0001f44e]")  # ❌ ❎ ✕ ✗ ✘ ✖ 🚫 ⛔ 🙅 👎 say "not"
# letters struck through one by one with a combining stroke ("w̶r̶o̶n̶g̶"): a retraction, like ~~...~~
_STRUCK_RUN = re.compile(r"(?:[^\W\d_][\u0334-\u0338])(?:\s*[^\W\d_][\u0334-\u0338]){2,}")
_FILLERS = frozenset("\u3164\u115f\u1160\uffa0\u2800")  # Hangul fillers, the blank Braille pattern: letters that show nothing
# a letter of another alphabet inside a Latin word ("nөt", "ɴᴏᴛ"): what a look-alike table cannot list
_MIXED_WORD = re.compile(r"[a-z][^\W\d_a-z\u3400-\u9fff]|[^\W\d_a-z\u3400-\u9fff][a-z]")
_RTL_OVERRIDE = re.compile("\u202e([^\u202c\n]*)\u202c?")


def _visible_order(text: str) -> str:
    """Invisible characters out (zero-width spaces and joiners, soft hyphens, direction marks);
    a right-to-left override run read in the order it is displayed; combining marks (a struck-through
    "no̶t", variation selectors) and letters that show nothing dropped; look-alike letters read as
    Latin; a cross (❌) read as "not"."""
    t = _STRUCK_RUN.sub(" ", _RTL_OVERRIDE.sub(lambda m: m.group(1)[::-1], text))
    # format characters, combining and enclosing marks (variation selectors among them), fillers
    t = "".join(ch for ch in t if unicodedata.category(ch) not in ("Cf", "Mn", "Me") and ch not in _FILLERS)
    t = "".join(ch if ch.isascii() or _CJK_RE.match(ch) else _latin_base(ch) for ch in t.translate(_LOOKALIKES))
    return _CROSS.sub(" not ", t)


@lru_cache(maxsize=4096)
def _latin_base(ch: str) -> str:
    """A Latin letter's base letter, whatever its accent or form ("é" -> "e", small capital "ɴ" -> "n");
    any other character as it is."""
    m = _LATIN_NAME.match(unicodedata.name(ch, ""))
    return m.group(1).lower() if m else ch


_LATIN_NAME = re.compile(r"LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z])\b")


def mixed_script(text: str) -> bool:
    """Does a word of the answer as written mix Latin letters with letters of another alphabet
    ("nоt" with a Cyrillic о)? A word wholly in another alphabet (a Russian name) does not."""
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = "".join(ch if ch.isascii() else _latin_base(ch) for ch in t)
    return any(not _GREEK_SYMBOL.match(m.group(0)) for m in _MIXED_WORD.finditer(t))


# Greek letters used as symbols next to a Latin letter ("αt", "β1") are not a disguise
_GREEK_SYMBOL = re.compile("[a-z]?[\u03b1-\u03c9][a-z]?")


def normalize(text: str) -> str:
    """Lower case, NFKC (full-width -> half-width), n't -> ' not', no spaces between Chinese
    characters, one space for runs of spaces and tabs, what the eye reads (`_visible_order`).
    Newlines are kept (they can end sentences).
    """
    t = _visible_order(unicodedata.normalize("NFKC", text or ""))
    t = (
        t.replace("\u2019", "'").replace("\u2018", "'").replace("\u2212", "-")
        .replace("\u2013", "-").replace("\u2014", " - ").replace("\u00a0", " ")
    )
    t = t.lower()
    t = _NT.sub(_expand_nt, t)
    t = _SPACE_BETWEEN_CJK.sub("", t)
    t = re.sub(r"[ \t\r\f\v]+", " ", t)
    return t


_BULLET = r"(?:[-*+\u2022\u00b7]|\d{1,2}[.)、])\s"
_SENTENCE_END = re.compile(
    r"(?<=[。!?;])|(?<=\.)(?=\s|$)|\n\s*\n|\n(?=\s*" + _BULLET + r")"
)


def sentences(text_norm: str) -> list[str]:
    """Split normalised text into sentences: at 。 ! ? ; and '. ', at paragraph breaks and at
    bullet items. A single line break inside a paragraph does not end a sentence (Markdown)."""
    parts = _SENTENCE_END.split(text_norm)
    out = []
    for p in parts:
        p = re.sub(r"\s+", " ", p).strip()
        p = re.sub(r"^" + _BULLET, "", p).strip()
        if p and re.search(rf"[a-z0-9{CJK}]", p):
            out.append(p)
    return out


def en_words(text_norm: str) -> list[str]:
    return _EN_WORD.findall(text_norm)


def cjk_chars(text_norm: str) -> list[str]:
    return _CJK_RE.findall(text_norm)


def token_count(text_norm: str) -> int:
    """English words plus Chinese characters counted as half a word each (about two characters
    make a word)."""
    return len(en_words(text_norm)) + (len(cjk_chars(text_norm)) + 1) // 2


def compact(text: str) -> str:
    """Letters, digits and Chinese characters only: for comparing an answer with the prompt."""
    return _NOT_WORD.sub("", normalize(text))


def strip_markdown(text: str) -> str:
    t = re.sub(r"<[^>]+>", " ", text or "")  # html tags
    t = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", t)  # images
    t = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", t)  # links -> their text
    t = re.sub(r"(?m)^\s{0,3}#{1,6}\s*", "", t)  # headings
    t = re.sub(r"(?m)^\s{0,3}>\s?", "", t)  # quotes
    t = re.sub(r"(\*\*|__|\*|`{1,3})", "", t)  # emphasis, code ticks
    return t


# Words that make a sentence a sentence: articles, auxiliaries, pronouns, prepositions,
# conjunctions that link clauses, common verbs. ("and"/"or" are left out: lists have them too.)
EN_FUNCTION_WORDS = frozenset(
    """
    a an the is are was were be been being am it its this that these those which who whom whose
    what when where why how because so since as if then than thus therefore hence while whereas
    although though but however to of in on at for by with from into onto through during about
    over under between after before can could will would may might should must shall do does did
    has have had not no never very more most less also only just even still such each every
    make makes made making give gives gave use uses used using help helps let lets allow allows
    lead leads cause causes get gets become becomes keep keeps mean means need needs there
    they them their we our you your he she his her i my one up out
    """.split()
)
# Characters that glue Chinese sentences: particles, auxiliaries, copulas, prepositions,
# conjunctions, adverbs of degree, common verbs (zh.ZH_FUNCTION_WORDS counts them as jieba words).
ZH_FUNCTION_CHARS = frozenset("的是了在使让会能可把被而就也都这那其所因为由于致更很则从对向将得地着过要需应该如果时有用到与及并但却还即若以之于它们我你他每最较")

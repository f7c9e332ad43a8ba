"""What a reader of a rendered Markdown answer cell sees: the only text a short answer is graded on.

A TA reads the rendered notebook; the grader must not credit what the TA cannot see. Removed:
HTML comments, `<script>`/`<style>`/`<template>`, elements hidden by `hidden`, `display:none`,
`visibility:hidden`, zero size or opacity, or white/transparent text (nested elements counted);
struck-out text (`~~...~~`, `<del>`, `<s>`, `<strike>`: a retraction); Markdown link definitions
and `[//]: # (...)` comments; images (their alt text is not read). Inline tags and emphasis inside a
word are dropped without a gap ("n<b>o</b>t", "n**o**t" read "not"), HTML entities decoded. Code
spans and blocks, and `<details>`, stay: a reader can see them.

HTML beyond plain formatting (unknown elements, style or colour attributes, `<!...>`, `<?...?>`)
may hide text in ways no list can foresee: `odd_markup` names it, and the scorer sends the answer to
a TA.
"""
from __future__ import annotations

import html
import re

_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_INVISIBLE_TAG = re.compile(r"<(script|style|template|del|s|strike)\b[^>]*>.*?(</\1\s*>|$)", re.S | re.I)
# HTML elements by name, so that "x<y and z>w" in an answer is not taken for a tag
_INLINE = "a|abbr|b|big|cite|code|em|font|i|kbd|mark|q|small|span|strong|sub|sup|tt|u|var|ins"
_BLOCK = ("article|aside|blockquote|br|center|dd|details|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr|"
          "img|label|li|nav|ol|p|pre|section|summary|table|tbody|td|th|thead|tr|ul")
_NAMES = f"{_INLINE}|{_BLOCK}"
_HIDING = re.compile(r"\bhidden\b|display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(\.0+)?\b|font-size\s*:\s*0"
                     r"|color\s*[:=]\s*[\"']?\s*(white|transparent|#fff\b|#ffffff\b|rgba?\(\s*255\s*,\s*255\s*,\s*255)", re.I)
_OPEN = re.compile(rf"<({_NAMES})\b([^<>]*)>", re.I)
_STRUCK = re.compile(r"~~.+?~~", re.S)
# a CommonMark link reference definition (rendered as nothing): [label]: destination "optional title";
# "[Answer]: Softmax turns ..." is not one, and shows
_LINK_DEFINITION = re.compile(r"""(?m)^\s{0,3}\[[^\]\n]+\]:[ \t]*(<[^<>\n]*>|\S+)([ \t]+("[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$""")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_INLINE_TAG = re.compile(rf"</?({_INLINE})\b[^<>]*>", re.I)
_TAG = re.compile(rf"</?({_NAMES}|script|style|template|del|s|strike)\b[^<>]*>", re.I)
_IN_WORD_EMPHASIS = re.compile(r"(?<=[^\W_])(\*{1,3}|_{1,3})(?=[^\W_])")
# what `odd_markup` reports
_ANY_TAG = re.compile(r"</?([a-zA-Z][\w-]*)(\s[^<>]*)?/?>")
_STYLED = re.compile(r"\s(style|color|bgcolor|class|face|size)\s*=", re.I)
_DECLARATION = re.compile(r"<[!?](?!--)")
_KNOWN = re.compile(rf"^({_NAMES}|script|style|template|del|s|strike)$", re.I)


def _end_of(text: str, name: str, start: int) -> int:
    """Where the element opened just before `start` ends: after its own closing tag, nested elements
    of the same name counted (the end of the text if it is never closed)."""
    depth, tags = 1, re.compile(rf"<(/?)({re.escape(name)})\b[^<>]*>", re.I)
    for m in tags.finditer(text, start):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return m.end()
    return len(text)


def _drop_hidden_elements(text: str) -> str:
    out, pos = [], 0
    for m in _OPEN.finditer(text):
        if m.start() < pos or not _HIDING.search(m.group(2)):
            continue
        out.append(text[pos:m.start()])
        pos = _end_of(text, m.group(1), m.end())
    out.append(text[pos:])
    return "".join(out)


def visible_text(markdown: str) -> str:
    t = _COMMENT.sub(" ", markdown or "")
    t = _INVISIBLE_TAG.sub(" ", t)
    t = _drop_hidden_elements(t)
    t = _STRUCK.sub(" ", t)
    t = _LINK_DEFINITION.sub("", t)
    t = _IMAGE.sub("", t)
    t = _LINK.sub(r"\1", t)
    t = _INLINE_TAG.sub("", t)
    t = _TAG.sub(" ", t)
    t = _IN_WORD_EMPHASIS.sub("", t)
    return html.unescape(t)


def hidden_letters(markdown: str) -> int:
    """How many letters of the answer a reader does not see (link targets aside)."""
    def letters(s: str) -> int:
        return sum(ch.isalpha() for ch in s)
    shown = _TAG.sub(" ", _LINK.sub(r"\1", _IMAGE.sub(" ", markdown or "")))
    return max(0, letters(shown) - letters(visible_text(markdown)))


def odd_markup(markdown: str) -> list[str]:
    """HTML that can hide text in ways visible_text does not know: unknown elements, styling
    attributes, declarations and processing instructions."""
    t = _COMMENT.sub(" ", markdown or "")
    odd = sorted({m.group(1).lower() for m in _ANY_TAG.finditer(t) if not _KNOWN.match(m.group(1))})
    out = [f"<{n}>" for n in odd]
    if any(_STYLED.search(m.group(0)) for m in _ANY_TAG.finditer(t)):
        out.append("styled text")
    if _DECLARATION.search(t):
        out.append("<!...> or <?...?>")
    return out


__all__ = ["hidden_letters", "odd_markup", "visible_text"]

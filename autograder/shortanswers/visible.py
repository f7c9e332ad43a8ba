"""What a reader of a rendered Markdown answer cell sees: the only text a short answer is graded on.

A TA reads the rendered notebook; the grader must not credit what the TA cannot see. Removed:
HTML comments, `<script>`/`<style>`, folded `<details>`, elements hidden by `hidden`, `display:none`,
`visibility:hidden`, zero size or opacity, or white/transparent text; struck-out text (`~~...~~`,
`<del>`, `<s>`, `<strike>`: a retraction); Markdown link definitions and `[//]: # (...)` comments;
images (their alt text is not read). Tags are dropped and their visible content kept. Code spans
and blocks stay: they are visible (a list of terms in one is a list all the same: stuffing.py).
"""
from __future__ import annotations

import re

_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_INVISIBLE_TAG = re.compile(r"<(script|style|template|del|s|strike|details)\b[^>]*>.*?(</\1\s*>|$)", re.S | re.I)
_HIDING = (r"\bhidden\b|display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(\.0+)?\b|font-size\s*:\s*0"
           r"|color\s*[:=]\s*[\"']?\s*(white|transparent|#fff\b|#ffffff\b|rgba?\(\s*255\s*,\s*255\s*,\s*255)")
# HTML elements by name, so that "x<y and z>w" in an answer is not taken for a tag
_NAMES = ("a|abbr|article|aside|b|big|blockquote|br|center|cite|code|dd|details|div|dl|dt|em|figcaption|"
          "figure|font|footer|h[1-6]|header|hr|i|img|ins|kbd|label|li|mark|nav|ol|p|pre|q|section|small|"
          "span|strong|sub|summary|sup|table|tbody|td|th|thead|tr|tt|u|ul|var")
_HIDDEN_ELEMENT = re.compile(rf"<({_NAMES})\b([^<>]*)>", re.I)
_STRUCK = re.compile(r"~~.+?~~", re.S)
_LINK_DEFINITION = re.compile(r"(?m)^\s{0,3}\[[^\]\n]+\]:[^\n]*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(rf"</?({_NAMES}|script|style|template|del|s|strike|details)\b[^<>]*>", re.I)


def _drop_hidden_elements(text: str) -> str:
    """Each element whose attributes hide it goes with its content (up to its closing tag)."""
    out, pos = [], 0
    for m in _HIDDEN_ELEMENT.finditer(text):
        if m.start() < pos or not re.search(_HIDING, m.group(2), re.I):
            continue
        close = re.compile(rf"</{re.escape(m.group(1))}\s*>", re.I).search(text, m.end())
        out.append(text[pos:m.start()])
        pos = close.end() if close else len(text)
    out.append(text[pos:])
    return "".join(out)


def visible_text(markdown: str) -> str:
    t = _COMMENT.sub(" ", markdown or "")
    t = _INVISIBLE_TAG.sub(" ", t)
    t = _drop_hidden_elements(t)
    t = _STRUCK.sub(" ", t)
    t = _LINK_DEFINITION.sub("", t)
    t = _IMAGE.sub(" ", t)
    t = _LINK.sub(r"\1", t)
    return _TAG.sub(" ", t)


def hidden_letters(markdown: str) -> int:
    """How many letters of the answer a reader does not see (link targets aside)."""
    def letters(s: str) -> int:
        return sum(ch.isalpha() for ch in s)
    shown = _TAG.sub(" ", _LINK.sub(r"\1", _IMAGE.sub(" ", markdown or "")))
    return max(0, letters(shown) - letters(visible_text(markdown)))


__all__ = ["hidden_letters", "visible_text"]

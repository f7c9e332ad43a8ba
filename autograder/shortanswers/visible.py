"""What a reader of a rendered Markdown answer cell sees: the only text a short answer is graded on.

A TA reads the rendered notebook; the grader must not credit what the TA cannot see. Removed:
HTML comments, `<script>`/`<style>`/`<template>`, elements hidden by `hidden`, `display:none`,
`visibility:hidden`, a tiny size, no opacity, or a colour that does not show on white (nested elements
counted);
struck-out text (`~~...~~`, `<del>`, `<s>`, `<strike>`: a retraction); Markdown link definitions
and `[//]: # (...)` comments; images (their alt text is not read). Inline tags and emphasis inside a
word are dropped without a gap ("n<b>o</b>t", "n**o**t" read "not"), HTML entities decoded. Code
spans and blocks, and `<details>`, stay: a reader can see them. In `$...$` math, what MathJax draws as
nothing goes too: a `%` comment, `\\phantom{...}`, `\\color{white}{...}`.

HTML beyond plain formatting (unknown elements, styling other than colours that show, weight,
slant, alignment and spacing, `<!...>`, `<?...?>`) may hide text in ways no list can foresee:
`odd_markup` names it, and the scorer sends the answer to a TA.
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
# styling a reader sees through: colour that shows, weight, slant, alignment, spacing, borders
_SAFE_PROPERTIES = frozenset("color background background-color font-weight font-style font-family text-align "
                             "text-decoration margin padding border line-height vertical-align font-size".split())
_LIGHT_NAMES = frozenset("white snow ivory ghostwhite whitesmoke seashell floralwhite azure mintcream aliceblue honeydew "
                         "linen lavenderblush oldlace transparent beige cornsilk lightyellow lemonchiffon mistyrose "
                         "papayawhip blanchedalmond".split())
_DARK_NAMES = frozenset("black red blue green orange purple gray grey brown darkred darkblue darkgreen navy teal maroon "
                        "olive crimson magenta fuchsia darkorange indigo violet royalblue steelblue dodgerblue "
                        "firebrick tomato coral chocolate darkviolet seagreen forestgreen darkcyan".split())
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
_DECLARATION = re.compile(r"<[!?](?!--)")
_KNOWN = re.compile(rf"^({_NAMES}|script|style|template|del|s|strike)$", re.I)


def _colour_shows(value: str) -> bool | None:
    """Does a CSS colour show on a white page? None when it cannot be told."""
    v = value.strip().strip("\"'").lower()
    if v in _LIGHT_NAMES:
        return False
    if v in _DARK_NAMES:
        return True
    rgb = None
    if m := re.fullmatch(r"#([0-9a-f]{3,8})", v):
        h = m.group(1)
        h = "".join(c * 2 for c in h[:3]) if len(h) in (3, 4) else h[:6]
        rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)] if len(h) == 6 else None
    elif m := re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([\d.]+%?))?\s*\)", v):
        if m.group(4) is not None and float(m.group(4).rstrip("%")) <= 0.1:
            return False  # transparent
        rgb = [int(x) for x in m.groups()[:3]]
    elif m := re.fullmatch(r"hsla?\(\s*[\d.]+\s*,\s*[\d.]+%\s*,\s*([\d.]+)%.*\)", v):
        return float(m.group(1)) < 85
    if rgb is None:
        return None
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] < 0.85 * 255


def style_verdict(attrs: str) -> str | None:
    """"hide" when an element's attributes hide its text, "odd" when they may (a TA should look),
    None for styling a reader sees through."""
    if re.search(r"(^|\s)hidden(\s|=|$)", attrs, re.I):
        return "hide"
    found = dict((k.lower(), v) for k, v in re.findall(r"([\w-]+)\s*:\s*([^;\"']+)", " ".join(re.findall(
        r"style\s*=\s*[\"']([^\"']*)[\"']", attrs, re.I))))
    if m := re.search(r"\bcolor\s*=\s*[\"']?([#\w(),.% ]+?)[\"']?(\s|$)", attrs, re.I):
        found.setdefault("color", m.group(1))
    verdict = None
    for prop, value in found.items():
        value = value.strip().lower()
        if (prop == "display" and value == "none") or (prop == "visibility" and value in ("hidden", "collapse")):
            return "hide"
        if prop == "opacity" and re.fullmatch(r"0?(\.[0-2]\d*)?|0", value):
            return "hide"
        if prop == "text-decoration" and "line-through" in value:
            return "hide"
        if prop == "color":
            shows = _colour_shows(value)
            if shows is False:
                return "hide"
            verdict = verdict or (None if shows else "odd")
        elif prop == "font-size":
            size = re.match(r"([\d.]+)\s*(px|pt|em|rem|%)?", value)
            if not size or float(size.group(1)) * {"em": 16, "rem": 16, "%": 0.16}.get(size.group(2) or "px", 1) < 6:
                return "hide"
        elif prop not in _SAFE_PROPERTIES:
            verdict = "odd"
    return verdict


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
        if m.start() < pos or style_verdict(m.group(2)) != "hide":
            continue
        out.append(text[pos:m.start()])
        pos = _end_of(text, m.group(1), m.end())
    out.append(text[pos:])
    return "".join(out)


# inside $...$ math: what MathJax draws as nothing (a % comment, \phantom, a colour that does not show)
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)
_MATH_HIDDEN = re.compile(r"\\[hv]?phantom\s*\{(?:[^{}]|\{[^{}]*\})*\}|(?<!\\)%[^\n$]*")
_MATH_COLOUR = re.compile(r"\\(?:color|textcolor)\s*(?:\[(\w+)\])?\s*\{([^{}]*)\}\s*(\{(?:[^{}]|\{[^{}]*\})*\})?")
# MathJax commands that style or tag what they hold in ways a list cannot judge: a TA looks
MATH_ODD = re.compile(r"\\(style|class|cssId|require|href)\b")


def _math_colour_shows(model: str | None, value: str) -> bool | None:
    """\\color[rgb]{1,1,1}, \\color[RGB]{255,255,255}, \\color[gray]{1}, or a name or hex without a model."""
    if not model:
        return _colour_shows(value)
    try:
        parts = [float(x) for x in value.split(",")]
    except ValueError:
        return None
    scale = 255 if model == "RGB" else 1
    if model.lower() == "gray" and len(parts) == 1:
        return parts[0] / scale < 0.85
    if model.lower() == "rgb" and len(parts) == 3:
        return _colour_shows("rgb({},{},{})".format(*(round(x * 255 / scale) for x in parts)))
    return None


def _visible_math(m: re.Match) -> str:
    t = _MATH_HIDDEN.sub(" ", m.group(0))
    return _MATH_COLOUR.sub(lambda c: " " if _math_colour_shows(c.group(1), c.group(2)) is False else (c.group(3) or ""), t)


def visible_text(markdown: str) -> str:
    t = _MATH.sub(_visible_math, _COMMENT.sub(" ", markdown or ""))
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
    if any(style_verdict(m.group(2) or "") == "odd" for m in _ANY_TAG.finditer(t)):
        out.append("styling that may hide text")
    if _DECLARATION.search(t):
        out.append("<!...> or <?...?>")
    if any(MATH_ODD.search(m.group(0)) for m in _MATH.finditer(t)):
        out.append("MathJax styling")
    return out


__all__ = ["hidden_letters", "odd_markup", "visible_text"]

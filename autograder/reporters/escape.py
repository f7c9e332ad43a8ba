"""Student text made inert for each medium it is shown in: one function per medium.

A check's message may hold text a student controls (an exception's message, a printed value, a
short answer, a file name), and so may notes and format errors. The reporters and the command
line escape every such string, our own plain-text messages included, for the medium they write,
here and nowhere else. What a student can no longer do: draw a heading, banner, link or image in
Markdown, inject HTML, move the cursor, clear the screen, overwrite a line or write the
clipboard in a terminal (ESC, CR, OSC 52), reorder what a TA reads (bidi overrides), start a
spreadsheet formula, or break a UTF-8 or XML file (lone surrogates, control characters).

- `text(s)`: valid Unicode, every control character but newline and tab shown as an escape
  (`\\x1b`), every bidirectional control shown as one (`\\u202e`). The base of all the others.
- `terminal(s)`: for a TA's terminal; `text`.
- `markdown(s)`: one line of Markdown that renders as exactly these characters: every ASCII
  punctuation character that could start a construct backslash-escaped (a heading, list or quote
  at its start; emphasis, code, a link, an image, HTML, an entity, a table cell anywhere; the
  dot of `www.` and the slashes of `http://`), newlines as spaces; the rest (dots, commas,
  parentheses, an underscore inside a word) is left as it is, readable in the raw text too.
- `html(s)`: `text` then HTML-escaped. The pages use Jinja's autoescaping, with `text` applied
  to every value first (`finalize` of the environment).
- `csv_cell(s)`: `text` on one line; a cell a spreadsheet would run as a formula starts with '.
- `xml_text(s)`: `text` without the characters XML 1.0 cannot hold.
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

from autograder.unicode import valid

# C0 and C1 controls and DEL (tab and newline are layout, kept); bidirectional controls and the
# line/paragraph separators that some viewers treat as line breaks.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                      "\u2028\u2029]")
_NAMED = {"\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v", "\x1b": "\\x1b"}
# Markdown: what can start a construct anywhere in a line (emphasis, code, links, images, HTML,
# entities, strikethrough, table cells, math, email links); an underscore only outside a word
# (fit_spiral cannot open emphasis and stays readable in the raw text); and what starts a block
# at the start of the text (a heading, a quote, a list); links without brackets (www., http://).
_MD_ANYWHERE = re.compile(r"(?!(?<=[^\W_])_(?=[^\W_]))([\\`*_\[\]<>&!~|$@])")
_MD_START = re.compile(r"^(\d*)([#>+=-]|(?<=\d)[.)])")
_MD_AUTOLINK = re.compile(r"(?i)(www)\.|(:)//")
_NOT_XML = re.compile("[\ufffe\uffff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _shown(m: re.Match) -> str:
    c = m.group(0)
    if c in _NAMED:
        return _NAMED[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def text(s: object) -> str:
    """Plain text that does nothing but show itself (see the module docstring)."""
    return _CONTROL.sub(_shown, valid(str(s)))


def terminal(s: object) -> str:
    """For a terminal: escape sequences, carriage returns and backspaces are shown, not obeyed."""
    return text(s)


def markdown(s: object) -> str:
    """One line of Markdown showing `s` literally (every escape a backslash before an ASCII
    punctuation character, which CommonMark shows as that character)."""
    out = _MD_ANYWHERE.sub(r"\\\1", " ".join(text(s).split()))
    out = _MD_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", out)
    return _MD_AUTOLINK.sub(lambda m: f"{m.group(1)}\\." if m.group(1) else ":\\/\\/", out)


def html(s: object) -> Markup:
    return escape(text(s))


def csv_cell(s: object) -> str:
    out = text(s)
    out = " ".join(out.split()) if "\n" in out else out
    return "'" + out if out[:1] in FORMULA_START else out


def xml_text(s: object) -> str:
    return _NOT_XML.sub("\ufffd", text(s))

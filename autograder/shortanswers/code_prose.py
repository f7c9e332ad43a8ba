"""Prose a student typed into a code cell (comments, strings, or text that is not Python): read,
never run."""
from __future__ import annotations

import ast
import io
import re
import tokenize

from .cells import _get, _is_nbgrader_cell, cell_source
from .text import CJK

_CODE_STUBS = re.compile(r"your code here|your answer here|raise notimplementederror|^todo\b", re.I)
_CJK_RE = re.compile(f"[{CJK}]")


def _natural_language(s: str) -> bool:
    s = s.strip()
    if not s or _CODE_STUBS.search(s):
        return False
    words = re.findall(r"[A-Za-z]{2,}", s)
    return len(words) >= 3 or len(_CJK_RE.findall(s)) >= 4


def code_cell_text(source: str) -> str:
    """Comments and string literals of a code cell that read as prose; the whole cell when it is
    prose typed into a code cell (it does not parse, or it is mostly Chinese names)."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    src = "\n".join(lines)
    try:
        ast.parse(src)
        parses = True
    except (SyntaxError, ValueError):
        parses = False
    chunks: list[str] = []
    cjk_in_names = 0
    if parses:
        try:
            for tok in tokenize.generate_tokens(io.StringIO(src).readline):
                if tok.type == tokenize.COMMENT:
                    chunks.append(tok.string.lstrip("#").strip())
                elif tok.type == tokenize.STRING:
                    try:
                        val = ast.literal_eval(tok.string)
                    except (ValueError, SyntaxError):
                        continue
                    if isinstance(val, str):
                        chunks.append(val.strip())
                elif tok.type == tokenize.NAME:
                    cjk_in_names += len(_CJK_RE.findall(tok.string))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            parses = False
    if not parses or cjk_in_names >= 6:
        prose = re.sub(r"(?m)^\s*#+\s?", "", src).strip()
        return prose if _natural_language(prose) else ""
    return "\n".join(c for c in chunks if _natural_language(c))


def _code_answer(cells: list, lo: int, hi: int, skip: int | None) -> tuple[str, int | None]:
    texts, first = [], None
    for k in range(lo, hi):
        if k == skip or _get(cells[k], "cell_type") != "code":
            continue
        if _is_nbgrader_cell(cells[k]):
            continue
        t = code_cell_text(cell_source(cells[k]))
        if t:
            texts.append(t)
            first = k if first is None else first
    return "\n\n".join(texts), first

"""A short answer against its question: the prompt a student may have copied, the placeholder
left in place, the prompt cell above an answer cell, and where an answer spread over cells stops."""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any, Iterable, Sequence

from .cells import _cells, _get, _is_heading, _is_nbgrader_cell, cell_grade_id, cell_source, nbgrader_meta
from .text import compact, strip_markdown

_PIECES = re.compile(r"(?<=[。！？!?；;\n])|(?<=[.])(?=\s)")
_FILLER = re.compile(r"^(answer|ans|myanswer|youranswerhere|答|回答|答案|我的回答|解|q\d*|question\d*|问题\d*|\d+)+$")


def _prompt_sentences(prompts: Iterable[str]) -> list[str]:
    out: list[str] = []
    for p in prompts:
        if not p:
            continue
        full = compact(strip_markdown(p))
        if full:
            out.append(full)
        for piece in _PIECES.split(strip_markdown(p)):
            c = compact(piece)
            if len(c) >= 3:
                out.append(c)
    return out


def _covered(piece_c: str, prompt_cs: Sequence[str]) -> bool:
    if not piece_c:
        return False
    for pc in prompt_cs:
        if len(piece_c) >= 4 and piece_c in pc:
            return True
        # ratio() <= 2 min / (sum): skip pairs whose lengths alone rule out 0.8 (and long texts)
        if len(piece_c) >= 3 and 2 * min(len(piece_c), len(pc)) >= 0.8 * (len(piece_c) + len(pc)):
            if SequenceMatcher(None, piece_c, pc, autojunk=False).ratio() >= 0.8:
                return True
    return False


def remove_prompt(text: str, prompts: Iterable[str]) -> tuple[str, bool]:
    """The text without the pieces (sentences, lines) that repeat the prompt, and whether any
    piece was removed."""
    prompt_cs = _prompt_sentences(prompts)
    if not prompt_cs:
        return text, False
    kept: list[str] = []
    removed = False
    for piece in _PIECES.split(strip_markdown(text)):
        if _covered(compact(piece), prompt_cs):
            removed = True
            continue
        kept.append(piece)
    return "".join(kept).strip(), removed


def is_filler(text: str) -> bool:
    c = compact(strip_markdown(text))
    return not c or bool(_FILLER.match(c))


def remove_stub(text: str, stub_texts: Iterable[str]) -> tuple[str, bool]:
    stubs = {compact(s) for s in stub_texts if compact(s)}
    kept, found = [], False
    for line in (text or "").splitlines():
        c = compact(strip_markdown(line))
        if c and c in stubs:
            found = True
            continue
        kept.append(line)
    return "\n".join(kept).strip(), found



def _resembles(text: str, prompts: Sequence[str]) -> bool:
    """Whether a markdown cell holds one of these prompts."""
    c = compact(strip_markdown(text))
    if not c:
        return False
    for p in prompts:
        pc = compact(strip_markdown(p))
        if len(pc) >= 4 and (pc in c or (
            2 * min(len(pc), len(c)) >= 0.75 * (len(pc) + len(c))
            and SequenceMatcher(None, pc, c, autojunk=False).ratio() >= 0.75
        )):
            return True
    return False


def _boundary(cell: Any, other_prompts: Sequence[str]) -> bool:
    if _is_nbgrader_cell(cell) or _is_heading(cell):
        return True
    return _get(cell, "cell_type") == "markdown" and _resembles(cell_source(cell), other_prompts)


def _prompt_cell_before(cells: list, i: int) -> tuple[int | None, str | None]:
    for j in range(i - 1, -1, -1):
        c = cells[j]
        if _get(c, "cell_type") == "markdown" and cell_source(c).strip():
            if cell_grade_id(c) and nbgrader_meta(c).get("solution"):
                return None, None  # another answer cell: no prompt in between
            return j, cell_source(c)
        if _is_nbgrader_cell(c) and _get(c, "cell_type") == "code":
            return None, None
    return None, None


def prompts_from_notebook(nb: Any, grade_ids: Iterable[str] | None = None) -> dict[str, str]:
    """The prompt of each answer cell of a (release or source) notebook: the markdown cell just
    before it."""
    cells = _cells(nb)
    wanted = set(grade_ids) if grade_ids is not None else None
    out: dict[str, str] = {}
    for i, c in enumerate(cells):
        gid = cell_grade_id(c)
        if not gid or (wanted is not None and gid not in wanted) or gid in out:
            continue
        if wanted is None and not (nbgrader_meta(c).get("solution") and _get(c, "cell_type") == "markdown"):
            continue
        _, text = _prompt_cell_before(cells, i)
        if text:
            out[gid] = text
    return out


def _span_after(cells: list, start: int, other_prompts: Sequence[str]) -> int:
    """Index of the first boundary cell after `start` (or len(cells))."""
    j = start + 1
    while j < len(cells) and not _boundary(cells[j], other_prompts):
        j += 1
    return j

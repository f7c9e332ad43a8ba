"""Finding a short answer in a submitted notebook, whatever the student did to the cells.

`extract_answer(nb, grade_id, ...)` returns an `ExtractedAnswer`: the text to grade, how it was
found, its status, and notes for the student. Handled:

- the answer cell untouched ("YOUR ANSWER HERE") or empty;
- an answer that only repeats the question (compared with the release's prompt when given, else
  with the markdown cell above the answer cell, and always with the rubric's prompts); a copied
  question followed by an answer keeps the answer;
- the answer cell turned into a code cell, or the answer written as comments / strings in a code
  cell near the question (graded, with a note);
- an answer continued in markdown cells after the answer cell (up to the next question or graded
  cell): read together, with a note;
- the answer cell duplicated (the first copy holding an answer is graded) or deleted (the text
  after the question's prompt is graded).

Nothing here executes submission code: code cells are only tokenized.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Iterable, Mapping, Sequence

from .text import CJK, compact, strip_markdown

FOUND_CELL = "answer_cell"
FOUND_CELL_SPLIT = "answer_cell+following"
FOUND_CODE = "code_cell"
FOUND_AFTER_PROMPT = "after_prompt"
FOUND_NONE = "not_found"

ANSWERED = "answered"
EMPTY = "empty"
STUB = "stub"
PROMPT_ONLY = "prompt_only"
MISSING = "missing"


@dataclass(frozen=True)
class ExtractedAnswer:
    grade_id: str
    text: str  # what is graded: stub lines and copied question text removed
    found: str  # FOUND_* : where the text came from
    status: str  # ANSWERED | EMPTY | STUB | PROMPT_ONLY | MISSING
    notes: tuple[str, ...] = ()  # for the student, in English and Chinese
    raw: str = ""  # the text as found, before removing the stub or the copied question
    cell_index: int | None = None
    prompt: str | None = None  # the prompt text the answer was compared with

    @property
    def answered(self) -> bool:
        return self.status == ANSWERED


# ---------------------------------------------------------------------------------------------
# notebook helpers (NotebookNode or plain dict)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    try:
        return obj.get(key, default)
    except AttributeError:
        return getattr(obj, key, default)


MAX_CELL_CHARS = 100_000  # a cell longer than this is read up to here (no answer is that long)


def cell_source(cell: Any) -> str:
    src = _get(cell, "source", "") or ""
    src = "".join(src) if isinstance(src, list) else str(src)
    return src[:MAX_CELL_CHARS]


def nbgrader_meta(cell: Any) -> dict:
    meta = _get(cell, "metadata", {}) or {}
    nbg = _get(meta, "nbgrader", {}) or {}
    return dict(nbg) if isinstance(nbg, Mapping) else {}


def cell_grade_id(cell: Any) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def _cells(nb: Any) -> list:
    cells = _get(nb, "cells", None)
    if cells is None:
        raise TypeError("not a notebook: no 'cells'")
    return list(cells)


def _is_nbgrader_cell(cell: Any) -> bool:
    m = nbgrader_meta(cell)
    return bool(m.get("grade_id") or m.get("grade") or m.get("solution") or m.get("locked") or m.get("task"))


def _is_heading(cell: Any) -> bool:
    return _get(cell, "cell_type") == "markdown" and cell_source(cell).lstrip().startswith("#")


# ---------------------------------------------------------------------------------------------
# comparing with the prompt

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


# ---------------------------------------------------------------------------------------------
# reading prose out of a code cell (never executed)

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


# ---------------------------------------------------------------------------------------------


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


def _finish(
    grade_id: str, text: str, found: str, notes: list[str], prompts: Sequence[str],
    stub_texts: Iterable[str], cell_index: int | None, prompt: str | None,
) -> ExtractedAnswer:
    raw = text
    body, had_stub = remove_stub(text, stub_texts)
    if not body.strip():
        status = STUB if had_stub else EMPTY
        notes.append(
            "No answer: the answer cell still holds its placeholder. / 未作答：答案单元格仍是占位文字。"
            if had_stub else "No answer: the answer is empty. / 未作答：答案为空。"
        )
        return ExtractedAnswer(grade_id, "", found, status, tuple(notes), raw, cell_index, prompt)
    if had_stub:
        notes.append("The placeholder line \"YOUR ANSWER HERE\" was ignored. / 已忽略占位文字。")
    rest, removed = remove_prompt(body, prompts)
    if removed and is_filler(rest):
        notes.append(
            "The answer only repeats the question, so it earns no points. / 答案只是重复了题目，不得分。"
        )
        return ExtractedAnswer(grade_id, "", found, PROMPT_ONLY, tuple(notes), raw, cell_index, prompt)
    if removed:
        notes.append("The copy of the question in your answer was ignored. / 答案中抄写的题目已忽略。")
        body = rest
    return ExtractedAnswer(grade_id, body.strip(), found, ANSWERED, tuple(notes), raw, cell_index, prompt)


def _span_after(cells: list, start: int, other_prompts: Sequence[str]) -> int:
    """Index of the first boundary cell after `start` (or len(cells))."""
    j = start + 1
    while j < len(cells) and not _boundary(cells[j], other_prompts):
        j += 1
    return j


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


def extract_answer(
    nb: Any,
    grade_id: str,
    *,
    release_prompt: str | None = None,
    question_prompts: Sequence[str] = (),
    other_prompts: Sequence[str] = (),
    stub_texts: Iterable[str] = ("YOUR ANSWER HERE",),
) -> ExtractedAnswer:
    """Find the answer of `grade_id` in notebook `nb`.

    release_prompt: the prompt cell's text in the release (compared with the answer to detect a
    copied question); without it, the markdown cell above the answer cell is used.
    question_prompts: this question's prompt texts known to the grader (the rubric's title and
    title_zh); always compared, and used to find the question when its answer cell was deleted.
    other_prompts: the other questions' prompts: where a split answer or the text after a deleted
    cell stops.
    """
    stub_texts = tuple(stub_texts)
    cells = _cells(nb)
    idxs = [i for i, c in enumerate(cells) if cell_grade_id(c) == grade_id]
    notes: list[str] = []

    if idxs:
        chosen = idxs[0]
        if len(idxs) > 1:
            for i in idxs:
                src = cell_source(cells[i])
                if remove_stub(src, stub_texts)[0].strip():
                    chosen = i
                    break
            notes.append(
                f"The answer cell appears {len(idxs)} times; the first copy holding an answer was graded. "
                f"/ 答案单元格出现了 {len(idxs)} 次，评分使用第一个有内容的。"
            )
        cell = cells[chosen]
        prompt_idx, cell_above = _prompt_cell_before(cells, chosen)
        prompt = release_prompt if release_prompt else cell_above
        prompts = [p for p in (prompt, *question_prompts) if p]
        if _get(cell, "cell_type") == "code":
            text = code_cell_text(cell_source(cell)) or ""
            found = FOUND_CODE
            if text.strip():
                notes.append(
                    "Your answer cell was turned into a code cell; its text was graded, but please keep "
                    "answers in the Markdown cell. / 答案单元格被改成了代码单元格；已对其中文字评分，请在 Markdown 单元格中作答。"
                )
        else:
            text = cell_source(cell)
            found = FOUND_CELL
        end = _span_after(cells, chosen, other_prompts)
        extra = []
        for k in range(chosen + 1, end):
            c = cells[k]
            if _get(c, "cell_type") in ("markdown", "raw"):
                t, _ = remove_stub(cell_source(c), stub_texts)
                if t.strip():
                    extra.append(t)
        if extra and remove_stub(text, stub_texts)[0].strip():
            text = text.rstrip() + "\n\n" + "\n\n".join(extra)
            found = FOUND_CELL_SPLIT
            notes.append(
                f"Your answer continues in {len(extra)} more cell(s) after the answer cell; they were read "
                "together. Please keep each answer in its own cell. / 答案延续到了答案单元格之后的单元格，已合并评分；请把答案写在答案单元格内。"
            )
        elif extra:
            text = "\n\n".join(extra)
            found = FOUND_CELL_SPLIT
            notes.append(
                "The answer cell is empty but the cell(s) after it hold your answer; they were graded. "
                "/ 答案单元格为空，但其后的单元格中有答案，已对其评分。"
            )
        if not remove_stub(text, stub_texts)[0].strip():
            lo = (prompt_idx + 1) if prompt_idx is not None else chosen
            code_text, k = _code_answer(cells, lo, end, chosen)
            if code_text:
                text, found = code_text, FOUND_CODE
                notes.append(
                    "Your answer was found as comments/strings in a code cell near the question; it was "
                    "graded, but please write answers in the answer cell. / 答案写在了题目附近代码单元格的注释或字符串中；已评分，请在答案单元格中作答。"
                )
        return _finish(grade_id, text, found, notes, prompts, stub_texts, chosen, prompt)

    # The answer cell is gone: look for the question's prompt and read what follows it.
    search = [p for p in (release_prompt, *question_prompts) if p]
    p_idx = None
    for i, c in enumerate(cells):
        if _get(c, "cell_type") == "markdown" and search and _resembles(cell_source(c), search):
            p_idx = i
            break
    if p_idx is None:
        notes.append(
            "No answer cell was found for this question (was it deleted?). / 未找到此题的答案单元格（是否被删除？）。"
        )
        return ExtractedAnswer(grade_id, "", FOUND_NONE, MISSING, tuple(notes), "", None, release_prompt)
    prompts = [p for p in (release_prompt, *question_prompts) if p]
    end = _span_after(cells, p_idx, other_prompts)
    parts = []
    tail, _ = remove_prompt(cell_source(cells[p_idx]), prompts) if not release_prompt else (
        remove_prompt(cell_source(cells[p_idx]), [release_prompt, *question_prompts])
    )
    if tail.strip() and not is_filler(tail) and release_prompt:
        parts.append(tail)  # typed into the prompt cell (only trusted when the release prompt is known)
    for k in range(p_idx + 1, end):
        c = cells[k]
        if _get(c, "cell_type") in ("markdown", "raw"):
            t = cell_source(c)
            if t.strip():
                parts.append(t)
    text, found = "\n\n".join(parts), FOUND_AFTER_PROMPT
    if not remove_stub(text, stub_texts)[0].strip():
        code_text, _ = _code_answer(cells, p_idx + 1, end, None)
        if code_text:
            text, found = code_text, FOUND_CODE
    notes.append(
        "The answer cell of this question is missing (deleted?); the text after the question was graded. "
        "Please do not delete answer cells. / 此题的答案单元格缺失（被删除？）；已对题目之后的文字评分，请勿删除答案单元格。"
    )
    return _finish(grade_id, text, found, notes, prompts, stub_texts, None, release_prompt or cell_source(cells[p_idx]))


__all__ = [
    "ExtractedAnswer", "extract_answer", "prompts_from_notebook", "code_cell_text", "remove_prompt",
    "remove_stub", "cell_source", "cell_grade_id", "nbgrader_meta",
    "FOUND_CELL", "FOUND_CELL_SPLIT", "FOUND_CODE", "FOUND_AFTER_PROMPT", "FOUND_NONE",
    "ANSWERED", "EMPTY", "STUB", "PROMPT_ONLY", "MISSING",
]

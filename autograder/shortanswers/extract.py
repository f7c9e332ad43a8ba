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

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from .cells import _cells, _get, cell_grade_id, cell_source, nbgrader_meta
from .code_prose import _code_answer, code_cell_text
from .prompts import (
    _prompt_cell_before, _resembles, _span_after, is_filler, prompts_from_notebook, remove_prompt, remove_stub,
)

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

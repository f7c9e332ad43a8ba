"""What each student wrote: their own code (solution cells and cells they added, with the
release's starter code taken out) and their short answers, read from the notebook JSON only.

The release says what everyone was given: its solution cells (by nbgrader grade_id) hold the
starter code, its markdown answer cells the placeholders, its other code cells the demonstrations.
The answer key (optional) adds what the course published; both are "boilerplate" for the
comparison (see code.py). Nothing here runs submission code.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from autograder.shortanswers.extract import (cell_grade_id, cell_source, extract_answer, nbgrader_meta,
                                             prompts_from_notebook)

from .safe_read import UnsafeFile, notebook_files, read_notebook

STUBS = ("YOUR ANSWER HERE",)
# Controls that could hide or reorder code on the TA's screen (terminal escapes, bidirectional
# overrides as in "Trojan Source", zero-width characters): shown as U+FFFD instead.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_text(text: str) -> str:
    """Student text made safe to compare and to show: valid UTF-8, Unix newlines, no invisible
    controls. (HTML escaping is the page's job.)"""
    text = text.encode("utf-8", "replace").decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("\ufffd", unicodedata.normalize("NFC", text))


@dataclass(frozen=True)
class Template:
    """What every student was given (the release) and what the course published (the key)."""
    notebooks: dict[str, frozenset[str]]  # notebook stem -> its grade ids (to recognise a notebook)
    solution_cells: dict[str, tuple[str, str]]  # solution grade_id -> (stem, starter code), release order
    given_lines: dict[str, frozenset[str]]  # stem -> stripped lines of the release's other code cells
    answer_cells: dict[str, str]  # answer grade_id -> stem
    prompts: dict[str, str]  # answer grade_id -> the release's prompt
    boilerplate_code: tuple[str, ...]  # release code cells, and the key's code cells
    key_answers: dict[str, str] = field(default_factory=dict)  # answer grade_id -> the key's answer


@dataclass
class StudentWork:
    student: str
    blocks: list[str]  # own code: runs of lines, the first of each cell headed by a comment naming it
    answers: dict[str, str]  # answer grade_id -> the answer text (only answered questions)
    notebooks: tuple[str, ...]  # stems of the assignment's notebooks found
    notes: list[str] = field(default_factory=list)  # for the TA: what was not read, and why

    @property
    def code(self) -> str:
        return "\n".join(self.blocks)


def own_blocks(source: str, starter: str) -> list[str]:
    """The runs of lines of `source` that are not the `starter` code it began from (compared
    with surrounding whitespace ignored, in order). Each run is fingerprinted on its own: a
    fingerprint spanning two runs would join code that is not adjacent in the notebook."""
    given = [ln.strip() for ln in starter.splitlines()]
    lines = source.splitlines()
    mine = [ln.strip() for ln in lines]
    keep = [False] * len(lines)
    for tag, _, _, j1, j2 in SequenceMatcher(None, given, mine, autojunk=False).get_opcodes():
        if tag in ("insert", "replace"):
            keep[j1:j2] = [True] * (j2 - j1)
    return _runs(lines, keep)


def _runs(lines: list[str], keep: list[bool]) -> list[str]:
    runs, current = [], []
    for line, k in zip(lines, keep):
        if k and line.strip():
            current.append(line)
        elif not k and current:
            runs.append("\n".join(current))
            current = []
    return runs + (["\n".join(current)] if current else [])


def _code_cells(nb: dict) -> list[tuple[int, str | None, str]]:
    out = []
    for i, cell in enumerate(nb["cells"]):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            out.append((i + 1, cell_grade_id(cell), clean_text(cell_source(cell))))
    return out


def _trusted_notebooks(folder: Path | None) -> dict[str, dict]:
    if folder is None or not folder.is_dir():
        return {}
    return {p.stem: read_notebook(p) for p in sorted(folder.glob("*.ipynb"))}


def load_template(release_dir: Path, key_dir: Path | None = None) -> Template:
    release = _trusted_notebooks(release_dir)
    if not release:
        raise FileNotFoundError(f"no release notebooks in {release_dir}: run `autograder release` first")
    notebooks, solution_cells, given, answer_cells, prompts = {}, {}, {}, {}, {}
    boilerplate: list[str] = []
    for stem, nb in release.items():
        ids, other = set(), set()
        for cell in nb["cells"]:
            gid, meta = cell_grade_id(cell), nbgrader_meta(cell)
            if gid:
                ids.add(gid)
            if cell.get("cell_type") == "code":
                src = clean_text(cell_source(cell))
                boilerplate.append(src)
                if gid and meta.get("solution"):
                    solution_cells[gid] = (stem, src)
                elif not gid:
                    other |= {ln.strip() for ln in src.splitlines() if ln.strip()}
            elif gid and meta.get("solution") and cell.get("cell_type") == "markdown":
                answer_cells[gid] = stem
        notebooks[stem], given[stem] = frozenset(ids), frozenset(other)
        prompts.update(prompts_from_notebook(nb, [g for g, s in answer_cells.items() if s == stem]))
    key_answers: dict[str, str] = {}
    for stem, nb in _trusted_notebooks(key_dir).items():
        boilerplate += [src for _, _, src in _code_cells(nb)]
        for gid in (g for g, s in answer_cells.items() if s == stem):
            ans = extract_answer(nb, gid, release_prompt=prompts.get(gid), stub_texts=STUBS)
            if ans.answered:
                key_answers[gid] = clean_text(ans.text)
    return Template(notebooks, solution_cells, given, answer_cells, prompts, tuple(boilerplate), key_answers)


def _which_notebook(nb: dict, path: Path, template: Template) -> str | None:
    ids = {cell_grade_id(c) for c in nb["cells"] if isinstance(c, dict)} - {None}
    best = max(template.notebooks, key=lambda s: (len(ids & template.notebooks[s]), s == path.stem))
    return best if ids & template.notebooks[best] else None


def _own_code(stem: str, nb: dict, template: Template) -> list[str]:
    blocks = []
    for number, gid, src in _code_cells(nb):
        if gid in template.solution_cells:
            mine, label = own_blocks(src, template.solution_cells[gid][1]), gid
        elif gid is None:  # a cell the student added (or a demonstration cell they changed)
            lines, given = src.splitlines(), template.given_lines.get(stem, frozenset())
            mine, label = _runs(lines, [ln.strip() not in given for ln in lines]), f"cell {number}"
        else:  # locked check cells: the grader's, not the student's
            continue
        if mine:
            mine[0] = f"# ==== {stem} · {label} ====\n{mine[0]}"
            blocks += mine
    return blocks


def read_work(student: str, submission: Path, template: Template, max_code_chars: int) -> StudentWork:
    """Everything a student wrote that is compared; problems become notes, never exceptions."""
    files, notes = notebook_files(submission)
    chosen: dict[str, tuple[Path, dict]] = {}
    for path in files:
        try:
            nb = read_notebook(path)
        except UnsafeFile as e:
            notes.append(str(e))
            continue
        stem = _which_notebook(nb, path, template)
        if stem is None:
            notes.append(f"{path.name} is none of the assignment's notebooks; it was not compared")
        elif stem in chosen and chosen[stem][0].stem == stem:
            notes.append(f"{path.name} is a second copy of {stem}; {chosen[stem][0].name} was compared")
        else:
            if stem in chosen:
                notes.append(f"{chosen[stem][0].name} is a second copy of {stem}; {path.name} was compared")
            chosen[stem] = (path, nb)
    blocks: list[str] = []
    answers: dict[str, str] = {}
    for stem in sorted(chosen):
        nb = chosen[stem][1]
        blocks += _own_code(stem, nb, template)
        ids = [g for g, s in template.answer_cells.items() if s == stem]
        for gid in ids:
            others = [template.prompts[g] for g in ids if g in template.prompts and g != gid]
            ans = extract_answer(nb, gid, release_prompt=template.prompts.get(gid), other_prompts=others,
                                 stub_texts=STUBS)
            if ans.answered:
                answers[gid] = clean_text(ans.text)
    total, kept = 0, []
    for block in blocks:
        if total + len(block) > max_code_chars:
            notes.append(f"own code is {sum(map(len, blocks))} characters; only the first {total} were compared")
            break
        kept.append(block)
        total += len(block) + 1
    if not chosen and not notes:
        notes.append("no notebook of the assignment was found")
    return StudentWork(student, kept, answers, tuple(sorted(chosen)), notes)

"""The one entry point: every short answer of a submitted notebook, as CheckResult records."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from ..results import CheckResult
from . import extract as ex
from .feedback import NOTEBOOK, check_result
from .rubric import load_rubric
from .rubric_model import Rubric
from .score import score_answer
from .similarity import cosine, ngrams
from .visibility import Level


def _read_nb(nb: Any) -> Any:
    if isinstance(nb, (str, Path)):
        import nbformat

        return nbformat.read(str(nb), as_version=4)
    return nb


def grade_short_answers(
    nb: Any,
    rubric: Rubric | str | Path,
    release_prompts: Mapping[str, str] | Any | None = None,
    *,
    notebook: str = NOTEBOOK,
    level: Level = Level.ASPECTS,
) -> list[CheckResult]:
    """One CheckResult per rubric question for a submitted notebook.

    nb: an nbformat NotebookNode, a plain dict, or a path to an .ipynb file.
    rubric: a loaded Rubric or the path of rubrics.toml.
    release_prompts: {grade_id: prompt text} or the release notebook (its prompts are the markdown
    cells above the answer cells); without it the cell above each answer cell is used.
    level: how much of the rubric the student-facing message may show (visibility.feedback_level
    decides it from the course setting and the deadline); the default shows no rubric wording.
    """
    if not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    nb = _read_nb(nb)
    if release_prompts is not None and not isinstance(release_prompts, Mapping):
        release_prompts = ex.prompts_from_notebook(_read_nb(release_prompts), rubric.questions)
    release_prompts = dict(release_prompts or {})
    scored = []
    for gid, q in rubric.questions.items():
        others: list[str] = []
        for ogid, oq in rubric.questions.items():
            if ogid != gid:
                others += list(oq.prompts)
                if release_prompts.get(ogid):
                    others.append(release_prompts[ogid])
        ans = ex.extract_answer(
            nb, gid,
            release_prompt=release_prompts.get(gid),
            question_prompts=q.prompts,
            other_prompts=others,
            stub_texts=rubric.settings.stub_texts,
        )
        scored.append((q, ans, score_answer(ans, q, rubric.settings)))
    scored = _flag_repeated(scored)
    return [check_result(q, ans, s, notebook, level) for q, ans, s in scored]


REPEAT_SIMILARITY = 0.9  # character n-gram cosine above which two answers are one text
REPEAT_MIN_CHARS = 80


def _flag_repeated(scored: list) -> list:
    """One text pasted as the answer to several questions (each finds its own terms in it) goes to a TA."""
    vectors = [ngrams(a.text) if a.answered and len(a.text) >= REPEAT_MIN_CHARS else None for _, a, _ in scored]
    out = []
    for i, (q, ans, s) in enumerate(scored):
        same = [scored[j][0] for j, v in enumerate(vectors)
                if j != i and v and vectors[i] and cosine(v, vectors[i]) >= REPEAT_SIMILARITY]
        if same:
            names = ", ".join(o.title for o in same)
            s = replace(s, flagged=True, flag_reasons=(*s.flag_reasons, f"the same text also answers: {names}"))
        out.append((q, ans, s))
    return out


__all__ = ["grade_short_answers"]

"""`autograder review list|set|clear`: plain arguments in, the text to print out.

Every command works on one gradebook, found by `autograder.gradebook.locate` the same way for
all three (`--results DIR` names the gradebook grade-all wrote for that folder), and every
command it prints names that gradebook again, so that a TA's score always lands where the next
grade-all reads it. Nothing here creates a gradebook or a student.
"""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Iterable

from autograder.gradebook import GradebookLocation, apply_overrides, clear_override, read_gradebook, set_override
from autograder.review.queue import ReviewError, load_results, render_queue, review_queue


def cmd_review_list(assignment: str | None, results: str | Path | Iterable[Any], location: GradebookLocation | None = None,
                    *, student: str | None = None, grade_id: str | None = None) -> str:
    """The review queue of an assignment: flagged answers not yet settled by a TA (with the TA
    scores of `location`'s gradebook laid over the automatic ones)."""
    loaded = list(load_results(results))
    if assignment is None:  # no course here: the results' only assignment
        names = sorted({r.assignment for r in loaded})
        if len(names) > 1:
            raise ReviewError(f"the results hold several assignments ({', '.join(names)}); give --assignment NAME")
        assignment = names[0] if names else ""
    loaded = [r for r in loaded if r.assignment == assignment]
    if student:
        loaded = [r for r in loaded if r.student == student]
    options: tuple[str, ...] = ()
    if location is not None:
        state = read_gradebook(location.url, assignment)
        loaded = [apply_overrides(r, state.overrides(r.student)) if r.student else r for r in loaded]
        options = location.options
    entries = review_queue(loaded, options)
    if grade_id:
        entries = [e for e in entries if e.grade_id == grade_id]
    text = render_queue(entries, assignment)
    if location is None and entries:
        text = ("note: no gradebook was found for these results, so TA scores are not shown and the commands "
                "below need --results DIR or --db PATH\n") + text
    return text


def _undo(verb: str, assignment: str, student: str, grade_id: str, location: GradebookLocation) -> str:
    where = "".join(f" {shlex.quote(o)}" for o in location.options)
    env = f" (with ${location.found_by} set)" if location.found_by.startswith("AUTOGRADER_") else ""
    return (f"autograder review {verb} {shlex.quote(assignment)} {shlex.quote(student)} "
            f"{shlex.quote(grade_id)}{where}{env}")


def cmd_review_set(location: GradebookLocation, assignment: str, student: str, grade_id: str, score: float | str,
                   comment: str | None = None, comment_cell: str | None = None) -> str:
    ov = set_override(location.url, assignment, student, grade_id, score, comment, comment_cell)
    said = f' with the comment "{ov.comment}"' if ov.comment else " (no comment)"
    return (f"{assignment} / {student} / {grade_id}: score set to {ov.score:g}/{ov.max_score:g}{said}, "
            f"in the gradebook {location.shown}.\n"
            "It replaces the automatic score in every later regrade and report. To undo it:\n"
            f"    {_undo('clear', assignment, student, grade_id, location)}")


def cmd_review_clear(location: GradebookLocation, assignment: str, student: str, grade_id: str,
                     comment_cell: str | None = None) -> str:
    if clear_override(location.url, assignment, student, grade_id, comment_cell):
        return f"{assignment} / {student} / {grade_id}: TA score cleared; the automatic score counts again."
    return f"{assignment} / {student} / {grade_id}: there was no TA score to clear."


__all__ = ["cmd_review_clear", "cmd_review_list", "cmd_review_set"]

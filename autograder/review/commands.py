"""`autograder review list|set|clear|settle-group|clear-group`: plain arguments in, the text to print out.

Every command works on one gradebook, found by `autograder.gradebook.locate` the same way for
all of them (`--results DIR` names the gradebook grade-all wrote for that folder), and every
command it prints names that gradebook again, so that a TA's score always lands where the next
grade-all reads it. Nothing here creates a gradebook or a student.
"""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Iterable

from autograder.gradebook import GradebookLocation, clear_override, read_gradebook, set_override
from autograder.gradebook.group_overrides import clear_group, forget_member, read_group_records
from autograder.review.groups import GroupEntry, class_review
from autograder.review.queue import ReviewError, load_results, render_queue
from autograder.review.settle import settle_group


def group_options(results: str | Path | Iterable[Any] | None, location: GradebookLocation | None) -> tuple[str, ...]:
    """What `settle-group` needs to find the class again: the results folder (its groups) and,
    when it was found otherwise, the gradebook."""
    options: tuple[str, ...] = ()
    if isinstance(results, (str, Path)):
        options = ("--results", str(Path(results).resolve()))
    if location is not None and location.options[:1] != ("--results",):
        options += location.options
    return options


def render_actions(actions: list[GroupEntry], assignment: str | None = None) -> str:
    """The TA actions of a class, one command each: a group of answers, or one answer alone."""
    what = f" of {assignment}" if assignment else ""
    waiting = sum(len(g.waiting) for g in actions)
    if not actions:
        return render_queue([], assignment)
    return (f"{waiting} answer(s){what} waiting for review, settled by {len(actions)} command(s): one per answer "
            "group (similar answers with the same automatic score; a group's command gives every member the "
            "score). Change the score if you disagree, and say why in the comment.\n\n"
            + "\n\n".join(g.render(i) for i, g in enumerate(actions, 1)))


def cmd_review_list(assignment: str | None, results: str | Path | Iterable[Any], location: GradebookLocation | None = None,
                    *, student: str | None = None, grade_id: str | None = None) -> str:
    """The review queue of an assignment: answer groups (and single answers) waiting for a TA,
    with the TA scores and group decisions of `location`'s gradebook laid over the automatic ones."""
    loaded = list(load_results(results))
    if assignment is None:  # no course here: the results' only assignment
        names = sorted({r.assignment for r in loaded})
        if len(names) > 1:
            raise ReviewError(f"the results hold several assignments ({', '.join(names)}); give --assignment NAME")
        assignment = names[0] if names else ""
    loaded = [r for r in loaded if r.assignment == assignment]
    state = records = None
    options: tuple[str, ...] = ()
    if location is not None:
        state, records = read_gradebook(location.url, assignment), read_group_records(location.url, assignment)
        options = location.options
    actions = class_review(loaded, state, records, options, group_options(results, location)).actions
    if student:
        actions = [g for g in actions if student in g.group.members]
    if grade_id:
        actions = [g for g in actions if g.group.grade_id == grade_id]
    text = render_actions(actions, assignment)
    if location is None and actions:
        text = ("note: no gradebook was found for these results, so TA scores are not shown and the commands "
                "below need --results DIR or --db PATH\n") + text
    return text


def _where(location: GradebookLocation) -> str:
    where = "".join(f" {shlex.quote(o)}" for o in location.options)
    env = f" (with ${location.found_by} set)" if location.found_by.startswith("AUTOGRADER_") else ""
    return where + env


def _undo(verb: str, assignment: str, student: str, grade_id: str, location: GradebookLocation) -> str:
    return (f"autograder review {verb} {shlex.quote(assignment)} {shlex.quote(student)} "
            f"{shlex.quote(grade_id)}{_where(location)}")


def cmd_review_set(location: GradebookLocation, assignment: str, student: str, grade_id: str, score: float | str,
                   comment: str | None = None, comment_cell: str | None = None) -> str:
    ov = set_override(location.url, assignment, student, grade_id, score, comment, comment_cell)
    forget_member(location.url, assignment, student, grade_id)  # this answer's own score, not a group's
    said = f' with the comment "{ov.comment}"' if ov.comment else " (no comment)"
    return (f"{assignment} / {student} / {grade_id}: score set to {ov.score:g}/{ov.max_score:g}{said}, "
            f"in the gradebook {location.shown}.\n"
            "It replaces the automatic score in every later regrade and report. To undo it:\n"
            f"    {_undo('clear', assignment, student, grade_id, location)}")


def cmd_review_clear(location: GradebookLocation, assignment: str, student: str, grade_id: str,
                     comment_cell: str | None = None) -> str:
    had = clear_override(location.url, assignment, student, grade_id, comment_cell)
    forget_member(location.url, assignment, student, grade_id)
    if had:
        return f"{assignment} / {student} / {grade_id}: TA score cleared; the automatic score counts again."
    return f"{assignment} / {student} / {grade_id}: there was no TA score to clear."


def cmd_review_settle_group(location: GradebookLocation, assignment: str, group_id: str, score: float | str,
                            comment: str | None, results: str | Path | Iterable[Any]) -> str:
    """Give every member of an answer group the TA's score (the groups of the class in `results`)."""
    entry, done = settle_group(location.url, assignment, group_id, score, comment, load_results(results))
    d = done.decision
    said = f' with the comment "{d.comment}"' if d.comment else " (no comment)"
    lines = [f"{assignment} / {group_id}: {len(done.settled)} of {entry.group.size} answers set to "
             f"{d.score:g}/{done.max_score:g}{said}, in the gradebook {location.shown}: {', '.join(done.settled) or 'none'}."]
    for student, own in done.kept:
        lines.append(f"  kept {student}'s own TA score {own:g} (to change it: "
                     f"autograder review set {shlex.quote(assignment)} {shlex.quote(student)} {shlex.quote(d.grade_id)} "
                     f"SCORE{_where(location)})")
    lines += ["It replaces the automatic score in every later regrade and report. An answer that changes so that it "
              "no longer fits the group falls out of it: its group score is withdrawn and it waits for review again.",
              "To undo it:",
              f"    autograder review clear-group {shlex.quote(assignment)} {shlex.quote(group_id)}{_where(location)}"]
    return "\n".join(lines)


def cmd_review_clear_group(location: GradebookLocation, assignment: str, group_id: str) -> str:
    cleared = clear_group(location.url, assignment, group_id)
    return (f"{assignment} / {group_id}: group score removed from {len(cleared)} answer(s)"
            f"{': ' + ', '.join(cleared) if cleared else ''}; their automatic scores count again.")


__all__ = ["cmd_review_clear", "cmd_review_clear_group", "cmd_review_list", "cmd_review_set",
           "cmd_review_settle_group", "group_options", "render_actions"]

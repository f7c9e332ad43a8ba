"""Plain-text and Markdown summaries shared by the terminal and the platform reports, each with
the student's text escaped for its medium (escape.py)."""
from __future__ import annotations

from typing import Callable

from autograder.reporters.escape import markdown, terminal, text
from autograder.results import NOT_GRADED, CheckResult, Status, SubmissionResult


def _fmt(x: float) -> str:
    return f"{round(x, 2):g}"


def with_hint(c: CheckResult) -> str:
    """A check's message followed by its known mistake's hint, when it has one (unescaped: each
    reporter escapes it for its medium)."""
    return f"{c.message}\n\n{c.hint}" if c.hint else c.message


def summary_lines(result: SubmissionResult, limit: int = 20, esc: Callable[[object], str] = terminal,
                  bullet: str = "  - ") -> list[str]:
    """The summary as lines; every piece of text that may come from a submission (messages,
    notes, format errors, names) goes through `esc`, the escaping of the medium (escape.py)."""
    who = f"{esc(result.student)}: " if result.student else ""
    lines = [f"{who}{esc(result.assignment)}: {_fmt(result.score)} / {_fmt(result.max_score)} points "
             f"(device {esc(result.device)})"]
    if result.late is not None:  # raw, penalty and final apart
        if result.late.penalty:
            lines.append(f"Late penalty: -{_fmt(result.penalty)} points; final score {_fmt(result.final_score)} / "
                         f"{_fmt(result.max_score)}")
        lines.append(esc(result.late.note))
    if result.format_errors:  # said first, once: the checks it cost only point to it
        lines.append("The submission could not be graded:" if not result.gradable
                     else "Part of the submission could not be graded:")
        lines += [f"{bullet}{esc(e)}" for e in result.format_errors]
    lost = [c for c in result.checks if c.status is not Status.PASSED]
    if not result.gradable:
        pass  # every check is 0 for the reason above; listing them would only repeat it
    elif lost:
        lines.append(f"{len(lost)} of {len(result.checks)} checks lost points:")
        ungraded: dict[str, list] = {}
        for c in lost:
            if NOT_GRADED in c.tags:
                ungraded.setdefault(c.notebook, []).append(c)
        for nb, cs in ungraded.items():  # one line per notebook, not one per check
            lines.append(f"{bullet}[0/{_fmt(sum(c.max_points for c in cs))}] {esc(nb)}: {len(cs)} checks not graded "
                         f"({esc(cs[0].message.removeprefix('not graded: '))})")
        lost = [c for c in lost if NOT_GRADED not in c.tags]
        for c in lost[:limit]:
            first = c.message.splitlines()[0] if c.message else ""
            lines.append(f"{bullet}[{_fmt(c.points)}/{_fmt(c.max_points)}] {esc(c.name)}: {esc(first)}")
            lines += [f"{' ' * len(bullet)}{esc(h)}" for h in c.hint.splitlines()]
        if len(lost) > limit:
            lines.append(f"{bullet.rstrip('- ')}  ... and {len(lost) - limit} more (see results.json)")
    elif result.checks:
        lines.append("Every check passed.")
    if result.notes:
        lines.append("Notes:")
        lines += [f"{bullet}{esc(n)}" for n in result.notes[:limit]]
    return lines


def summary_markdown(result: SubmissionResult) -> str:
    """Markdown (Gradescope's top-level output): our list structure, the student's text inert."""
    return "\n".join(summary_lines(result, limit=100, esc=markdown, bullet="- "))


def summary_text(result: SubmissionResult) -> str:
    """Plain text (PrairieLearn's message, shown as it is): the student's text inert."""
    return "\n".join(summary_lines(result, limit=100, esc=text))

"""Plain-text and Markdown summaries shared by the terminal and the platform reports."""
from __future__ import annotations

from autograder.results import NOT_GRADED, Status, SubmissionResult


def _fmt(x: float) -> str:
    return f"{round(x, 2):g}"


def summary_lines(result: SubmissionResult, limit: int = 20) -> list[str]:
    who = f"{result.student}: " if result.student else ""
    lines = [f"{who}{result.assignment}: {_fmt(result.score)} / {_fmt(result.max_score)} points (device {result.device})"]
    if result.format_errors:  # said first, once: the checks it cost only point to it
        lines.append("The submission could not be graded:" if not result.gradable
                     else "Part of the submission could not be graded:")
        lines += [f"  - {e}" for e in result.format_errors]
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
            lines.append(f"  - [0/{_fmt(sum(c.max_points for c in cs))}] {nb}: {len(cs)} checks not graded "
                         f"({cs[0].message.removeprefix('not graded: ')})")
        lost = [c for c in lost if NOT_GRADED not in c.tags]
        for c in lost[:limit]:
            first = c.message.splitlines()[0] if c.message else ""
            lines.append(f"  - [{_fmt(c.points)}/{_fmt(c.max_points)}] {c.name}: {first}")
        if len(lost) > limit:
            lines.append(f"  ... and {len(lost) - limit} more (see results.json)")
    elif result.checks:
        lines.append("Every check passed.")
    if result.notes:
        lines.append("Notes:")
        lines += [f"  - {n}" for n in result.notes[:limit]]
    return lines


def summary_markdown(result: SubmissionResult) -> str:
    return "\n".join(summary_lines(result, limit=100))

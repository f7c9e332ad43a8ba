"""CI autograding: grade the notebooks of a student's repository on every push.

    autograder ci REPO [--out DIR]              (python -P -m autograder.platforms.ci REPO --out DIR)

Run by the workflow template `templates/github-classroom.yml`. It grades the notebooks found in
REPO with the grading material of $AUTOGRADER_COURSE (or --course), which must NOT be inside the
student's repository (a student controls everything there), and writes:

- DIR/results.json, prairielearn.json, junit.xml, ... : what every reporter writes, minus the TA's
  record (submission_result.json holds grader tracebacks; CI artifacts and logs are the student's);
- DIR/summary.md, also appended to $GITHUB_STEP_SUMMARY: the score and a table per grade cell;
- `score` and `max_score` in $GITHUB_OUTPUT, for later steps.

Exit 0 whenever the submission was graded, however low the score (a red CI run is not a grade);
2 when the job is set up wrong (no grading material); 3 on a grader fault: only then the job fails.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from autograder.platforms.common import (EXIT_OK, EXIT_USAGE, PlatformError, deadline_of, grade, pick_assignment)
from autograder.reporters.escape import markdown
from autograder.results import Status, SubmissionResult

TA_ONLY = {"submission_result.json"}  # grader tracebacks: never into a student's artifact or log


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _cell(text: str) -> str:
    """Student text in the step summary's Markdown (a table cell or a list item): inert."""
    return markdown(str(text)[:300])


def _fmt(x: float) -> str:
    return f"{x:g}"


def summary_markdown(result: SubmissionResult, exit_code: int) -> str:
    lines = [f"## Autograder: {result.assignment}", ""]
    if exit_code != EXIT_OK and not result.checks:
        lines += [f"**Not graded.** {_cell(result.format_errors[0] if result.format_errors else '')}", ""]
        return "\n".join(lines) + "\n"
    lines += [f"**Score: {_fmt(result.final_score)} / {_fmt(result.max_score)} points** (device {result.device}; "
              "a low score does not fail this job)", ""]
    if result.late is not None:  # raw score, penalty and final score apart
        if result.late.penalty:
            lines += [f"Raw score {_fmt(result.score)}, late penalty -{_fmt(result.penalty)}.", ""]
        lines += [_cell(result.late.note), ""]
    if not result.gradable:
        lines += ["The submission could not be graded:", *[f"- {_cell(e)}" for e in result.format_errors], ""]
    cells: dict[tuple[str, str], list] = {}
    for c in result.checks:
        cells.setdefault((c.notebook, c.grade_id), []).append(c)
    if cells:
        lines += ["| notebook | cell | points | checks passed |", "|---|---|---:|---:|"]
        for (nb, gid), checks in cells.items():
            got, top = sum(c.points for c in checks), sum(c.max_points for c in checks)
            ok = sum(c.status is Status.PASSED for c in checks)
            lines.append(f"| {_cell(nb)} | {_cell(gid)} | {_fmt(round(got, 4))} / {_fmt(top)} | {ok} / {len(checks)} |")
        lines.append("")
    lost = [c for c in result.checks if c.status is not Status.PASSED]
    if lost:
        lines += ["<details><summary>What lost points</summary>", ""]
        lines += [f"- **{_cell(c.name)}** ({_fmt(c.points)} / {_fmt(c.max_points)}): {_cell(c.message)}"
                  + (f" {_cell(c.hint)}" if c.hint else "") for c in lost]
        lines += ["", "</details>", ""]
    if result.notes:
        lines += ["Notes:", *[f"- {_cell(n)}" for n in result.notes[:50]], ""]
    if exit_code != EXIT_OK:
        lines += ["The grader itself had a problem with some checks (not your fault); your instructor can see it.", ""]
    lines.append("Full feedback: the `feedback` artifact of this run (results.json, junit.xml).")
    return "\n".join(lines) + "\n"


def _append(env_var: str, text: str) -> None:
    target = os.environ.get(env_var)
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(text)


def run_ci(repo: Path, out: Path, course_root: Path | None = None, assignment: str | None = None,
           device: str | None = None) -> int:
    """Grade the notebooks of the student repository `repo`; feedback into `out`."""
    from autograder.reporters import write_results
    from autograder.reporters.text import summary_lines

    repo, out = Path(repo).resolve(), Path(out).resolve()
    device = device or os.environ.get("AUTOGRADER_DEVICE", "cpu")
    course = course_root or (Path(os.environ["AUTOGRADER_COURSE"]) if os.environ.get("AUTOGRADER_COURSE") else None)
    try:
        if not repo.is_dir():
            raise PlatformError(f"{repo} is not a folder (give the checkout of the student's repository)")
        if course is None:
            raise PlatformError("no grading material: set AUTOGRADER_COURSE (or --course) to the checkout of "
                                "the course's private grading repository")
        course = Path(course).resolve()
        if _is_within(course, repo):
            raise PlatformError(f"the grading material ({course}) lies inside the student's repository; "
                                "a student controls that folder, so it cannot hold the checks")
        if _is_within(out, course):
            raise PlatformError(f"--out {out} lies inside the grading material; choose another folder")
        name = pick_assignment(course, assignment or os.environ.get("AUTOGRADER_ASSIGNMENT"))
    except PlatformError as e:
        print(f"autograder ci: {e}", file=sys.stderr)
        _append("GITHUB_STEP_SUMMARY", f"## Autograder\n\n**Not graded:** the grading job is not set up correctly "
                                       f"(ask your instructor).\n")
        return EXIT_USAGE

    student = os.environ.get("GITHUB_ACTOR")
    policy, due, ext = deadline_of(course, name, student)
    outcome = grade(repo, course, name, device=device, hidden=[out], student=student, due=due)
    result = outcome.result
    if policy is not None and result.gradable:  # the push (or commit) time against the deadline
        from autograder.platforms.deadline import ci_time, with_late

        result = with_late(result, policy, ci_time(repo, os.environ), due, ext)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="autograder-ci-") as tmp:
        for path in write_results(result, Path(tmp)).values():
            if path.name not in TA_ONLY:
                shutil.copyfile(path, out / path.name)
    summary = summary_markdown(result, outcome.exit_code)
    (out / "summary.md").write_text(summary, encoding="utf-8")
    _append("GITHUB_STEP_SUMMARY", summary)
    _append("GITHUB_OUTPUT", f"score={result.final_score:g}\nmax_score={result.max_score:g}\n")
    # The job log is the student's to read: summaries only, never the grader's tracebacks.
    print("\n".join(summary_lines(result, limit=50)))
    if outcome.exit_code != EXIT_OK:
        print(f"autograder ci: the grader failed ({len(outcome.log)} error(s)); this is not the submission's "
              "fault. Details are withheld from this log; the instructor can reproduce them with "
              "`autograder grade` on this commit.", file=sys.stderr)
    print(f"feedback written to {out}/")
    return outcome.exit_code


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.platforms.ci", description=__doc__.splitlines()[0])
    p.add_argument("repo", type=Path, nargs="?", default=Path("."), help="the student repository's checkout (default: .)")
    p.add_argument("--out", type=Path, default=Path("feedback"), help="folder for the feedback files (default: feedback)")
    p.add_argument("--course", type=Path, help="the grading material's checkout (default: $AUTOGRADER_COURSE)")
    p.add_argument("--assignment", help="assignment to grade (default: $AUTOGRADER_ASSIGNMENT, else the only one)")
    p.add_argument("--device", choices=("cpu", "cuda", "auto"), help="default: $AUTOGRADER_DEVICE, else cpu")
    args = p.parse_args(argv)
    return run_ci(args.repo, args.out, args.course, args.assignment, args.device)


if __name__ == "__main__":
    raise SystemExit(main())

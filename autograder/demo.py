"""`autograder demo`: the README's first command, the whole pipeline on a class of examples.

1. builds a throw-away course folder (`OUT/course/`) holding a copy of the assignment's source;
2. generates its release and answer key there (`autograder release`, nbgrader);
3. builds eleven example submissions from them (autograder.demo_submissions: complete,
   typical, buggy, copied, partial, broken, hostile, renamed, unanswered, not a notebook, ...),
   each with the time it was handed in; the course copy gets the demo's deadline and the class
   an extensions CSV;
4. grades the class with `grade-all --similarity` (parallel, sandboxed): per-student results and
   feedback pages (hints for known mistakes, late penalties), the course's nbgrader gradebook,
   the CSVs and the class summary (the mistakes the class made, late students, the similarity
   section ranking the copied pair first);
5. prints where to open them.

The checkout itself is never written to; running it again starts from scratch.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from autograder.course import AssignmentPaths


def _rel(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


DEMO_MARK = ".autograder-demo"  # in OUT: this folder is a demo's and may be replaced
DEMO_ASSIGNMENT = "pytorch_basics"  # the example submissions (demo_submissions) are edits of its answer key


class DemoError(Exception):
    """The demo cannot run (its output folder holds other files)."""


def check_demo_out(out: Path) -> Path:
    """`out` if the demo may replace it: new, empty, or an earlier demo's (it holds the mark).
    Anything else is refused, so that `--out ~/course` never deletes a course."""
    out = Path(out).resolve()
    if out.is_dir() and any(out.iterdir()) and not (out / DEMO_MARK).is_file():
        raise DemoError(f"--out {out} holds files that no demo wrote; the demo replaces its folder, so give a new "
                        "or empty folder")
    return out


def _set_deadline(config_file: Path, due: str) -> None:
    """The demo course's deadline: `due` in the [deadline] of its copy of assignment.toml (the
    course declares the policy; each offering its date)."""
    text = config_file.read_text(encoding="utf-8")
    if "\n[deadline]\n" in text:
        text = text.replace("\n[deadline]\n", f"\n[deadline]\ndue = {due}\n", 1)
    else:
        text += f"\n[deadline]\ndue = {due}\n"
    config_file.write_text(text, encoding="utf-8")


def run_demo(paths: AssignmentPaths, out: Path, jobs: int | None = None, only: list[str] | None = None,
             device: str = "cpu", progress: bool = True) -> int:
    from autograder.batch import grade_all
    from autograder.demo_submissions import DUE, EXTENSIONS, build_class, examples
    from autograder.release import release_assignment

    out = check_demo_out(out)
    started = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / DEMO_MARK).write_text("written by `autograder demo`; the next demo replaces this folder\n")
    course = out / "course"
    demo_paths = AssignmentPaths(course, paths.name)
    print(f"[1/4] a throw-away course in {_rel(course)}/ with a copy of {_rel(paths.source)}/ ...")
    shutil.copytree(paths.source, demo_paths.source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                                                      ".ipynb_checkpoints"))
    t = time.perf_counter()
    print(f"[2/4] generating the student release and the answer key (nbgrader) ...")
    release_assignment(demo_paths)
    print(f"      {_rel(demo_paths.release)}/ and {_rel(demo_paths.solutions)}/ ({time.perf_counter() - t:.0f} s)")
    _set_deadline(demo_paths.config_file, DUE)

    subs = out / "submissions"
    chosen = examples(only)
    print(f"[3/4] {len(chosen)} example submissions in {_rel(subs)}/, built from the answer key and the release:")
    build_class(demo_paths.solutions, demo_paths.release, subs, only=[e.name for e in chosen])
    for ex in chosen:
        print(f"      {ex.name:15} {ex.what}")
    extensions = out / "extensions.csv"
    extensions.write_text(EXTENSIONS, encoding="utf-8")
    print(f"      deadline {DUE}, extensions in {_rel(extensions)}")

    t = time.perf_counter()
    print(f"[4/4] grading the class (grade-all, {device}) ...", flush=True)
    results = out / "results"
    report = grade_all(subs, demo_paths, out=results, db=str(course / "gradebook.db"), jobs=jobs, device=device,
                       progress=progress, hidden=(paths.course_root,), extensions=extensions, similarity=True)
    print(f"      graded in {time.perf_counter() - t:.0f} s")
    print()
    print(report.describe())
    print()
    print("Open:")
    print(f"  class summary (TAs):   {_rel(results / 'summary.html')}  (mistakes the class made, late students, "
          "similarity)")
    print(f"  similarity (staff):    {_rel(results / 'similarity' / 'similarity.html')}  (similarity, not proof)")
    print(f"  feedback (students):   {_rel(results)}/students/<student>/feedback.html, "
          f"e.g. {_rel(results / 'students' / 'typical' / 'feedback.html')}")
    print(f"  grades, every check:   {_rel(results / 'grades.csv')}")
    print(f"  grades to import:      {_rel(results / 'grades_import.csv')}  (one column per grade cell)")
    print(f"  nbgrader gradebook:    {_rel(course / 'gradebook.db')}  (cd {_rel(course)} && nbgrader formgrader)")
    print(f"  review short answers:  autograder review list --results {_rel(results)}")
    print(f"  Gradescope results:    {_rel(results)}/students/<student>/results.json")
    if report.review:
        print(f"  {report.review} short answer(s) wait for a TA: the summary lists them in answer groups (similar "
              "answers), each with the one command that settles the whole group")
    print(f"done in {time.perf_counter() - started:.0f} s")
    return report.exit_code

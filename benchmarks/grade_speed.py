"""How fast a class is graded: `grade-all --jobs 1`, `grade-all` on all cores, `nbgrader autograde`.

    .venv/bin/python benchmarks/grade_speed.py [--n 8] [--jobs N] [--kinds complete] [--skip-nbgrader] [--keep DIR]

Builds N submissions by cycling through varied example submissions of pytorch_basics
(autograder.demo_submissions: complete, typical, buggy, two notebooks only, syntax error,
renamed, unanswered, not a notebook; the hostile one is left out because under nbgrader, which
has no sandbox, it would really write a 1 GB file per copy), then grades the same class

1. with grade-all, one worker (`--jobs 1`);
2. with grade-all, one worker per core (or `--jobs`);
3. with nbgrader autograde in a temporary nbgrader course made from the instructor notebooks
   (`nbgrader generate_assignment`, then `submitted/<student>/pytorch_basics/`). nbgrader runs
   each notebook top to bottom in a Jupyter kernel, one submission after the other, with the
   notebook's own public checks only (no hidden checks, no held-out data, no short-answer
   grading), and its default cell timeout (30 s) raised to 300 s so that training cells finish;
   its kernels get one torch thread like grade-all's workers (`--nbgrader-threads default`
   leaves torch's own default: one thread per core).

and prints seconds per submission and the ratios, the CPU time of the grading processes (not of
the sandboxed notebook workers: they end with their PID namespace, and their CPU time never
reaches the grader), the ratio of grade-all's time to the class's unavoidable compute (the notebooks'
own cells and the fit_spiral trainings, as every student's record gives them; see phases.py),
and 200 such submissions extrapolated from the class's rate. `--kinds complete` grades a class of
key-like submissions. It uses the checkout's committed release/ and solutions/ and never writes
into the checkout. Results: docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

KINDS = ["complete", "typical", "buggy", "only_two", "syntax_error", "renamed", "unanswered", "not_a_notebook"]


def build_submissions(paths, out: Path, n: int, kinds: list[str] = KINDS) -> list[str]:
    from autograder.demo_submissions import build_example, examples

    by_name = {e.name: e for e in examples(kinds)}
    students = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        student = f"s{i:03d}_{kind}"
        build_example(by_name[kind], paths.solutions, paths.release, out / student)
        students.append(student)
    return students


def time_grade_all(paths, subs: Path, out: Path, jobs: int) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the grading processes (sandboxed workers not included), seconds of the
    class's unavoidable compute: notebook cells and fit_spiral trainings, from the records)."""
    from autograder.batch import grade_all
    from autograder.batch.records import read_record, student_dir
    from phases import unavoidable

    if out.exists():
        shutil.rmtree(out)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    report = grade_all(subs, paths, out=out, jobs=jobs, progress=True)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    compute = 0.0
    for student in report.students:
        rec = read_record(student_dir(out, student))
        compute += sum(unavoidable([t.to_dict() for t in rec.result.timings])) if rec else 0.0
    print(f"   grade-all --jobs {jobs}: {elapsed:.1f} s (grader CPU {cpu:.0f} s); {report.describe().splitlines()[0]}",
          flush=True)
    return elapsed, cpu, compute


def time_nbgrader(paths, subs: Path, students: list[str], work: Path, threads: str) -> tuple[float, str]:
    course = work / "nbgrader-course"
    (course / "source" / paths.name).mkdir(parents=True)
    for nb in sorted(paths.source.glob("*.ipynb")):
        shutil.copy(nb, course / "source" / paths.name / nb.name)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.Execute.timeout = 300\n")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if threads != "default":  # the kernels' torch threads (grade-all's workers use one each)
        env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", paths.name, "--force"], cwd=course, env=env, check=True,
                   capture_output=True)
    n_nb = 0
    for s in students:
        dest = course / "submitted" / s / paths.name
        dest.mkdir(parents=True)
        for nb in (subs / s).glob("*.ipynb"):  # nbgrader grades files named like the source notebooks only
            shutil.copy(nb, dest / nb.name)
            n_nb += 1
        (dest / "timestamp.txt").write_text("2024-06-01 12:00:00.000000 UTC")
    t = time.perf_counter()
    done = subprocess.run([*nbgrader, "autograde", paths.name], cwd=course, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    (work / "nbgrader-autograde.log").write_text(done.stdout + done.stderr)
    tail = "\n".join(line for line in done.stderr.splitlines() if "[AutogradeApp | ERROR]" in line)
    print(f"   nbgrader autograde: {elapsed:.1f} s ({n_nb} notebooks; exit {done.returncode}; "
          f"log {work / 'nbgrader-autograde.log'})", flush=True)
    if tail:
        print("   " + tail.replace("\n", "\n   ")[:2000], flush=True)
    return elapsed, tail


def main(argv: list[str] | None = None) -> int:
    from autograder.batch import default_jobs
    from autograder.course import assignment_paths

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=len(KINDS), help="submissions in the class (default: one of each kind)")
    p.add_argument("--jobs", type=int, default=default_jobs(), help="workers of the parallel run (default: cores)")
    p.add_argument("--skip-nbgrader", action="store_true")
    p.add_argument("--nbgrader-threads", default="1",
                   help="OMP_NUM_THREADS of nbgrader's kernels: 1 (default, like grade-all's workers) or 'default'")
    p.add_argument("--keep", type=Path, help="keep the class and results in this folder")
    p.add_argument("--kinds", nargs="+", default=KINDS,
                   help="example submissions to cycle through (default: the eight kinds above); "
                        "`--kinds complete` is a class of key-like submissions")
    args = p.parse_args(argv)

    paths = assignment_paths("pytorch_basics", REPO)
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="grade-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        subs = work / "submissions"
        if subs.exists():
            shutil.rmtree(subs)
        students = build_submissions(paths, subs, args.n, args.kinds)
        print(f"{args.n} submissions ({', '.join(args.kinds[:min(args.n, len(args.kinds))])}, ...), "
              f"{os.cpu_count()} CPU cores, torch threads per worker: 1", flush=True)
        rows = []
        print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
        t1, cpu1, compute = time_grade_all(paths, subs, work / "results-jobs1", 1)
        rows.append(("grade-all --jobs 1", 1, t1, cpu1))
        tn, cpun, _ = time_grade_all(paths, subs, work / f"results-jobs{args.jobs}", args.jobs)
        rows.append((f"grade-all --jobs {args.jobs}", args.jobs, tn, cpun))
        if not args.skip_nbgrader:
            tg, _ = time_nbgrader(paths, subs, students, work, args.nbgrader_threads)
            rows.append((f"nbgrader autograde (threads: {args.nbgrader_threads})", 1, tg, float("nan")))
        print(f"load average after: {os.getloadavg()[0]:.1f} (other work on the machine skews the figures)")
        print()
        print(f"{'method':42} {'total s':>8} {'s/submission':>13} {'vs jobs 1':>10} {'grader CPU s':>13}")
        for name, _, t, cpu in rows:
            print(f"{name:42} {t:8.1f} {t / args.n:13.1f} {t1 / t:9.2f}x {cpu:13.0f}")
        print(f"\nunavoidable compute of the class (notebook cells and fit_spiral trainings, from the records): "
              f"{compute:.1f} s; grade-all --jobs 1 takes {t1 / compute:.2f}x that, --jobs {args.jobs} "
              f"{tn * args.jobs / compute:.2f}x of its {args.jobs} workers' time")
        print(f"at this rate, 200 such submissions: {200 * tn / args.n / 60:.1f} min with --jobs {args.jobs} "
              f"(extrapolated from {args.n})")
        if not args.skip_nbgrader:
            print(f"grade-all --jobs {args.jobs} is {tg / tn:.2f}x the speed of nbgrader autograde "
                  f"(--jobs 1: {tg / t1:.2f}x), while also running the hidden checks, held-out accuracy and "
                  "short answers in a sandbox")
        print(json.dumps({"n": args.n, "cores": os.cpu_count(), "kinds": args.kinds, "unavoidable_s": round(compute, 1),
                          **{name: round(t, 1) for name, _, t, _ in rows}}))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

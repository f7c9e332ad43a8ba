"""Where the time of one `autograder grade` goes, phase by phase, for three submissions.

    .venv/bin/python benchmarks/phases.py [--repeat 1] [--only key typical hostile] [--json FILE]

Each submission is graded as `autograder grade SUBMISSION --out DIR` grades it, in a fresh
process: the figures of the grading's phases are the engine's own (`SubmissionResult.timings`,
recorded during the real run), the process's start and imports and the writing of the outputs
are timed around it here. The submissions (built from the committed answer key, as the demo
builds them):

- key: the answer key, all three notebooks with every cell (the classic experiment trains two
  models for 1000 epochs, the notebook calls fit_spiral again);
- typical: the demo's typical student (a small under-trained fit_spiral, a wrong products, two
  thin short answers);
- hostile: the answer key whose `train` never returns (a Python loop without end).

Unavoidable compute is what grading cannot skip: the notebooks' own cells (run as the student
wrote them) and the trainings the checks must do (the calls of fit_spiral). The ratio of the
whole command's wall time to it is the grader's overhead (target: at most 1.3 for the key).
Timings are wall-clock seconds; phases overlap (the notebooks' workers run side by side, a
notebook's checks run while another's cells still run), so the total is less than their sum.
The machine is shared: the load average is printed with every run.
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
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TRAIN_NEVER_RETURNS = '''def train(model, X, Y, optimizer, epochs):
    """Never returns."""
    while True:
        pass
'''
KINDS = ("key", "typical", "hostile")
TRAININGS = "fit_spiral"  # the student function whose calls are the checks' trainings


def build(kind: str, out: Path) -> Path:
    from autograder.course import assignment_paths
    from autograder.demo_submissions import NB2, Edit, Example, build_example, examples

    paths = assignment_paths("pytorch_basics", REPO)
    ex = {"key": examples(["complete"])[0], "typical": examples(["typical"])[0],
          "hostile": Example("hostile_train", "train never returns", edits=(Edit(NB2, "sol_train", TRAIN_NEVER_RETURNS),))}[kind]
    return build_example(ex, paths.solutions, paths.release, out)


CHILD = r'''
import json, sys, time
t0 = time.perf_counter()
# `autograder grade` starts the sandbox's fork server once its (light) command line is checked,
# before the grader's heavy imports: so does this copy of it, which imports those first
from autograder.sandbox.launchers import prestart
prestart("cpu")
import autograder.grading, autograder.reporters, autograder.reporters.html, autograder.cli as cli
t_imports = time.perf_counter() - t0
spent = {"outputs": 0.0}
def timed(fn):
    def run(*a, **k):
        s = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent["outputs"] += time.perf_counter() - s
    return run
autograder.reporters.write_results = timed(autograder.reporters.write_results)
autograder.reporters.html.write_feedback = timed(autograder.reporters.html.write_feedback)
s = time.perf_counter()
code = cli.main(["grade", sys.argv[1], "--out", sys.argv[2]])
spent.update(imports=t_imports, command=time.perf_counter() - s, code=code)
import resource
ru = resource.getrusage(resource.RUSAGE_SELF)
spent["grader_cpu"] = ru.ru_utime + ru.ru_stime
print("PHASES " + json.dumps(spent))
'''


def grade_once(sub: Path, out: Path) -> dict:
    if out.exists():
        shutil.rmtree(out)
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(sub), str(out)], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("PHASES ")]
    if not lines:
        raise SystemExit(f"grading {sub} failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    child = json.loads(lines[-1][len("PHASES "):])
    record = json.loads((out / "submission_result.json").read_text(encoding="utf-8"))
    return {"wall": wall, "load": load, "child": child, "record": record, "cpu": cpu}


def unavoidable(timings: list[dict]) -> tuple[float, float]:
    """(seconds of the notebooks' own cells, seconds of the checks' trainings) of one grading,
    from its recorded timings (SubmissionResult.timings as a dict)."""
    cells = sum(t["seconds"] for t in timings if t["phase"] == "notebook cells")
    trainings = sum(t["seconds"] for t in timings
                    if t["phase"] == "student calls" and t["part"].endswith(f": {TRAININGS}"))
    return cells, trainings


def summarise(run: dict) -> dict:
    """The table's rows (name -> seconds) and the compute figures of one run."""
    timings = run["record"]["timings"]
    by: dict[str, float] = defaultdict(float)
    for t in timings:
        by[(t["phase"], t["part"])] += t["seconds"]
    total = next(t["seconds"] for t in timings if t["phase"] == "total")
    stems = sorted({t["part"] for t in timings if t["phase"] == "notebook cells"})
    rows: dict[str, float] = {}
    rows["process start and imports"] = run["wall"] - run["child"]["command"]
    for stem in stems:
        rows[f"worker start: {stem}"] = by[("worker start", stem)]
        rows[f"notebook cells: {stem}"] = by[("notebook cells", stem)]
    config_order = [t["part"] for t in timings if t["phase"] == "checks"]
    for gid in sorted(set(config_order), key=config_order.index):
        rows[f"checks: {gid}"] = by[("checks", gid)]
    calls = {t["part"]: t["seconds"] for t in timings if t["phase"] == "student calls"}
    for label, seconds in sorted(calls.items(), key=lambda kv: -kv[1])[:3]:
        stem, _, fn = label.partition(": ")
        rows[f"  of which calls of {fn} ({stem[:2]})"] = seconds
    rows["references (computed in this grading)"] = sum(t["seconds"] for t in timings if t["phase"] == "references")
    rows["short answers (while the workers start)"] = by[("short answers", "")]
    rows["outputs (results files, feedback page)"] = run["child"]["outputs"]
    rows["grading (grade_submission)"] = total
    rows["whole command"] = run["wall"]
    rows["CPU: grading process"] = run["child"]["grader_cpu"]
    rows["CPU: with children it reaped (not the sandboxed workers)"] = run["cpu"]
    cells, trainings = unavoidable(timings)
    return {"rows": rows, "cells": cells, "trainings": trainings, "unavoidable": cells + trainings,
            "ratio": run["wall"] / (cells + trainings) if cells + trainings else float("nan"),
            "score": run["record"]["score"], "load": run["load"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=KINDS, default=list(KINDS))
    p.add_argument("--repeat", type=int, default=1, help="grade each submission this many times (the best run is shown)")
    p.add_argument("--json", type=Path, help="also write every run's figures here")
    p.add_argument("--keep", type=Path, help="keep the submissions and results in this folder")
    args = p.parse_args(argv)

    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="phases-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        runs: dict[str, list[dict]] = {}
        for kind in args.only:
            sub = build(kind, work / kind)
            for i in range(args.repeat):
                run = grade_once(sub, work / f"{kind}-results")
                s = summarise(run)
                print(f"{kind} run {i + 1}: {run['wall']:.1f} s, score {s['score']:g}, load average before "
                      f"{run['load']:.1f}", flush=True)
                runs.setdefault(kind, []).append(s)
        best = {k: min(v, key=lambda s: s["rows"]["whole command"]) for k, v in runs.items()}
        names = list(dict.fromkeys(n for s in best.values() for n in s["rows"]))
        print()
        print(f"{'phase (wall-clock seconds)':52}" + "".join(f"{k:>10}" for k in best))
        for n in names:
            print(f"{n[:52]:52}" + "".join(f"{s['rows'].get(n, 0.0):10.2f}" for s in best.values()))
        print(f"{'unavoidable compute: cells + fit_spiral trainings':52}"
              + "".join(f"{s['unavoidable']:10.2f}" for s in best.values()))
        print(f"{'whole command / unavoidable compute':52}" + "".join(f"{s['ratio']:10.2f}" for s in best.values()))
        print(f"{'load average before the run':52}" + "".join(f"{s['load']:10.1f}" for s in best.values()))
        if "key" in best:
            key = best["key"]["rows"]["whole command"]
            for k, s in best.items():
                if k != "key":
                    print(f"{k}: {s['rows']['whole command'] / key:.2f}x the key's time")
        if args.json:
            args.json.write_text(json.dumps(runs, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""grade-all on a Dask cluster against the local pool, on this machine (127.0.0.1).

    .venv/bin/python benchmarks/cluster.py [--n 40] [--sleep 1.0] [--real 2] [--skip-real]

1. A fake fast grader (tests/fake_class.py: each grading sleeps --sleep seconds in the grading
   process, then answers) on a class of --n students: the local pool with 1 and 2 slots, a
   cluster of 1 worker (1 slot) and of 2 workers (1 slot each). The engine's overhead per
   submission is (wall - the same run's local-pool wall) / n, and as a share of a real grading.
2. The real engine on --real key-like submissions (autograder.demo_submissions "complete"):
   local pool with 2 slots against a cluster of 2 workers with 1 slot each (one torch thread per
   grading on both sides).
3. Recovery: 2 workers, a class with 2 s gradings; one worker is SIGKILLed when a grading starts
   on it. Recovery time: from the kill to the start of that submission's second grading; and
   the class's wall time against the undisturbed run.

The cluster is a real scheduler and `autograder cluster-worker` processes (tests/dask_helpers.py).
Prints the figures and the load average. Results: docs/benchmarks.md, section "Cluster".
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from dask_helpers import LocalDask  # noqa: E402
from fake_class import gradings, make_class, wait_for_a_start  # noqa: E402


class _Env:
    """fake_course's monkeypatch, for a script: sets os.environ (the workers inherit it)."""

    def setenv(self, name: str, value: str) -> None:
        os.environ[name] = value


def _timed(fn) -> float:
    t = time.perf_counter()
    report = fn()
    wall = time.perf_counter() - t
    assert report.exit_code in (0, 1), report.describe()
    return wall


def _cluster(folder: Path, workers: int):
    dask = LocalDask(folder).start()
    for i in range(workers):
        dask.add_worker(f"w{i + 1}", env={"FAKE_WORKER": f"w{i + 1}"})
    dask.wait_for_workers(workers)
    return dask


def _gap(log: Path) -> float:
    """Median seconds between one grading's end and the next one's start in the same grading
    process: what the engine adds per submission once running (sending the job, laying out the
    files, committing the record, the next job's arrival)."""
    import statistics

    by_proc: dict[tuple, list] = {}
    for g in gradings(log.parent):
        by_proc.setdefault((g["worker"], g["pid"]), []).append((g["t"], g["event"]))
    gaps = []
    for events in by_proc.values():
        events.sort()
        gaps += [b[0] - a[0] for a, b in zip(events, events[1:]) if a[1] == "end" and b[1] == "start"]
    return statistics.median(gaps) if gaps else float("nan")


def fake_runs(tmp: Path, n: int, sleep: float) -> dict[str, tuple[float, float]]:
    """{run: (wall seconds, median gap between gradings)}"""
    from autograder.batch import grade_all
    from autograder.batch.executor import Engine
    from fake_class import fake_course

    paths = fake_course(tmp, _Env())
    log = Path(os.environ["FAKE_LOG"])
    subs = make_class(tmp / "subs", {f"s{i:03d}": {"frac": (i % 5) / 4, "sleep": sleep} for i in range(n)})
    runs: dict[str, tuple[float, float]] = {}
    for jobs in (1, 2):
        log.unlink(missing_ok=True)
        wall = _timed(lambda: grade_all(subs, paths, out=tmp / f"local{jobs}", jobs=jobs, grader="fakegrader:grade",
                                        progress=False))
        runs[f"local pool, {jobs} slot(s)"] = (wall, _gap(log))
    for workers in (1, 2):
        dask = _cluster(tmp / f"dask{workers}", workers)
        log.unlink(missing_ok=True)
        try:
            wall = _timed(lambda: grade_all(subs, paths, out=tmp / f"remote{workers}", grader="fakegrader:grade",
                                            progress=False, engine=Engine(scheduler=dask.address)))
        finally:
            dask.close()
        runs[f"cluster, {workers} worker(s) x 1 slot"] = (wall, _gap(log))
        same = (tmp / f"remote{workers}" / "grades.csv").read_text() == (tmp / "local1" / "grades.csv").read_text()
        print(f"  cluster of {workers}: CSV equal to the local run's: {same}")
    return runs


def real_runs(tmp: Path, n: int) -> dict[str, float]:
    from autograder.batch import grade_all
    from autograder.batch.executor import Engine
    from autograder.course import assignment_paths
    from autograder.demo_submissions import build_example, examples

    paths = assignment_paths("pytorch_basics", REPO)
    complete = examples(["complete"])[0]
    subs = tmp / "real-subs"
    for i in range(n):
        build_example(complete, paths.solutions, paths.release, subs / f"k{i}")
    # 2 slots on both sides: each grading on one torch thread (a local pool of 1 would give its one
    # grading every core, a cluster slot never does), as a class is graded on this 2-core machine
    walls = {"real, local pool, 2 slots": _timed(lambda: grade_all(subs, paths, out=tmp / "real-local", jobs=2,
                                                                    progress=False))}
    dask = _cluster(tmp / "dask-real", 2)
    try:
        walls["real, cluster, 2 workers x 1 slot"] = _timed(lambda: grade_all(
            subs, paths, out=tmp / "real-remote", progress=False, engine=Engine(scheduler=dask.address)))
    finally:
        dask.close()
    same = (tmp / "real-remote" / "grades.csv").read_text() == (tmp / "real-local" / "grades.csv").read_text()
    print(f"  real: CSV equal to the local run's: {same}")
    return walls


def recovery(tmp: Path, n: int = 8) -> tuple[float, float, float]:
    """(seconds from the kill to the resubmitted grading's start, wall killed, wall undisturbed)"""
    from fake_class import fake_course

    tmp.mkdir()
    paths = fake_course(tmp, _Env())
    subs = make_class(tmp / "subs", {f"s{i}": {"frac": 1.0, "sleep": 2.0} for i in range(n)})
    cmd = [sys.executable, "-m", "autograder.batch", str(subs), "--course", str(paths.course_root), "--assignment",
           "fa", "--grader", "fakegrader:grade", "--quiet"]
    walls = []
    gap = 0.0
    for kill in (False, True):
        Path(os.environ["FAKE_LOG"]).unlink(missing_ok=True)
        dask = _cluster(tmp / f"dask-{kill}", 2)
        try:
            t = time.perf_counter()
            batch = subprocess.Popen([*cmd, "--out", str(tmp / f"out-{kill}"), "--scheduler", dask.address],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if kill:
                wait_for_a_start(tmp, "w1", batch)
                victim = [g for g in gradings(tmp) if g["worker"] == "w1" and g["event"] == "start"][-1]["student"]
                killed_at = time.time()
                dask.kill_worker("w1")
            _, err = batch.communicate(timeout=600)
            walls.append(time.perf_counter() - t)
            assert batch.returncode == 0, err
        finally:
            dask.close()
    again = [g["t"] for g in gradings(tmp) if g["student"] == victim and g["event"] == "start" and g["t"] > killed_at]
    gap = again[0] - killed_at
    return gap, walls[1], walls[0]


def _fake_and_recovery(tmp: Path, n: int, sleep: float) -> None:
    runs = fake_runs(tmp / "fake", n, sleep)
    n += 1  # frank, not a notebook
    print(f"\nfake grader, {n} submissions, {sleep:.1f} s of grading each:")
    for name, (wall, gap) in runs.items():
        print(f"  {name:32} {wall:7.1f} s  {wall / n:5.2f} s/submission  {gap:.3f} s between two gradings")
    gap, killed, calm = recovery(tmp / "recovery")
    print(f"\nrecovery, 2 workers, 9 submissions of 2 s: the killed worker's submission started again "
          f"{gap:.1f} s after the kill; class {killed:.1f} s with the kill, {calm:.1f} s without")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="students of the fake class (default 40)")
    ap.add_argument("--sleep", type=float, default=1.0, help="seconds of each fake grading (default 1.0)")
    ap.add_argument("--real", type=int, default=2, help="key-like submissions graded by the real engine (default 2)")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-fake", action="store_true", help="only the real engine's runs")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    print(f"load average before: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    try:
        if not args.skip_fake:
            _fake_and_recovery(tmp, args.n, args.sleep)
        if not args.skip_real:
            real = real_runs(tmp, args.real)
            print(f"\nreal engine, {args.real} key-like submissions:")
            for name, wall in real.items():
                print(f"  {name:34} {wall:7.1f} s  {wall / args.real:5.1f} s/submission")
            local, remote = real.values()
            print(f"  cluster overhead: {(remote - local) / args.real:+.2f} s/submission "
                  f"({100 * (remote - local) / local:+.1f} %)")
    finally:
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    raise SystemExit(main())

"""Running a batch's jobs: on the Dask cluster, or in local pools (one per device), through the
one executor interface (executor.py), committing each outcome as it arrives and showing it on
the progress line. PoolBroken and ClusterError reach the caller (run.py says them to the TA)."""
from __future__ import annotations

import os
import signal
from pathlib import Path

from autograder.batch.executor import Engine, Executor, commit_outcome, run_jobs
from autograder.batch.pool import Job, Outcome, WorkerPool
from autograder.batch.progress import Progress
from autograder.batch.records import GRADED


def _raise_interrupt(signum, frame):  # SIGTERM behaves like Ctrl-C: stop, keep what is committed
    raise KeyboardInterrupt


def run_batch(jobs_list: list[Job], cluster, settings: dict, n_jobs: int, state: Path, timeout: float, engine: Engine,
         out: Path, config, device: str, bar: Progress, report) -> None:
    """Grade the jobs on the cluster or in local pools (one per device), committing each outcome."""
    def on_start(job: Job) -> None:
        bar.start(job.student)

    def on_retry(o: Outcome, n: int) -> None:
        bar.message(f"{o.job.student}: {o.crash}; trying again ({n + 1} of {engine.tries})")

    def on_done(o: Outcome) -> None:
        record = commit_outcome(out, config, o, device)
        if o.reply is None:
            report.crashed.append(o.job.student)
            bar.finish(o.job.student, f"{o.job.student}: not graded, {o.crash}", ungradable=True)
            return
        report.graded.append(o.job.student)
        r = o.reply
        if record.status == GRADED:
            extra = f", {r['grader_errors']} grader error(s)" if r.get("grader_errors") else ""
            bar.finish(o.job.student, f"{o.job.student}: {round(r['score'], 2):g}/{r['max_score']:g} "
                                      f"({r['wall_s']:.1f} s{extra})")
        else:
            bar.finish(o.job.student, f"{o.job.student}: ungradable ({r['wall_s']:.1f} s)", ungradable=True)

    env = dict(os.environ)
    if n_jobs > 1:  # one core per grading worker
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    groups: dict[str, list[Job]] = {}
    for job in jobs_list:  # locally, one pool per device (a process keeps the device it started on)
        groups.setdefault("" if cluster is not None else (job.device or device), []).append(job)
    if cluster is not None:
        cluster.configure(settings)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        for dev, group in groups.items():
            executor: Executor = cluster if cluster is not None else WorkerPool(
                n_jobs, dict(settings, device=dev), state / "logs", timeout, env=env)
            try:
                run_jobs(executor, group, on_start, on_done, engine.tries, on_retry)
            finally:
                if executor is not cluster:
                    executor.close()
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        bar.close()

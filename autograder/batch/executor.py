"""How grade-all runs its jobs: one small interface, two engines, one path around them.

An `Executor` takes `Job`s and reports one `Outcome` per attempt:

- `pool.WorkerPool`: warm grading processes on this machine (`--jobs N`);
- `cluster.DaskExecutor`: the same grading processes, started by the tasks of a Dask cluster
  on its workers (`--scheduler tcp://HOST:PORT`).

Both run the same grading process (`python -m autograder.batch.worker`), which grades and
answers with the student's record; neither writes anything. What is around them is shared and
lives here: a job whose grading process (or machine) died is tried again, up to `tries` in all;
a job that overran its time is not (it would overrun again); and every final outcome is
committed by `commit_outcome`, in this process, into the results folder: the only place a
student's record is written, once per job, so nothing is recorded twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from autograder.batch.pool import Job, Outcome
from autograder.batch.records import UNGRADABLE, StudentRecord, commit, student_dir, ungradable_result

DEFAULT_TRIES = 2  # a grading process that dies is tried once more: an out-of-memory kill may be the host's
WAIT_FOR_WORKERS_S = 120.0  # on a cluster, how long jobs may wait for a worker that can take them


class ClusterError(Exception):
    """The cluster cannot grade this batch, or went away; the message says what to do."""


@dataclass(frozen=True)
class Engine:
    """Where and how a batch's jobs run."""

    scheduler: str | None = None  # a Dask scheduler's address; None: the local pool
    security: Any = None  # distributed.security.Security for the scheduler (TLS), or None
    tries: int = DEFAULT_TRIES  # attempts of a job whose grading process (or machine) dies
    devices: dict[str, str] = field(default_factory=dict)  # student -> device, where not the batch's
    wait_s: float = WAIT_FOR_WORKERS_S


class Executor(Protocol):
    size: int  # jobs at once, for the progress line

    def run(self, jobs: list[Job], on_start: Callable[[Job], None], on_done: Callable[[Outcome], None]) -> None:
        """Run every job once; call on_start when one starts and on_done with its outcome."""

    def close(self) -> None:
        """Stop every process the executor started."""


def run_jobs(executor: Executor, jobs: Iterable[Job], on_start: Callable[[Job], None],
             on_done: Callable[[Outcome], None], tries: int = DEFAULT_TRIES,
             on_retry: Callable[[Outcome, int], None] | None = None) -> None:
    """Run `jobs` on `executor`; `on_done` gets exactly one final outcome per job. A crash that
    another try may fix (`Outcome.retryable`) runs again while the job has tries left;
    `on_retry(outcome, tries_so_far)` is told. Each round runs the jobs still to do."""
    tries = max(1, int(tries))
    attempts: dict[int, int] = {}
    todo = list(jobs)
    while todo:
        again: list[Job] = []

        def done(o: Outcome, again=again) -> None:
            n = attempts[o.job.id] = attempts.get(o.job.id, 0) + 1
            o.tries = n
            if o.reply is None and o.retryable and n < tries:
                if on_retry is not None:
                    on_retry(o, n)
                again.append(o.job)
                return
            on_done(o)

        executor.run(todo, on_start, done)
        todo = again


def commit_outcome(out: Path, config, o: Outcome, device: str) -> StudentRecord:
    """Write a job's final outcome into the results folder: the record the grading process
    answered with, or an ungradable record saying why there is none."""
    if o.reply is not None and isinstance(o.reply.get("record"), dict):
        record = StudentRecord.from_dict(o.reply["record"])
    else:
        record = _crash_record(config, o, o.job.device or device)
    commit(student_dir(out, o.job.student), record)
    return record


def _crash_record(config, o: Outcome, device: str) -> StudentRecord:
    reason = ("the grader could not finish grading this submission (its grading process stopped); "
              "your TA has been told")
    crash = o.crash or "the grading process gave no answer"
    detail = f"{crash} while grading {o.job.source or o.job.submission}"
    if o.tries > 1:
        detail += f" ({o.tries} tries)"
    if o.log_tail:
        detail += f"\nlast lines of the grading process's log:\n{o.log_tail}"
    result = ungradable_result(config, o.job.student, reason, device, grader_errors=[detail])
    return StudentRecord(student=o.job.student, status=UNGRADABLE, result=result, fingerprint=o.job.fingerprint,
                         source=o.job.source, reason=f"{reason} ({crash})",
                         extra={"crash": crash, "tries": o.tries})

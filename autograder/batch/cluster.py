"""grade-all on a Dask cluster (`--scheduler tcp://HOST:PORT`): the executor of executor.py that
sends each job to a Dask worker instead of a local grading process.

    executor = DaskExecutor.connect("tls://10.0.0.5:8786", settings, paths, timeout_s=1200, tries=2)

Each job is a Dask task (`cluster_task.grade`) that carries the submission's files, read here
with the grader's safe readers, and needs one grading slot: the resource `CPU` for a job graded
on cpu, `GPU` for one graded on cuda (workers declare them: `autograder cluster-worker`, or
`dask worker --resources "CPU=4"` / `"GPU=1"`), so that GPU workers take the cuda jobs, one at a
time per GPU, and CPU workers the rest. The task answers with the student's record, which
grade-all commits here (executor.commit_outcome): workers write nothing of the class.

Dask reschedules the tasks of a worker that dies; a task counts its own starts (see
cluster_task), so a submission that kills every worker it runs on ends after `tries` starts as
ungradable with that reason, while the jobs that merely waited on a dead worker are sent again
however often that happens. At most `2 x slots` tasks are out at once, so the scheduler holds a
bounded share of the class's bytes.
"""
from __future__ import annotations

import queue
import time
import uuid
from pathlib import Path
from typing import Callable

from autograder.batch.executor import WAIT_FOR_WORKERS_S, ClusterError
from autograder.batch.pool import Job, Outcome

CPU, GPU = "CPU", "GPU"  # the worker resources a grading task needs
CONNECT_TIMEOUT_S = 30.0
POLL_S = 0.2  # how often the client looks at its tasks (a few, at most 2 x slots)


def security(ca_file: Path | None = None, cert: Path | None = None, key: Path | None = None):
    """Dask's TLS settings for grade-all: the files given, else Dask's own configuration
    (`distributed.comm.tls.*`, e.g. $DASK_DISTRIBUTED__COMM__TLS__CA_FILE); None for neither."""
    from distributed.security import Security

    given = [p for p in (ca_file, cert, key) if p]
    if given and len(given) != 3:
        raise ClusterError("TLS needs all three of --tls-ca-file, --tls-cert and --tls-key")
    for p in given:
        if not Path(p).is_file():
            raise ClusterError(f"{p} does not exist or is not a file")
    if given:
        return Security(tls_ca_file=str(ca_file), tls_client_cert=str(cert), tls_client_key=str(key),
                        require_encryption=True)
    return Security()  # whatever Dask's configuration says (nothing: plain tcp)


def resource_of(device: str) -> str:
    return GPU if str(device).startswith("cuda") else CPU


class DaskExecutor:
    """Runs grading jobs as tasks of a Dask cluster (see the module docstring)."""

    def __init__(self, client, settings: dict, material: bytes, timeout_s: float, tries: int,
                 wait_s: float = WAIT_FOR_WORKERS_S, address: str = "") -> None:
        from autograder.batch.cluster_task import versions

        self.client = client
        self.address = address or str(getattr(client.scheduler, "address", ""))
        self.settings: dict = {}
        self.configure(settings)
        self.timeout_s = float(timeout_s)
        self.tries = max(1, int(tries))
        self.wait_s = float(wait_s)
        self.run_id = uuid.uuid4().hex[:12]
        self.versions = versions()
        self._starts: queue.Queue = queue.Queue()
        self._topic = f"autograder-start-{self.run_id}"
        client.subscribe_topic(self._topic, lambda event: self._starts.put(event[1]))
        from autograder.batch.cluster_task import material as hold

        # A task whose result is the material: lost with a worker, the scheduler makes it again.
        self._material = client.submit(hold, material, key=f"autograder-material-{self.run_id}", pure=False)

    @classmethod
    def connect(cls, address: str, settings: dict, paths, timeout_s: float, tries: int, sec=None,
                wait_s: float = WAIT_FOR_WORKERS_S) -> "DaskExecutor":
        """Connect to the scheduler at `address`; ClusterError (one line) when it cannot."""
        from distributed import Client

        from autograder.batch.cluster_task import pack_material

        if "://" not in address:
            raise ClusterError(f"--scheduler {address}: give the scheduler's address with its protocol, "
                               "e.g. tcp://10.0.0.5:8786 (tls://... with TLS)")
        sec = sec if sec is not None else security()
        if address.startswith("tls://") and not sec.tls_client_cert:
            raise ClusterError(f"the Dask scheduler at {address} speaks TLS: give --tls-ca-file, --tls-cert and "
                               "--tls-key (or Dask's distributed.comm.tls configuration)")
        try:
            client = Client(address, security=sec, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except Exception as e:  # noqa: BLE001 - any comm error: say where and why, in one line
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {type(e).__name__}: "
                               f"{str(e).splitlines()[0] if str(e) else ''}".rstrip(": ")) from None
        return cls(client, settings, pack_material(paths), timeout_s, tries, wait_s, address)

    def configure(self, settings: dict) -> None:
        """The batch's settings for the grading processes, less what is this machine's own (the
        course and the paths to hide are the worker's: see cluster_task)."""
        self.settings = {k: v for k, v in settings.items() if k not in ("course_root", "hidden", "out_dir")}

    # -- the cluster's capacity ------------------------------------------------------------------

    def resources(self) -> dict[str, float]:
        """Grading slots the cluster's workers offer now, by resource."""
        total: dict[str, float] = {}
        try:
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
        except Exception:  # noqa: BLE001 - the scheduler is gone: run() says so
            return total
        for w in workers.values():
            for name, n in (w.get("resources") or {}).items():
                total[name] = total.get(name, 0) + float(n)
        return total

    @property
    def size(self) -> int:
        have = self.resources()
        return max(1, int(have.get(CPU, 0) + have.get(GPU, 0)))

    def describe(self) -> str:
        try:
            n = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        except Exception:  # noqa: BLE001
            n = 0
        slots = ", ".join(f"{int(v)} {k}" for k, v in sorted(self.resources().items()) if k in (CPU, GPU))
        return f"the Dask cluster at {self.address} ({n} worker(s); slots: {slots or 'none yet'})"

    def resolve(self, device: str) -> str:
        """The batch's device on this cluster: `auto` is cuda when a worker offers a GPU."""
        if device == "auto":
            return "cuda" if self.resources().get(GPU, 0) >= 1 else "cpu"
        return device

    def wait_for(self, devices: set[str]) -> None:
        """Wait (at most wait_s) until a worker offers each resource the jobs need."""
        need = {resource_of(d) for d in devices}
        deadline = time.monotonic() + self.wait_s
        while True:
            missing = sorted(r for r in need if self.resources().get(r, 0) < 1)
            if not missing:
                return
            if time.monotonic() > deadline:
                raise ClusterError(_no_worker(self.address, missing, self.wait_s))
            time.sleep(0.5)

    # -- running jobs -----------------------------------------------------------------------------

    def _submit(self, job: Job, n: int):
        from autograder.batch.cluster_task import ClusterTask, grade, read_submission

        name, is_dir, entries = read_submission(Path(job.submission))
        device = job.device or self.settings.get("device", "cpu")
        task = ClusterTask(job=job, name=name, is_dir=is_dir, entries=entries, settings=self.settings,
                           run_id=self.run_id, tries=self.tries, timeout_s=self.timeout_s, versions=self.versions,
                           topic=self._topic)
        return self.client.submit(grade, task, self._material, key=f"autograder-grade-{self.run_id}-{job.id}-{n}",
                                  resources={resource_of(device): 1}, pure=False, retries=0)

    def run(self, jobs: list[Job], on_start: Callable[[Job], None], on_done: Callable[[Outcome], None]) -> None:
        from distributed.scheduler import KilledWorker

        from autograder.batch.cluster_task import WorkerUnfit

        by_id = {j.id: j for j in jobs}
        todo = list(reversed(jobs))  # popped from the end: in the order given
        sent: dict[int, int] = {}  # job id -> tasks sent (a dead worker's jobs are sent again)
        pending: dict = {}
        window = max(4, 2 * self.size)
        waiting_since: float | None = None
        checked = time.monotonic()
        self.wait_for({j.device or self.settings.get("device", "cpu") for j in jobs})
        while todo or pending:
            while todo and len(pending) < window:
                job = todo.pop()
                sent[job.id] = sent.get(job.id, 0) + 1
                pending[self._submit(job, sent[job.id])] = job
            self._drain(by_id, on_start)
            done = [f for f in pending if f.done()]
            if not done:
                time.sleep(POLL_S)
                if time.monotonic() - checked > 2.0:  # (the scheduler is asked every 2 s at most)
                    waiting_since, checked = self._check_capacity(pending, waiting_since), time.monotonic()
                continue
            waiting_since = None
            self._drain(by_id, on_start)
            for f in done:
                job = pending.pop(f)
                if f.status == "finished":
                    r = f.result()
                    f.release()
                    on_done(Outcome(job, r.get("reply"), r.get("crash", ""), r.get("log_tail", ""),
                                    retryable=bool(r.get("retryable", True))))
                    continue
                if f.status == "cancelled" or self.client.status not in ("running", "connecting"):
                    raise ClusterError(_lost(self.address, "the scheduler cancelled its tasks"))
                exc = f.exception()
                f.release()
                if isinstance(exc, KilledWorker) and sent[job.id] <= self.tries + 8:
                    todo.append(job)  # its worker died under it (and Dask gave up): the task counts its tries
                elif isinstance(exc, KilledWorker):
                    on_done(Outcome(job, None, "the workers grading it kept dying", retryable=False))
                elif isinstance(exc, WorkerUnfit):
                    raise ClusterError(f"a worker of the cluster cannot grade: {exc}")
                else:
                    raise ClusterError(f"a grading task failed on the cluster: {type(exc).__name__}: {exc}")

    def _drain(self, by_id: dict[int, Job], on_start: Callable[[Job], None]) -> None:
        while True:
            try:
                msg = self._starts.get_nowait()
            except queue.Empty:
                return
            job = by_id.get(msg.get("job") if isinstance(msg, dict) else None)
            if job is not None:
                on_start(job)

    def _check_capacity(self, pending: dict, since: float | None) -> float | None:
        """Jobs wait for a worker with their resource for at most wait_s; then ClusterError."""
        if self.client.status not in ("running", "connecting"):
            raise ClusterError(_lost(self.address, f"the client is {self.client.status}"))
        need = {resource_of(j.device or self.settings.get("device", "cpu")) for j in pending.values()}
        have = self.resources()
        missing = sorted(r for r in need if have.get(r, 0) < 1)
        if not missing:
            return None
        now = time.monotonic()
        if since is None:
            return now
        if now - since > self.wait_s:
            raise ClusterError(_no_worker(self.address, missing, self.wait_s))
        return since

    def close(self) -> None:
        from autograder.batch.cluster_task import DONE_KEY, TRIES_KEY, release

        try:
            self.client.cancel([self._material])
            self.client.run(release)  # the warm grading processes of this batch on every worker
            self.client.set_metadata([TRIES_KEY, self.run_id], None)
            self.client.set_metadata([DONE_KEY, self.run_id], None)
        except Exception:  # noqa: BLE001 - a cluster that is gone has nothing left to stop
            pass
        try:
            self.client.unsubscribe_topic(self._topic)
        except Exception:  # noqa: BLE001
            pass
        self.client.close(timeout=10)


def _no_worker(address: str, missing: list[str], wait_s: float) -> str:
    what = " and ".join(f"{r}" for r in missing)
    how = ("autograder cluster-worker " + address + (" --gpus 1" if GPU in missing else "")
           + ", or dask worker " + address + f' --resources "{missing[0]}=1"')
    return (f"no worker of the Dask cluster at {address} has offered {what} for {wait_s:g} s; start one "
            f"({how}), then run the same command again: graded students are kept")


def _lost(address: str, why) -> str:
    return (f"lost the Dask scheduler at {address} ({why}); the students graded so far are saved: when the "
            "scheduler is back, run the same command again to grade the rest")

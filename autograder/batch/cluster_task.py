"""What a Dask worker does for grade-all: the task of one submission.

It runs no grading itself, and never student code: it lays the submission's files (sent by
grade-all, which read them) in a private scratch folder, then hands the job to a warm grading
process of its thread (`pool.WorkerPool` of one: `python -m autograder.batch.worker`, in a session
of its own, whose notebook workers are the sandbox's). What the grading process answers (the
student's record) goes back to grade-all, which commits it. A submission that crashes or
overruns its grading process costs that process only; the Dask worker, in another session, is out
of reach of any kill aimed at the grading process's group.

The grading material (`source/<a>/grading/` and the release notebooks) comes from grade-all too,
as one archive, unpacked once per worker (`material`), so that a worker needs the pinned
environment and nothing of a course, and grades with exactly the material the fingerprints were
computed from.

A task counts its starts on the scheduler (`Client.set_metadata`): a submission whose worker
died under it `tries` times is not started again; the task answers that it gave up, and the batch
records the submission as ungradable with that reason.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import stat
import sys
import tarfile
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.pool import Job, Outcome, PoolBroken, WorkerPool

TRIES_KEY = "autograder-tries"  # scheduler metadata: TRIES_KEY / run id / job id -> starts
# scheduler metadata: DONE_KEY / run id / job id -> a finished grading's outcome. A task's result
# lives on its worker until the client fetches it; a worker that dies before then (a hostile
# submission graded next kills it) makes Dask run the task again. The outcome kept here answers
# that run at once: the student is not graded twice, nor charged a death that was not theirs.
DONE_KEY = "autograder-done"


class WorkerUnfit(RuntimeError):
    """This worker cannot grade for this batch (another version of the grader, no grading
    process can start); the message says what to fix on it."""


@dataclass(frozen=True)
class Entry:
    """One name of a submission: a regular file's bytes, or what else it is (a link, a FIFO,
    a file too large to read), laid out again on the worker so that grading sees the same."""

    rel: bytes  # path below the submission, as file-system bytes
    data: bytes | None = None  # a regular file's content
    kind: str = "file"  # file, large (size only), link, fifo, socket, device
    size: int = 0


@dataclass
class ClusterTask:
    job: Job
    name: bytes  # the submission's own name (a file or a folder), as file-system bytes
    is_dir: bool
    entries: list[Entry]
    settings: dict  # the batch's settings for the grading process (assignment, grader, device, ...)
    run_id: str
    tries: int
    timeout_s: float
    versions: dict = field(default_factory=dict)  # the client's grader, torch and python versions
    topic: str = ""  # where the task says that it started (grade-all's progress display)


def versions() -> dict:
    """What must be the same on grade-all's machine and every worker for the same grades."""
    import platform

    from autograder import __version__

    try:
        from importlib.metadata import version

        torch = version("torch")
    except Exception:  # noqa: BLE001 - no torch: the grading process will say so
        torch = ""
    return {"autograder": __version__, "torch": torch.split("+")[0], "python": platform.python_version()}


# -- the grading material -------------------------------------------------------------------------


def pack_material(paths) -> bytes:
    """The assignment's grading folder, release notebooks and manifest as a deterministic tar archive."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        root = paths.course_root
        files = [p for p in paths.grading.rglob("*") if p.is_file() and not p.is_symlink()
                 and "__pycache__" not in p.parts and not p.name.endswith(".pyc")]
        if paths.release.is_dir():
            files += [p for p in paths.release.glob("*.ipynb") if p.is_file() and not p.is_symlink()]
        if paths.manifest_file.is_file() and not paths.manifest_file.is_symlink():  # grade cells and points
            files.append(paths.manifest_file)
        for p in sorted(files):
            data = p.read_bytes()
            info = tarfile.TarInfo(p.relative_to(root).as_posix())
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _scratch_root() -> Path:
    root = Path(tempfile.gettempdir()) / f"autograder-cluster-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    st = os.lstat(root)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise WorkerUnfit(f"{root} is not a private folder of this user; remove it and start the worker again")
    return root


_material_lock = threading.Lock()


def unpack_material(data: bytes) -> Path:
    """The course root of the material, unpacked once per worker machine and user."""
    digest = hashlib.sha256(data).hexdigest()[:24]
    course = _scratch_root() / f"material-{digest}"
    with _material_lock:
        if course.is_dir():
            return course
        tmp = Path(tempfile.mkdtemp(prefix=".material-", dir=course.parent))
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            tar.extractall(tmp, filter="data")
        os.replace(tmp, course)
    return course


def material(data: bytes) -> bytes:
    """The task holding the material on the cluster (grade-all submits it once per batch)."""
    return data


# -- the submission -------------------------------------------------------------------------------


def read_submission(path: Path) -> tuple[bytes, bool, list[Entry]]:
    """What grading reads of a submission (its `.ipynb` names), through the same safe readers
    as a local grading (files.py: regular files only, no link followed, bounded)."""
    from autograder.files import MAX_SUBMITTED_FILE, NotRegularFile, irregular_files, kind_of, read_regular, regular_files

    name = os.fsencode(path.name)
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        regular = [(p, p.relative_to(path)) for p in regular_files(path, ".ipynb")]
        odd = [(p, p.relative_to(path), kind) for p, kind in irregular_files(path, ".ipynb")]
        root, is_dir = path, True
    else:
        regular = [(path, Path())] if stat.S_ISREG(st.st_mode) else []
        odd = [] if regular else [(path, Path(), kind_of(st.st_mode))]
        root, is_dir = path.parent, False
    entries = []
    for p, rel in regular:
        try:
            entries.append(Entry(os.fsencode(rel), read_regular(p, MAX_SUBMITTED_FILE, root)))
        except NotRegularFile:
            entries.append(Entry(os.fsencode(rel), kind="large", size=os.lstat(p).st_size))
        except OSError:
            continue  # gone meanwhile: as if it had never been there
    for p, rel, kind in odd:
        entries.append(Entry(os.fsencode(rel), kind=kind.split()[-1] if kind != "a symbolic link" else "link"))
    return name, is_dir, entries


def lay_out(task: ClusterTask, scratch: Path) -> Path:
    """The submission under `scratch`, by its own name, as grade-all found it."""
    target = scratch / os.fsdecode(task.name)
    if task.is_dir:
        target.mkdir()
    for e in task.entries:
        p = target / os.fsdecode(e.rel) if e.rel not in (b"", b".") else target
        p.parent.mkdir(parents=True, exist_ok=True)
        if e.kind == "file":
            p.write_bytes(e.data or b"")
        elif e.kind == "large":
            with open(p, "wb") as f:
                f.truncate(e.size)  # sparse: refused for its size, as the original was
        elif e.kind == "link":
            os.symlink("/nonexistent/autograder-link", p)
        elif e.kind == "socket":
            s = socket.socket(socket.AF_UNIX)
            try:
                s.bind(str(p))
            finally:
                s.close()
        else:  # a FIFO; a device is laid out as a FIFO too (neither is ever opened)
            os.mkfifo(p)
    return target


# -- the task -------------------------------------------------------------------------------------


_local = threading.local()
_warm: "set[_Warm]" = set()  # every thread's warm grading process, for release()
_warm_lock = threading.Lock()


class _Warm:
    """One thread's warm grading process, for one batch's settings; `busy` while it grades."""

    def __init__(self, key: str, pool: WorkerPool) -> None:
        self.key, self.pool, self.busy = key, pool, threading.Lock()

    def close(self) -> None:
        self.pool.close()
        with _warm_lock:
            _warm.discard(self)


def _pool(settings: dict, timeout_s: float) -> _Warm:
    """This thread's warm grading process for these settings (one batch at a time per thread),
    returned locked (`busy`): release() leaves it alone until the job is done."""
    key = json.dumps(settings, sort_keys=True) + f"|{timeout_s}"
    warm: _Warm | None = getattr(_local, "warm", None)
    if warm is not None:
        warm.busy.acquire()
        if warm.key == key and warm in _warm and all(w.proc.poll() is None for w in warm.pool.workers):
            return warm  # (a process that died idle is replaced, not charged to the next job)
        warm.busy.release()
        warm.close()
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    logs = _scratch_root() / "logs" / f"{os.getpid()}-{threading.get_ident()}"
    warm = _local.warm = _Warm(key, WorkerPool(1, settings, logs, timeout_s, env=env))
    warm.busy.acquire()
    with _warm_lock:
        _warm.add(warm)
    return warm


def _count_start(task: ClusterTask) -> int:
    """How many times this job has started in this batch, this start included."""
    from distributed import get_client

    client = get_client()
    keys = [TRIES_KEY, task.run_id, str(task.job.id)]
    n = int(client.get_metadata(keys, default=0) or 0) + 1
    client.set_metadata(keys, n)
    return n


def _finished(task: ClusterTask) -> dict | None:
    """The outcome of this job's grading if a run of it already finished (see DONE_KEY)."""
    from distributed import get_client

    done = get_client().get_metadata([DONE_KEY, task.run_id, str(task.job.id)], default=None)
    return done if isinstance(done, dict) else None


def _keep(task: ClusterTask, outcome: dict) -> None:
    from distributed import get_client

    try:
        get_client().set_metadata([DONE_KEY, task.run_id, str(task.job.id)], outcome)
    except Exception:  # noqa: BLE001 - an outcome the scheduler cannot hold is returned all the same
        pass


def grade(task: ClusterTask, material: bytes) -> dict:
    """Run one job on this worker; returns the outcome's fields (see Outcome)."""
    mine = versions()
    if task.versions and mine != task.versions:
        raise WorkerUnfit(f"this worker runs {_show(mine)}, grade-all runs {_show(task.versions)}: install the "
                          "same requirements.lock and grader on every worker")
    done = _finished(task)
    if done is not None:
        return done
    n = _count_start(task)
    if task.topic:
        from distributed import get_worker

        get_worker().log_event(task.topic, {"job": task.job.id, "try": n})
    if n > task.tries:
        return {"reply": None, "retryable": False,
                "crash": f"the machine grading it died {n - 1} times while grading it (every try); not tried again"}
    course = unpack_material(material)
    scratch = Path(tempfile.mkdtemp(prefix="submission-", dir=_scratch_root()))
    try:
        submission = lay_out(task, scratch)
        # The whole scratch root is hidden (every submission's folder, the course, the logs), as the
        # local pool hides SUBMISSIONS: the settings stay the same from job to job, so the warm
        # grading process is reused instead of started again for each submission.
        settings = dict(task.settings, course_root=str(course), hidden=[str(_scratch_root())])
        job = Job(task.job.id, task.job.student, submission, task.job.source, task.job.fingerprint, task.job.device)
        got: list[Outcome] = []
        warm = _pool(settings, task.timeout_s)
        try:
            warm.pool.run([job], lambda j: None, got.append)
        except PoolBroken as e:
            warm.busy.release()
            warm.close()
            raise WorkerUnfit(str(e)) from None
        warm.busy.release()
        o = got[0]
        outcome = {"reply": o.reply, "crash": o.crash, "log_tail": o.log_tail, "retryable": o.retryable}
        _keep(task, outcome)
        return outcome
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def release() -> int:
    """Stop this worker's idle warm grading processes (a batch is over); one that is grading
    for another batch is left alone. Returns how many were stopped."""
    with _warm_lock:
        idle = list(_warm)
    n = 0
    for warm in idle:
        if warm.busy.acquire(blocking=False):
            try:
                warm.close()
                n += 1
            finally:
                warm.busy.release()
    return n


def _show(v: dict) -> str:
    return f"autograder {v.get('autograder')}, torch {v.get('torch')}, python {v.get('python')}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit("this module runs inside a Dask worker; see `autograder cluster-worker`")

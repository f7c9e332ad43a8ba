"""grade-all --scheduler: a class graded on a real Dask cluster on 127.0.0.1 (a scheduler process
and `autograder cluster-worker` processes), with a fake grading function (the `grader` hook) that
runs where the engine would: in a grading process started by the Dask task. The class outputs
must be the ones a local run gives; a killed worker loses nothing and records nothing twice; a
submission that kills every worker it runs on ends ungradable; cuda jobs go to GPU workers.
"""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.batch import BatchError, grade_all
from autograder.batch.executor import Engine
from autograder.batch.records import read_record
from dask_helpers import LocalDask
from fake_class import fake_course, gradings, make_class, wait_for_a_start


@pytest.fixture
def fake(tmp_path, monkeypatch):
    return fake_course(tmp_path, monkeypatch)


def _grade(subs, paths, out, **kw):
    return grade_all(subs, paths, out=out, grader="fakegrader:grade", progress=False, **kw)


WORKERS = ("w1", "w2")


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory):
    """A scheduler and two one-slot workers on 127.0.0.1, started once for the module (each start
    costs seconds of imports). The workers import the module's copy of the fake grader and log to
    the module's log file, which `cluster` points at the running test's log."""
    home = tmp_path_factory.mktemp("cluster")
    with pytest.MonkeyPatch.context() as mp:
        fake_course(home, mp)  # writes home/mods/fakegrader.py; sets $PYTHONPATH and $FAKE_LOG for the workers
        env = {k: os.environ[k] for k in ("PYTHONPATH", "FAKE_LOG")}
    with LocalDask(home / "dask", env=env) as dask:
        yield dask, Path(env["FAKE_LOG"])


@pytest.fixture
def cluster(shared_cluster, fake, tmp_path):
    """The module's cluster with both workers up (a test before may have killed one), idle, and
    logging its gradings to this test's log (tmp_path/gradings.jsonl, as the local runs do)."""
    dask, log = shared_cluster
    for name in WORKERS:
        if name not in dask.workers or dask.workers[name].poll() is not None:
            dask.workers.pop(name, None)
            dask.add_worker(name, env={"FAKE_WORKER": name})
    dask.wait_for_workers(len(WORKERS))
    with dask.client() as c:  # nothing of an earlier test still running (it would log into this test's log)
        deadline = time.monotonic() + 60
        while any(c.processing().values()):
            assert time.monotonic() < deadline, c.processing()
            time.sleep(0.1)
    log.unlink(missing_ok=True)
    log.symlink_to(tmp_path / "gradings.jsonl")
    yield dask


def test_a_class_on_a_cluster_gives_the_local_runs_outputs(fake, tmp_path, cluster):
    students = {"alice": {"frac": 1.0}, "bob": {"frac": 0.5}, "carol": {"crash": True}, "dave": {"frac": 0.25}}
    subs = make_class(tmp_path / "subs", students)
    local = _grade(subs, fake, tmp_path / "local", jobs=1, engine=Engine(tries=1))  # (1: no torch in the pool)
    stream = io.StringIO()
    report = grade_all(subs, fake, out=tmp_path / "remote", grader="fakegrader:grade", progress=True, stream=stream,
                       engine=Engine(scheduler=cluster.address, tries=1))
    assert (tmp_path / "remote" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()
    assert (tmp_path / "remote" / "grades_import.csv").read_text() == (tmp_path / "local" / "grades_import.csv").read_text()
    assert sorted(report.graded) == sorted(local.graded) and report.crashed == local.crashed == ["carol"]
    for s in [*students, "frank"]:
        for name in ("results.json", "junit.xml", "prairielearn.json"):
            assert (tmp_path / "remote" / "students" / s / name).read_bytes() == \
                   (tmp_path / "local" / "students" / s / name).read_bytes(), (s, name)
        assert (tmp_path / "remote" / "students" / s / "feedback.html").is_file()
    text = stream.getvalue()  # the same progress display, naming the cluster
    assert f"with the Dask cluster at {cluster.address}" in text and "[5/5]" in text and "alice: 15/15" in text
    ran = {g["worker"] for g in gradings(tmp_path) if g["event"] == "end"}
    # the remote run was graded on the workers, not here (which worker takes which job is Dask's choice:
    # on a loaded machine one worker may take them all)
    assert "local" in ran and ran - {"local"} and ran - {"local"} <= {"w1", "w2"}
    assert sorted(g["student"] for g in gradings(tmp_path) if g["event"] == "end" and g["worker"] != "local") == \
        ["alice", "bob", "dave"]  # carol's grading dies before its end; frank's is not a notebook
    rerun = _grade(subs, fake, tmp_path / "remote", engine=Engine(scheduler=cluster.address))
    assert rerun.graded == [] and len(rerun.skipped) == 5  # nothing regraded


def test_no_worker_for_the_jobs_is_a_clear_error_not_a_hang(fake, tmp_path, monkeypatch, cluster):
    from autograder.batch import cluster as dask_cluster

    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT_S", 3.0)  # nothing listens on port 9: 3 s say so as well as 30
    subs = make_class(tmp_path / "subs", {"alice": {}})
    # a scheduler with only CPU workers, asked for cuda
    with pytest.raises(BatchError, match="no worker of the Dask cluster .* has offered GPU"):
        _grade(subs, fake, tmp_path / "out", device="cuda", engine=Engine(scheduler=cluster.address, wait_s=2))
    assert not gradings(tmp_path)  # nothing was graded
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        _grade(subs, fake, tmp_path / "out2", engine=Engine(scheduler="tcp://127.0.0.1:9"))


def test_a_submission_that_kills_every_worker_ends_ungradable_and_the_batch_goes_on(fake, tmp_path, cluster):
    students = {"alice": {"frac": 1.0, "sleep": 0.5}, "bob": {"frac": 0.5, "sleep": 0.5}, "mallory": {"kill_worker": True}}
    subs = make_class(tmp_path / "subs", students)
    report = _grade(subs, fake, tmp_path / "out", engine=Engine(scheduler=cluster.address, tries=2))
    rec = read_record(tmp_path / "out" / "students" / "mallory")
    assert rec.status == "ungradable" and "died 2 times while grading it" in rec.reason
    assert "mallory" in report.crashed and report.exit_code == 3  # a grader error for the TA
    starts = [g for g in gradings(tmp_path) if g["event"] == "start" and g["student"] == "mallory"]
    assert len(starts) == 2  # two tries, no third
    assert read_record(tmp_path / "out" / "students" / "alice").result.score == 15
    assert read_record(tmp_path / "out" / "students" / "bob").status == "graded"


def test_a_rerun_after_the_client_died_grades_only_what_has_no_result(fake, tmp_path, cluster):
    students = {f"s{i}": {"frac": i / 6, "remote_sleep": 1.0} for i in range(6)}  # (the local run: no sleep)
    subs = make_class(tmp_path / "subs", students)
    out = tmp_path / "remote"
    cmd = [sys.executable, "-m", "autograder.batch", str(subs), "--course", str(fake.course_root), "--assignment", "fa",
           "--grader", "fakegrader:grade", "--out", str(out), "--scheduler", cluster.address, "--quiet"]
    batch = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("students/*/batch.json")):
        assert batch.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    done = {p.parent.name for p in out.glob("students/*/batch.json")}
    assert 1 <= len(done) < 7
    report = _grade(subs, fake, out, engine=Engine(scheduler=cluster.address))
    assert sorted(report.graded) == sorted((set(students) | {"frank"}) - done)
    _grade(subs, fake, tmp_path / "local", jobs=1)
    assert (out / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()


def test_cuda_jobs_go_to_gpu_workers_one_at_a_time_and_cpu_jobs_to_cpu_workers(fake, tmp_path, cluster):
    students = {f"g{i}": {"sleep": 0.5} for i in range(3)} | {f"c{i}": {"sleep": 0.5} for i in range(3)}
    subs = make_class(tmp_path / "subs", students)
    devices = tmp_path / "devices.csv"
    devices.write_text("student,device\n" + "".join(f"g{i},cuda\n" for i in range(3)))
    # No GPU here: the GPU worker's resource is only a label; the fake grader never touches CUDA.
    # (The GPU path itself was not run on a real GPU.)
    # A GPU worker (no CPU slot) joins the module's cluster of two CPU workers for this test.
    cluster.add_worker("gpu", slots=0, gpus=1, env={"FAKE_WORKER": "gpu"})
    try:
        cluster.wait_for_workers(len(WORKERS) + 1)
        args = ["--scheduler", cluster.address, "--devices", str(devices), "--quiet"]
        cmd = [sys.executable, "-m", "autograder.batch", str(subs), "--course", str(fake.course_root),
               "--assignment", "fa", "--grader", "fakegrader:grade", "--out", str(tmp_path / "out"), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    finally:
        cluster.kill_worker("gpu")
    assert done.returncode == 0, done.stderr
    ends = {g["student"]: g for g in gradings(tmp_path) if g["event"] == "end"}
    assert sorted(ends) == sorted(students)
    assert all((ends[f"g{i}"]["worker"], ends[f"g{i}"]["device"]) == ("gpu", "cuda") for i in range(3))
    assert all(ends[f"c{i}"]["worker"] in WORKERS and ends[f"c{i}"]["device"] == "cpu" for i in range(3))
    gpu = sorted((g["t"], g["event"]) for g in gradings(tmp_path) if g["worker"] == "gpu")
    assert [e for _, e in gpu] == ["start", "end"] * 3  # one at a time on the one GPU
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text()))}
    assert all(rows[s]["status"] == "graded" for s in students)
    assert json.loads((tmp_path / "out" / "students" / "g0" / "submission_result.json").read_text())["device"] == "cuda"


def test_a_worker_killed_mid_batch_loses_no_submission_and_records_none_twice(fake, tmp_path, cluster):
    # a grading on w1 waits there until w1 is killed: no race with the kill, and no sleep anywhere else
    # remote_sleep: w2 must not take every job before w1 takes one (Dask chooses)
    students = {f"s{i}": {"frac": i / 8, "hang_on": "w1", "remote_sleep": 0.5} for i in range(8)}
    subs = make_class(tmp_path / "subs", students)
    ref = _grade(subs, fake, tmp_path / "local", jobs=1)
    assert not ref.crashed
    (tmp_path / "gradings.jsonl").unlink()
    out = tmp_path / "remote"
    cmd = [sys.executable, "-m", "autograder.batch", str(subs), "--course", str(fake.course_root), "--assignment", "fa",
           "--grader", "fakegrader:grade", "--out", str(out), "--scheduler", cluster.address, "--quiet"]
    batch = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_a_start(tmp_path, "w1", batch)
    cluster.kill_worker("w1")  # mid-grading: its submission is in flight
    stdout, stderr = batch.communicate(timeout=300)
    assert batch.returncode == 0, stderr
    ends = [g["student"] for g in gradings(tmp_path) if g["event"] == "end"]
    assert sorted(ends) == sorted(students)  # every student graded to the end exactly once
    starts = [g["student"] for g in gradings(tmp_path) if g["event"] == "start"]
    assert len(starts) > len(ends)  # the killed worker's submission started twice, and counts once
    assert (out / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()
    assert all(read_record(out / "students" / s).status == "graded" for s in students)


def _throwaway_tls(folder) -> dict:
    """A throw-away CA and one certificate it signed (for 127.0.0.1) for scheduler, workers and client."""
    folder.mkdir()

    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
        "-subj", "/CN=test grading CA")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    ssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "node.pem",
        "-days", "1", "-extfile", "ext.cnf")
    return {"ca": folder / "ca.pem", "cert": folder / "node.pem", "key": folder / "node.key"}


def test_a_class_grades_on_a_tls_cluster_and_a_client_without_the_certificates_is_refused(fake, tmp_path):
    students = {"alice": {"frac": 1.0}, "bob": {"frac": 0.5}}
    subs = make_class(tmp_path / "subs", students)
    tls = _throwaway_tls(tmp_path / "tls")
    _grade(subs, fake, tmp_path / "local", jobs=1)
    with LocalDask(tmp_path / "dask", tls=tls) as dask:
        assert dask.address.startswith("tls://127.0.0.1:")
        dask.add_worker("w1", env={"FAKE_WORKER": "w1"})
        from autograder.batch.cluster import security

        dask.wait_for_workers(1, security=security(tls["ca"], tls["cert"], tls["key"]))
        cmd = [sys.executable, "-m", "autograder.batch", str(subs), "--course", str(fake.course_root), "--assignment",
               "fa", "--grader", "fakegrader:grade", "--scheduler", dask.address, "--quiet"]
        done = subprocess.run([*cmd, "--out", str(tmp_path / "remote"), "--tls-ca-file", str(tls["ca"]),
                               "--tls-cert", str(tls["cert"]), "--tls-key", str(tls["key"])],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        bare = subprocess.run([*cmd, "--out", str(tmp_path / "bare")], capture_output=True, text=True, timeout=300)
    assert (tmp_path / "remote" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()
    on_w1 = [g for g in gradings(tmp_path) if g["event"] == "end" and g["worker"] == "w1"]
    assert len(on_w1) == 2 and {g["worker"] for g in gradings(tmp_path) if g["event"] == "end"} == {"local", "w1"}
    assert len({g["pid"] for g in on_w1}) == 1  # the worker's one slot kept its grading process warm
    assert bare.returncode == 2 and f"the Dask scheduler at {dask.address} speaks TLS: give --tls-ca-file" in bare.stderr
    assert "Traceback" not in bare.stderr and not (tmp_path / "bare" / "grades.csv").exists()


def test_a_worker_machine_without_root_or_cap_sys_admin_refuses_to_start_and_says_why(tmp_path):
    """The sandbox needs root with CAP_SYS_ADMIN: `cluster-worker` checks it before joining the
    cluster. Root without any capability (setpriv), as an unprivileged container would run it."""
    assert os.geteuid() == 0, "this test drops root's capabilities with setpriv: run the suite as root"
    argv = ["setpriv", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--",
            sys.executable, "-m", "autograder", "cluster-worker", "tcp://127.0.0.1:9", "--slots", "1"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "this machine cannot grade untrusted notebooks safely" in done.stderr
    assert "needs root with CAP_SYS_ADMIN" in done.stderr and "Traceback" not in done.stderr
    assert "distributed.cli.dask_worker" not in done.stderr  # it never started the Dask worker
    check = subprocess.run(argv[:-3] + ["--check"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert check.returncode == 2 and "needs root with CAP_SYS_ADMIN" in check.stderr


def test_a_grading_dask_runs_again_after_it_finished_returns_its_outcome_and_counts_no_try(cluster):
    # A task's result lives on its worker until the client fetches it; when the worker dies first
    # (the next submission kills it), Dask runs the task again. That run must hand back the kept
    # outcome: the student is neither graded twice nor charged a death (cluster_task.DONE_KEY).
    from autograder.batch.cluster_task import DONE_KEY, TRIES_KEY, ClusterTask, grade
    from autograder.batch.pool import Job

    task = ClusterTask(job=Job(7, "alice", Path("alice.ipynb"), "alice.ipynb", "f"), name=b"alice.ipynb",
                       is_dir=False, entries=[], settings={}, run_id="rerun-test", tries=2, timeout_s=30)
    kept = {"reply": {"score": 15}, "crash": "", "log_tail": "", "retryable": True}
    with cluster.client() as c:
        c.set_metadata([DONE_KEY, task.run_id, "7"], kept)
        try:
            # b"" is no course: a grading that started would fail on it
            again = c.submit(grade, task, b"", pure=False).result(timeout=60)
            assert again == kept
            assert c.get_metadata([TRIES_KEY, task.run_id, "7"], default=0) == 0  # no try counted
        finally:
            c.set_metadata([DONE_KEY, task.run_id], None)

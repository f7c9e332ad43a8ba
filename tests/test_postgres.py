"""A real PostgreSQL gradebook: a private server that the tests start (pg_helpers.py), written by
grade-all, read by review and by nbgrader itself, with the URL's password only in the environment
or a file: never on a command line, in an output, or within reach of student code."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from autograder.batch import grade_all
from autograder.gradebook import read_gradebook, set_override
from fake_class import fake_course, make_class
from pg_helpers import PostgresServer


@pytest.fixture(scope="module")
def pg():
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake(tmp_path, monkeypatch):
    return fake_course(tmp_path, monkeypatch)


_n = iter(range(10_000))


def pg_password(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


@pytest.fixture
def db(pg, monkeypatch):
    """A new database on the server; its URL (with the password) in $AUTOGRADER_DB_URL."""
    url = pg.create_database(f"gradebook_{os.getpid()}_{next(_n)}")
    monkeypatch.setenv("AUTOGRADER_DB_URL", url)
    return url


STUDENTS = {"alice": {"frac": 1.0}, "bob": {"frac": 0.5}, "dave": {"frac": 0.25}}


def _cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          timeout=timeout, env=env or dict(os.environ))


def _local_reference(subs: Path, fake, out: Path) -> None:
    """The class graded here into SQLite (its results folder's gradebook.db), with one grading
    process (no torch import): the CSV a PostgreSQL run must give."""
    report = grade_all(subs, fake, out=out, grader="fakegrader:grade", progress=False, jobs=1)
    assert report.db_url == f"sqlite:///{out / 'gradebook.db'}"


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


def test_grade_all_into_postgresql_gives_the_sqlite_runs_csv_and_never_shows_the_password(fake, tmp_path, pg, db):
    subs = make_class(tmp_path / "subs", STUDENTS)
    _local_reference(subs, fake, tmp_path / "lite")
    out = tmp_path / "pg"
    done = subprocess.run([sys.executable, "-m", "autograder.batch", str(subs), "--course", str(fake.course_root),
                           "--assignment", "fa", "--grader", "fakegrader:grade", "--out", str(out), "--jobs", "1"],
                          capture_output=True, text=True, timeout=300)  # the URL from $AUTOGRADER_DB_URL
    assert done.returncode == 0, done.stderr
    assert (out / "grades.csv").read_text() == (tmp_path / "lite" / "grades.csv").read_text()
    state = read_gradebook(db, "fa")
    assert sorted(state.grades) == ["alice", "bob", "dave", "frank"]
    assert state.grades["bob"]["check_b"].auto_score == 3
    assert pg.password not in done.stdout + done.stderr and "postgresql://grader:***@" in done.stdout
    assert pg.password not in _all_text(out)
    # On the command line it is refused, before anything is done.
    refused = subprocess.run([sys.executable, "-m", "autograder.batch", str(subs), "--course", str(fake.course_root),
                              "--assignment", "fa", "--out", str(tmp_path / "x"), "--db", db],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "password on the command line" in refused.stderr
    assert pg.password not in refused.stderr + refused.stdout and not (tmp_path / "x").exists()


def test_ta_overrides_survive_a_regrade_and_nbgrader_reads_the_same_database(fake, tmp_path, db):
    subs = make_class(tmp_path / "subs", STUDENTS)
    out = tmp_path / "out"
    grade_all(subs, fake, out=out, db=db, grader="fakegrader:grade", progress=False, jobs=1)
    set_override(db, "fa", "bob", "q1", 4.5, comment="good reasoning")
    # A TA's `review set`, as a command finding the gradebook from the results folder
    # (--course: a comment on a code cell goes on its solution cell, which the course's manifest names)
    done = _cli("--course", str(fake.course_root), "review", "set", "fa", "dave", "check_a", "3", "--comment", "partial",
                "--results", str(out))
    assert done.returncode == 0, done.stderr
    report = grade_all(subs, fake, out=out, grader="fakegrader:grade", progress=False, force=True,
                       jobs=1)  # the gradebook as the first run's
    assert sorted(report.graded) == ["alice", "bob", "dave", "frank"]
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert rows["bob"]["q1"] == "4.5" and rows["bob"]["total"] == "9.5"  # 2 + 3 + 4.5 (was 2.5 for q1)
    assert rows["dave"]["check_a"] == "3"
    # nbgrader's own API on the same database: our scores and the TA's, as formgrader shows them
    from nbgrader.api import Gradebook

    gb = Gradebook(db)
    try:
        assert gb.find_submission("fa", "bob").score == pytest.approx(9.5)  # 2 + 3 + 4.5
        assert gb.find_grade("q1", "nb2", "fa", "bob").manual_score == 4.5
        assert gb.find_grade("check_b", "nb1", "fa", "alice").auto_score == 6
        assert sorted(s.id for s in gb.students) == ["alice", "bob", "dave", "frank"]
    finally:
        gb.close()


def test_concurrent_writers_into_one_postgresql_gradebook(fake, tmp_path, db):
    """Three sections graded at the same time into one gradebook, while a TA sets scores."""
    sections = {f"sec{k}": {f"s{k}{i}": {"frac": (i + k) / 8} for i in range(3)} for k in range(3)}
    procs = []
    for name, students in sections.items():
        subs = make_class(tmp_path / name, students)
        procs.append(subprocess.Popen([sys.executable, "-m", "autograder.batch", str(subs), "--course",
                                       str(fake.course_root), "--assignment", "fa", "--grader", "fakegrader:grade",
                                       "--out", str(tmp_path / f"{name}-out"), "--jobs", "1", "--quiet"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    errors: list[BaseException] = []

    def ta() -> None:  # a TA scoring while the sections write (after the first gradebook exists)
        import time

        for _ in range(300):
            try:
                set_override(db, "fa", "frank", "q1", 1.0)
                return
            except Exception as e:  # noqa: BLE001 - not there yet
                errors[:] = [e]
                time.sleep(0.2)

    t = threading.Thread(target=ta)
    t.start()
    for p in procs:
        stdout, stderr = p.communicate(timeout=400)
        assert p.returncode == 0, stderr
    t.join(timeout=120)
    state = read_gradebook(db, "fa")
    expected = {s for students in sections.values() for s in students} | {"frank"}
    assert set(state.grades) == expected
    assert state.grades["frank"]["q1"].manual_score == 1.0
    for name, students in sections.items():
        for s, meta in students.items():
            assert state.grades[s]["check_b"].auto_score == pytest.approx(6 * meta["frac"])


def test_the_password_is_out_of_reach_of_student_code_on_a_cluster(tmp_path, pg, db, pytorch_basics_paths):
    """A hostile notebook, graded by the real engine through a Dask worker, looks for the URL in
    its environment, every process's command line and environment, and the files it can see."""
    import json

    from autograder.batch.executor import Engine
    from dask_helpers import LocalDask

    hunt = (
        "import os, glob\n"
        "found = []\n"
        "for p in glob.glob('/proc/*/cmdline') + glob.glob('/proc/*/environ'):\n"
        "    try:\n"
        "        found.append(open(p, 'rb').read().decode('latin-1'))\n"
        "    except Exception as e:\n"
        "        pass\n"
        "found.append(repr(dict(os.environ)))\n"
        "for root in ('/tmp', '/root', '/home', '/work', '/var'):\n"
        "    for dirpath, dirs, files in os.walk(root):\n"
        "        found += files\n"
        "blob = ' '.join(found)\n"
        "print('HUNT', len(blob), blob[-3000:])\n"
        "raise RuntimeError('HUNT ' + blob[-900:])\n"
    )
    key = json.loads((pytorch_basics_paths.release / "01_tensor_ops.ipynb").read_text())
    key["cells"].insert(1, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                            "source": hunt})
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "mallory.ipynb").write_text(json.dumps(key))
    out = tmp_path / "out"
    with LocalDask(tmp_path / "dask") as dask:  # the workers never get the URL: start them without it
        dask.env.pop("AUTOGRADER_DB_URL", None)
        dask.add_worker("w1")
        dask.wait_for_workers(1)
        report = grade_all(subs, pytorch_basics_paths, out=out, progress=False,
                           engine=Engine(scheduler=dask.address, tries=1))
        logs = _all_text(tmp_path / "dask")
    assert report.graded == ["mallory"]
    text = _all_text(out)
    assert "HUNT" in text  # the hunt ran and its findings reached the feedback ...
    assert pg.password not in text and pg.password not in logs  # ... without the password
    assert pg.password not in (report.describe())


def test_two_workers_one_killed_mid_batch_grade_a_class_into_postgresql_as_a_local_run(fake, tmp_path, db):
    """Issue 15's 'done when': a scheduler and two workers on 127.0.0.1, a class graded through
    them into this PostgreSQL server, one worker SIGKILLed mid-batch: every student graded
    exactly once, and the CSV of a local grade-all."""
    from dask_helpers import LocalDask
    from fake_class import gradings, wait_for_a_start

    # a grading on w1 waits there until w1 is killed: no race with the kill, and no sleep anywhere else
    # remote_sleep: w2 must not take every job before w1 takes one (Dask chooses)
    students = {f"s{i}": {"frac": i / 8, "hang_on": "w1", "remote_sleep": 0.5} for i in range(8)}
    subs = make_class(tmp_path / "subs", students)
    _local_reference(subs, fake, tmp_path / "local")
    (tmp_path / "gradings.jsonl").unlink()
    out = tmp_path / "remote"
    with LocalDask(tmp_path / "dask") as dask:
        for name in ("w1", "w2"):
            dask.add_worker(name, env={"FAKE_WORKER": name})
        dask.wait_for_workers(2)
        batch = subprocess.Popen([sys.executable, "-m", "autograder.batch", str(subs), "--course", str(fake.course_root),
                                  "--assignment", "fa", "--grader", "fakegrader:grade", "--out", str(out),
                                  "--scheduler", dask.address, "--quiet"],  # the URL from $AUTOGRADER_DB_URL
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for_a_start(tmp_path, "w1", batch)
        dask.kill_worker("w1")
        stdout, stderr = batch.communicate(timeout=300)
    assert batch.returncode == 0, stderr
    ends = [g["student"] for g in gradings(tmp_path) if g["event"] == "end"]
    assert sorted(ends) == sorted(students)  # every student graded to the end exactly once ...
    assert len([g for g in gradings(tmp_path) if g["event"] == "start"]) > len(ends)  # ... one of them twice started
    assert (out / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()
    state = read_gradebook(db, "fa")
    assert sorted(state.grades) == sorted(set(students) | {"frank"})
    for s, meta in students.items():
        assert state.grades[s]["check_b"].auto_score == pytest.approx(6 * meta["frac"])
    from nbgrader.api import Gradebook

    gb = Gradebook(db)
    try:  # one submission per student in the database (none recorded twice)
        assert sorted(s.student.id for s in gb.find_assignment("fa").submissions) == sorted(set(students) | {"frank"})
    finally:
        gb.close()
    assert pg_password(db) not in stdout + stderr

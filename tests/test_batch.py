"""grade-all: a class graded in parallel, resumably, into CSV, gradebook and pages.

Most tests use a tiny synthetic assignment and a fake grading function (`--grader`), run by the
real worker pool, so that they exercise discovery, fingerprints, crash handling and the class
outputs in seconds. One end-to-end test grades a small class of real pytorch_basics
submissions with the engine.
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
import zipfile
from pathlib import Path

import pytest

from autograder.batch import BatchError, grade_all
from autograder.batch.discover import SubmissionsError, discover, safe_extract, safe_student_id
from autograder.batch.progress import Progress
from autograder.batch.records import read_record
from autograder.course import AssignmentPaths
from autograder.gradebook import read_gradebook
from autograder.manifest import Manifest
from fake_class import NOTEBOOKS

ASSIGNMENT_TOML = """
[assignment]
name = "fa"
title = "Fake assignment"

[results]
score_decimals = 1
"""
# what `autograder release` would derive from the fake's notebooks (it has none: its grader is fake)
MANIFEST = Manifest("fa", "Fake assignment", NOTEBOOKS, settings={"results": {"score_decimals": 1}})

# The fake grading function: reads the notebook's metadata to decide what happens. It runs in
# the batch's worker processes, exactly where the engine's grade_submission runs.
FAKE_GRADER = '''
import json, os, time
from autograder.assignment import load_assignment
from autograder.results import CheckResult, Status, SubmissionResult

def grade(submission, student, device, paths, extra_hidden):
    cfg = load_assignment(paths.config_file)
    files = [submission] if submission.is_file() else sorted(submission.rglob("*.ipynb"))
    if not files:
        return SubmissionResult(cfg.name, student, [], gradable=False, format_errors=["no notebook found"])
    try:
        nb = json.loads(files[0].read_text())
    except ValueError:
        return SubmissionResult(cfg.name, student, [], gradable=False,
                                format_errors=[files[0].name + " is not a valid notebook"])
    m = nb.get("metadata", {}).get("fake", {})
    if m.get("crash"):
        os._exit(7)
    time.sleep(0 if os.environ.get("FAKE_NO_SLEEP") else m.get("sleep", 0))  # (see the killed-midway test)
    if m.get("raise"):
        raise RuntimeError("a bug in the grader")
    f = m.get("frac", 1.0)
    ok = Status.PASSED if f == 1 else Status.FAILED
    checks = [
        CheckResult('a: first, "quoted"', "check_a", "nb1", 4 * f, 4, ok, "expected 1, got 2", public=True),
        CheckResult("b: second", "check_b", "nb1", 6 * f, 6, ok, "b message"),
        CheckResult("q1: why?", "q1", "nb2", 5 * f, 5, ok, "concepts", tags=("short_answer",), flagged=f < 1,
                    details={"concepts_matched": [{"en": "depth", "zh": "深度"}], "concepts_missed": ["width"],
                             "flag_reasons": ["low confidence"]}),
    ]
    return SubmissionResult(cfg.name, student, checks, notes=["nb1.ipynb: cell 3, line 2: ValueError: oops"],
                            execution_time_s=0.01)
'''

CLASS = {  # student -> fake metadata
    "alice": {"frac": 1.0},
    "bob": {"frac": 0.5},
    "carol": {"crash": True},  # the grading process dies: ungradable, with the reason
    "dave": {"frac": 0.25},
    "erin": {"frac": 0.0},
}

EXPECTED_CSV = '''\
student,status,total,max_total,nb1,nb2,check_a,check_b,q1,"check_a | a: first, ""quoted""",check_b | b: second,q1 | q1: why?,overridden,grader_errors,reason,files,late,lms_id,name
alice,graded,15,15,10,5,4,6,5,4,6,5,,0,,,,,alice
bob,graded,7.5,15,5,2.5,2,3,2.5,2,3,2.5,,0,,,,,bob
carol,ungradable,0,15,0,0,0,0,0,,,,,1,the grader could not finish grading this submission (its grading process stopped); your TA has been told (the grading process exited with code 7),,,,carol
dave,graded,3.75,15,2.5,1.25,1,1.5,1.25,1,1.5,1.25,,0,,,,,dave
erin,graded,0,15,0,0,0,0,0,0,0,0,,0,,,,,erin
frank,ungradable,0,15,0,0,0,0,0,,,,,0,frank.ipynb is not a valid notebook,,,,frank
'''


def _nb(meta: dict) -> str:
    return json.dumps({"cells": [], "metadata": {"fake": meta}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def fake(tmp_path, monkeypatch):
    course = tmp_path / "course"
    (course / "source" / "fa" / "grading" / "checks").mkdir(parents=True)
    (course / "source" / "fa" / "grading" / "assignment.toml").write_text(ASSIGNMENT_TOML)
    (course / "release" / "fa").mkdir(parents=True)
    (course / "release" / "fa" / "manifest.json").write_text(MANIFEST.to_json())
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "fakegrader.py").write_text(FAKE_GRADER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(mods), os.environ.get("PYTHONPATH", "")]))
    return AssignmentPaths(course, "fa")


def _class(folder: Path, students: dict = CLASS, bad: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for s, meta in students.items():
        (folder / f"{s}.ipynb").write_text(_nb(meta))
    if bad:
        (folder / "frank.ipynb").write_text("{this is not json")  # ungradable: not a notebook
    return folder


def _grade(subs, paths, out, **kw):
    # One grading process unless a test is about the pool's parallelism (mixed class, timeout,
    # killed midway): with two, each process imports torch first (seconds) to pin its threads.
    kw.setdefault("jobs", 1)
    return grade_all(subs, paths, out=out, grader="fakegrader:grade", progress=False, **kw)


def test_mixed_class_grades_to_the_expected_csv(fake, tmp_path):
    subs = _class(tmp_path / "subs")
    out = tmp_path / "results"
    report = _grade(subs, fake, out, roster=_roster(tmp_path, ["alice", "bob", "zoe"]), jobs=2)
    csv_text = (out / "grades.csv").read_text()
    expected = EXPECTED_CSV + "zoe,missing,,15,,,,,,,,,,,no submission,,,,\n"
    assert csv_text.replace("\r\n", "\n") == expected
    assert sorted(report.graded + report.crashed) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert report.crashed == ["carol"] and report.ungradable == ["carol", "frank"]
    assert report.missing == ["zoe"] and report.exit_code == 3  # carol's crash is a grader error for the TA
    # Gradescope-style results and the record per student; a feedback page for each.
    for s in [*CLASS, "frank"]:  # each student's files in their own namespace, apart from the class's
        assert "score" in json.loads((out / "students" / s / "results.json").read_text())
        assert read_record(out / "students" / s) is not None
        assert (out / "students" / s / "feedback.html").exists()
    summary = (out / "summary.html").read_text()
    assert "exited with code 7" in summary and "frank.ipynb is not a valid notebook" in summary
    # the commas and quotes of a check name survive a round trip through the csv module
    header = next(csv.reader(io.StringIO(csv_text)))
    assert 'check_a | a: first, "quoted"' in header


def _roster(tmp_path: Path, ids: list[str]) -> Path:
    p = tmp_path / "roster.csv"
    p.write_text("id,name\n" + "".join(f"{i},Name {i}\n" for i in ids))
    return p


def test_second_run_regrades_nothing_and_changes_regrade(fake, tmp_path):
    subs = _class(tmp_path / "subs", {"alice": {"frac": 1.0}, "bob": {"frac": 0.5}}, bad=True)
    out = tmp_path / "results"
    first = _grade(subs, fake, out)
    assert sorted(first.graded) == ["alice", "bob", "frank"]
    csv1 = (out / "grades.csv").read_text()
    pages = {p: p.stat().st_mtime_ns for p in out.glob("students/*/feedback.html")}
    second = _grade(subs, fake, out)
    assert second.graded == [] and sorted(second.skipped) == ["alice", "bob", "frank"]
    assert (out / "grades.csv").read_text() == csv1
    assert pages and {p: p.stat().st_mtime_ns for p in out.glob("students/*/feedback.html")} == pages  # not rewritten
    # A changed notebook is regraded, and only that one.
    (subs / "bob.ipynb").write_text(_nb({"frac": 0.25}))
    third = _grade(subs, fake, out)
    assert third.graded == ["bob"]
    assert "bob,graded,3.75," in (out / "grades.csv").read_text()
    # --student grades one student only (even unchanged, with --force); --force regrades all.
    assert _grade(subs, fake, out, student="alice", force=True).graded == ["alice"]
    assert sorted(_grade(subs, fake, out, force=True).graded) == ["alice", "bob", "frank"]
    with pytest.raises(BatchError, match="no submission of student 'nobody'"):
        _grade(subs, fake, out, student="nobody")


def test_a_changed_grader_regrades_everyone(fake, tmp_path):
    subs = _class(tmp_path / "subs", {"alice": {"frac": 1.0}}, bad=False)
    out = tmp_path / "results"
    _grade(subs, fake, out)
    (fake.checks / "checks_new.py").write_text("# a new check module\n")
    assert _grade(subs, fake, out).graded == ["alice"]


def test_student_option_still_lists_the_class(fake, tmp_path):
    subs = _class(tmp_path / "subs", {"alice": {"frac": 1.0}, "bob": {"frac": 0.5}}, bad=False)
    out = tmp_path / "results"
    report = _grade(subs, fake, out, student="bob")
    assert report.graded == ["bob"]
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [(r["student"], r["status"]) for r in rows] == [("alice", "pending"), ("bob", "graded")]


def test_grader_fault_and_timeout_give_records_and_the_batch_goes_on(fake, tmp_path):
    subs = _class(tmp_path / "subs", {"hang": {"sleep": 60}, "bug": {"raise": True}, "ok": {"frac": 1.0}}, bad=False)
    out = tmp_path / "results"
    t0 = time.monotonic()
    # 5 s: the deadline counts from when the grading process is ready, its imports done (pool.py), and
    # the other gradings take milliseconds
    report = _grade(subs, fake, out, timeout_s=5, jobs=2)
    assert time.monotonic() - t0 < 55
    assert report.crashed == ["hang"] and sorted(report.ungradable) == ["bug", "hang"]
    hang, bug = read_record(out / "students" / "hang"), read_record(out / "students" / "bug")
    assert "longer than 5 s" in hang.reason
    assert "RuntimeError: a bug in the grader" in bug.result.grader_errors[0]
    assert "RuntimeError" not in (out / "students" / "bug" / "feedback.html").read_text()  # TA-only
    assert "RuntimeError: a bug in the grader" in (out / "summary.html").read_text()
    assert read_record(out / "students" / "ok").status == "graded"


def _gradebook_rows(url: str) -> dict:
    state = read_gradebook(url, "fa")
    return {s: {g: (c.auto_score, c.manual_score) for g, c in cells.items()} for s, cells in state.grades.items()}


def test_killed_midway_then_rerun_gives_the_same_csv_and_gradebook(fake, tmp_path, monkeypatch):
    students = {f"s{i}": {"frac": i / 5, "sleep": 0.6} for i in range(6)}
    subs = _class(tmp_path / "subs", students, bad=True)
    # Uninterrupted reference run (and below the rerun) without the sleeps: they are there only
    # so that the killed run is still grading when it is killed.
    monkeypatch.setenv("FAKE_NO_SLEEP", "1")
    ref = tmp_path / "ref"
    _grade(subs, fake, ref)
    # The same batch as a process of its own, killed (SIGKILL) once the first result lands.
    out = tmp_path / "results"
    cmd = [sys.executable, "-m", "autograder.batch", str(subs), "--course", str(fake.course_root),
           "--assignment", "fa", "--grader", "fakegrader:grade", "--jobs", "2", "--out", str(out), "--quiet"]
    slow = {k: v for k, v in os.environ.items() if k != "FAKE_NO_SLEEP"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=slow)
    deadline = time.monotonic() + 60
    while not list(out.glob("students/*/batch.json")):
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = {p.parent.name for p in out.glob("students/*/batch.json")}
    assert 1 <= len(done) < 7 and not (out / "grades.csv").exists()
    time.sleep(0.5)  # its workers die with it (PR_SET_PDEATHSIG): nothing is written later
    assert {p.parent.name for p in out.glob("students/*/batch.json")} == done
    report = _grade(subs, fake, out)
    assert sorted(report.graded) == sorted((set(students) | {"frank"}) - done)  # each graded exactly once
    assert (out / "grades.csv").read_text() == (ref / "grades.csv").read_text()
    assert _gradebook_rows(report.db_url) == _gradebook_rows(f"sqlite:///{ref / 'gradebook.db'}")


def test_an_unreachable_gradebook_is_refused_before_grading(fake, tmp_path):
    subs = _class(tmp_path / "subs", {"alice": {}}, bad=False)
    with pytest.raises(BatchError, match="cannot open the gradebook nosuchdb://"):
        _grade(subs, fake, tmp_path / "results", db="nosuchdb://host/db")
    assert not list((tmp_path / "results").glob("students/*/batch.json"))


def test_a_second_batch_on_the_same_results_folder_is_refused(fake, tmp_path):
    import fcntl

    subs = _class(tmp_path / "subs", {"alice": {}}, bad=False)
    out = tmp_path / "results"
    (out / ".batch").mkdir(parents=True)
    with open(out / ".batch" / "lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        with pytest.raises(BatchError, match="another grade-all is running"):
            _grade(subs, fake, out)


# -- layouts and zips ----------------------------------------------------------------------------

def test_nbgrader_layout_uses_the_course_gradebook(fake, tmp_path):
    course = tmp_path / "nbcourse"
    for s, meta in {"alice": {"frac": 1.0}, "bob": {"frac": 0.5}}.items():
        d = course / "submitted" / s / "fa"
        d.mkdir(parents=True)
        (d / "nb1.ipynb").write_text(_nb(meta))
        (d / "timestamp.txt").write_text("2024-01-01 00:00:00")
    (course / "submitted" / "carl").mkdir()  # no fa/ folder: not a submission of this assignment
    report = _grade(course / "submitted", fake, tmp_path / "results")
    assert report.layout == "nbgrader" and report.students == ["alice", "bob"]
    assert report.db_url == f"sqlite:///{(course / 'gradebook.db').resolve()}"
    assert sorted(read_gradebook(report.db_url, "fa").grades) == ["alice", "bob"]
    assert "2024-01-01 00:00:00" in (tmp_path / "results" / "summary.html").read_text()  # when they submitted


def test_formgrader_copies_are_written_and_nbgraders_own_kept(tmp_path):
    from autograder.gradebook import write_formgrader_copies

    src = tmp_path / "sub" / "HW1 (1).ipynb"
    src.parent.mkdir()
    src.write_text(_nb({"frac": 1.0}))
    first = write_formgrader_copies(tmp_path / "course", "fa", "alice", {"nb1": src})
    dest = tmp_path / "course" / "autograded" / "alice" / "fa" / "nb1.ipynb"
    assert first == [dest] and json.loads(dest.read_text())["metadata"]["fake"] == {"frac": 1.0}
    assert write_formgrader_copies(tmp_path / "course", "fa", "alice", {"nb1": src}) == []  # unchanged
    src.write_text(_nb({"frac": 0.5}))
    assert write_formgrader_copies(tmp_path / "course", "fa", "alice", {"nb1": src}) == [dest]
    dest.write_text(_nb({"nbgrader": "autograded"}))  # nbgrader autograde's own output: left alone
    assert write_formgrader_copies(tmp_path / "course", "fa", "alice", {"nb1": src}) == []


def test_folders_layout_and_student_ids(tmp_path):
    root = tmp_path / "subs"
    (root / "Wang Fang").mkdir(parents=True)
    (root / "Wang Fang" / "01.ipynb").write_text("{}")
    (root / "李雷").mkdir()
    (root / "李雷" / "a.ipynb").write_text("{}")
    (root / "li.ipynb").write_text("{}")
    (root / ".ipynb_checkpoints").mkdir()
    found = discover(root, "fa", tmp_path / "staging")
    assert [s.student for s in found.submissions] == ["Wang_Fang", "li", "李雷"]
    assert safe_student_id("../../etc/passwd") == "etc_passwd"
    assert safe_student_id("=cmd|' /C calc'!A0").startswith("cmd")


def _zip(path: Path, entries: dict[str, bytes | str], symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            z.writestr(info, "/etc/passwd")
    return path


def test_lms_zip_is_extracted_safely_and_graded(fake, tmp_path):
    # Canvas names files <name>_<userid>_<submissionid>_<file>; an export wraps them in a folder.
    z = _zip(tmp_path / "export.zip", {
        "submissions/alicesmith_101_9001_nb1.ipynb": _nb({"frac": 1.0}),
        "submissions/bobjones_LATE_102_9002_nb1.ipynb": _nb({"frac": 0.5}),
        "__MACOSX/._junk": b"x",
    })
    report = _grade(z, fake, tmp_path / "results")
    assert report.layout == "canvas" and report.students == ["alicesmith_101", "bobjones_102"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "results" / "grades.csv").read_text())))
    assert [r["total"] for r in rows] == ["15", "7.5"]
    # Canvas's LATE marker is kept as data (for late penalties), in both CSVs and the summary
    assert [(r["late"], r["lms_id"]) for r in rows] == [("", "101"), ("late", "102")]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "results" / "grades_import.csv").read_text())))
    assert [r["late"] for r in rows] == ["", "late"]
    assert "late · 迟交" in (tmp_path / "results" / "summary.html").read_text()


def test_moodle_folders_and_a_student_zip(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("hw/nb1.ipynb", "{}")
    z = _zip(tmp_path / "moodle.zip", {
        "Li Lei_1234_assignsubmission_file_/nb1.ipynb": "{}",
        "Han Meimei_1235_assignsubmission_file_/hw.zip": inner.getvalue(),
    })
    found = discover(z, "fa", tmp_path / "staging")
    assert found.layout == "moodle"
    # Moodle's user id stays in the student id (display names are not unique in a class)
    assert [s.student for s in found.submissions] == ["Han_Meimei_1235", "Li_Lei_1234"]
    assert [(s.name, s.lms_id) for s in found.submissions] == [("Han Meimei", "1235"), ("Li Lei", "1234")]
    assert list(found.submissions[0].path.rglob("*.ipynb"))


@pytest.mark.parametrize("entries, symlink, message", [
    ({"../evil.ipynb": "{}"}, None, "points outside"),
    ({"/abs/evil.ipynb": "{}"}, None, "points outside"),
    ({"ok/a.ipynb": "{}"}, "ok/link.ipynb", "symbolic link"),
    ({"bomb.ipynb": b"\0" * (3 * 1024 * 1024)}, None, "at most 2097152"),
    ({f"part{i}.ipynb": b"\0" * (1024 * 1024) for i in range(3)}, None, "decompresses to more than"),
])
def test_unsafe_zips_are_refused(tmp_path, entries, symlink, message):
    z = _zip(tmp_path / "bad.zip", entries, symlink)
    with pytest.raises(SubmissionsError, match=message):
        safe_extract(z, tmp_path / "x", max_total=2 * 1024 * 1024, max_member=2 * 1024 * 1024)
    assert not (tmp_path / "evil.ipynb").exists() and not (tmp_path.parent / "evil.ipynb").exists()


def test_an_unsafe_class_zip_is_a_usage_error(fake, tmp_path):
    z = _zip(tmp_path / "bad.zip", {"../../evil.ipynb": "{}"})
    with pytest.raises(BatchError, match="points outside"):
        _grade(z, fake, tmp_path / "results")


def test_progress_prints_a_line_per_submission_off_a_terminal():
    buf = io.StringIO()
    p = Progress(2, 1, buf, tty=False)
    p.start("alice")
    p.finish("alice", "alice: 15/15 (1.0 s)")
    p.finish("bob", "bob: ungradable", ungradable=True)
    assert buf.getvalue() == "[1/2] alice: 15/15 (1.0 s)\n[2/2] bob: ungradable\n"
    tty = io.StringIO()
    p = Progress(3, 2, tty, tty=True)
    p.start("carol")
    assert "0/3" in tty.getvalue() and "grading: carol" in tty.getvalue()


# -- names: one student's name or bytes never stops a class ------------------------------------------

CLASS_OUTPUT_NAMES = ["gradebook.db", "grades.csv", "grades_import.csv", "summary.html", ".batch", "students",
                      "autograded", "gradebook.json"]


def test_students_named_like_class_outputs_collide_with_nothing(fake, tmp_path):
    subs = tmp_path / "subs"
    for name in [*CLASS_OUTPUT_NAMES, "alice"]:
        (subs / name).mkdir(parents=True)
        (subs / name / "nb1.ipynb").write_text(_nb({"frac": 0.5}))
    out = subs.parent / "results"
    for _ in range(2):  # and on every rerun
        report = _grade(subs, fake, out)
        assert report.exit_code == 0 and not report.ungradable
        rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
        assert sorted(r["student"] for r in rows) == sorted(r["student"] for r in rows if r["status"] == "graded")
        assert len(rows) == len(CLASS_OUTPUT_NAMES) + 1 and {r["total"] for r in rows} == {"7.5"}
        assert {r["name"] for r in rows} == {*CLASS_OUTPUT_NAMES, "alice"}  # the original names, for the TA
    assert (out / "gradebook.db").is_file() and (out / "summary.html").is_file() and (out / "grades.csv").is_file()
    assert sorted(read_gradebook(report.db_url, "fa").grades) == sorted(r["student"] for r in rows)


def test_names_that_are_not_utf8_never_stop_the_class(fake, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    names = [b"bad\xffname", b"bad\xfename", b"caf\xe9", b"alice"]
    for raw in names:
        folder = os.path.join(os.fsencode(subs), raw)
        os.mkdir(folder)
        with open(os.path.join(folder, b"nb1-\xff.ipynb"), "w") as f:
            f.write(_nb({"frac": 1.0}))
    out = tmp_path / "results"
    first = _grade(subs, fake, out)
    assert sorted(first.graded) == first.students and len(set(first.students)) == 4 and not first.ungradable
    for sid in first.students:
        sid.encode("utf-8")  # valid text everywhere it goes
    text = (out / "grades.csv").read_bytes().decode("utf-8")
    assert "bad\ufffdname" in text and "caf\ufffd" in text  # the original name, shown as text
    assert "bad\ufffdname" in (out / "summary.html").read_text(encoding="utf-8")
    again = _grade(subs, fake, out)  # stable ids: nothing regraded, nothing renamed
    assert again.students == first.students and again.graded == [] and sorted(again.skipped) == first.students


def test_student_ids_are_stable_whatever_else_is_in_the_class(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for root, names in ((one, ["Alice Smith", "Alice_Smith"]), (two, ["Alice_Smith", "Alice  Smith", "Alice Smith"])):
        for n in names:
            (root / n).mkdir(parents=True)
            (root / n / "nb1.ipynb").write_text("{}")
    a = {s.name: s.student for s in discover(one, "fa", tmp_path / "st1").submissions}
    b = {s.name: s.student for s in discover(two, "fa", tmp_path / "st2").submissions}
    assert a["Alice_Smith"] == b["Alice_Smith"] == "Alice_Smith"  # the exact name keeps its id
    assert a["Alice Smith"] == b["Alice Smith"] != "Alice_Smith"  # the others a hash of their own name
    assert len(set(b.values())) == 3


def test_moodle_students_with_the_same_name_keep_their_lms_ids(fake, tmp_path):
    entries = {"Alice Smith_222_assignsubmission_file_/nb1.ipynb": _nb({"frac": 0.5}),
               "Alice Smith_111_assignsubmission_file_/nb1.ipynb": _nb({"frac": 1.0})}
    ids = []
    for order in (list(entries.items()), list(reversed(entries.items()))):  # export order does not matter
        z = _zip(tmp_path / f"moodle{len(ids)}.zip", dict(order))
        report = _grade(z, fake, tmp_path / f"results{len(ids)}")
        ids.append(report.students)
        rows = list(csv.reader(io.StringIO((tmp_path / f"results{len(ids) - 1}" / "grades_import.csv").read_text())))
        assert rows[0][:3] == ["lms_id", "student", "name"]  # the LMS's id first, for an import
        assert [r[:3] for r in rows[1:]] == [["111", "Alice_Smith_111", "Alice Smith"],
                                             ["222", "Alice_Smith_222", "Alice Smith"]]
        assert [r[rows[0].index("total")] for r in rows[1:]] == ["15", "7.5"]
    assert ids[0] == ids[1] == ["Alice_Smith_111", "Alice_Smith_222"]


def test_import_csv_one_column_per_grade_cell_rounded_as_the_course_says(fake, tmp_path):
    subs = _class(tmp_path / "subs", {"ann": {"frac": 1 / 3}, "ben": {"frac": 1.0}}, bad=False)
    out = tmp_path / "results"
    _grade(subs, fake, out, roster=_roster(tmp_path, ["ann", "ben", "zoe"]))
    rows = list(csv.DictReader(io.StringIO((out / "grades_import.csv").read_text())))
    assert list(rows[0]) == ["lms_id", "student", "name", "check_a", "check_b", "q1", "total", "max_total", "status",
                             "late"]
    by = {r["student"]: r for r in rows}
    assert (by["ann"]["check_a"], by["ann"]["check_b"], by["ann"]["q1"], by["ann"]["total"]) == ("1.3", "2", "1.7", "5")
    assert by["ben"]["total"] == "15" and by["ben"]["max_total"] == "15"
    assert (by["zoe"]["status"], by["zoe"]["total"], by["zoe"]["q1"]) == ("missing", "0", "0")  # not an empty cell
    full = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert {r["student"]: r["total"] for r in full}["ann"] == "5"  # the full export keeps 4 decimals


def test_a_bad_results_folder_is_refused_before_grading(fake, tmp_path):
    subs = _class(tmp_path / "subs", {"alice": {}}, bad=False)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for bad, said in ((a_file, "is a file"), (a_file / "sub", "cannot be written"), (Path("/proc/x"), "system folder")):
        with pytest.raises(BatchError, match=said):
            _grade(subs, fake, bad)
    assert not list(tmp_path.rglob("batch.json"))


def test_a_rerun_writes_the_gradebook_the_first_run_wrote(fake, tmp_path):
    subs = _class(tmp_path / "subs", {"alice": {"frac": 0.5}}, bad=False)
    out, elsewhere = tmp_path / "results", tmp_path / "course" / "gradebook.db"
    first = _grade(subs, fake, out, db=str(elsewhere))
    again = _grade(subs, fake, out)  # the same command without --db: not a second, empty gradebook
    assert again.db_url == first.db_url == f"sqlite:///{elsewhere}"
    assert not (out / "gradebook.db").exists()


def test_a_password_never_goes_on_the_command_line_or_into_a_message(fake, tmp_path, capsys, monkeypatch):
    from autograder.cli import main

    subs = _class(tmp_path / "subs", {"alice": {}}, bad=False)
    base = ["--course", str(fake.course_root), "grade-all", str(subs), "--assignment", "fa", "-q"]
    secret = "s3cr3t-pw"
    assert main([*base, "--db", f"postgresql://ta:{secret}@db.example/grades"]) == 2
    err = capsys.readouterr().err
    assert "AUTOGRADER_DB_URL" in err and "--db-file" in err and secret not in err and len(err.splitlines()) == 1
    monkeypatch.setenv("AUTOGRADER_DB_URL", f"nosuchdb://ta:{secret}@127.0.0.1:1/grades")
    assert main([*base, "--out", str(tmp_path / "r1")]) == 2
    out, err = capsys.readouterr()
    assert "nosuchdb://ta:***@127.0.0.1:1/grades" in err and secret not in out + err
    monkeypatch.delenv("AUTOGRADER_DB_URL")
    db_file = tmp_path / "db-url"
    db_file.write_text(f"# the class's gradebook\nsqlite:///{tmp_path / 'from-file.db'}\n")
    assert main([*base, "--db-file", str(db_file), "--out", str(tmp_path / "r2")]) == 0
    assert (tmp_path / "from-file.db").is_file()
    assert json.loads((tmp_path / "r2" / "gradebook.json").read_text())["options"] == ["--db-file", str(db_file)]
    assert main([*base, "--out", str(tmp_path / "r2")]) == 0  # a rerun reads the same file again
    assert json.loads((tmp_path / "r2" / "gradebook.json").read_text())["options"] == ["--db-file", str(db_file)]
    assert not (tmp_path / "r2" / "gradebook.db").exists()


def test_masking_a_url_keeps_everything_but_the_password():
    from autograder.gradebook import hide_secret, masked

    url = "postgresql://ta:p%40ss@db.example:5432/grades"
    assert masked(url) == "postgresql://ta:***@db.example:5432/grades"
    assert hide_secret("FATAL: password p@ss for ta rejected (p%40ss)", url) == "FATAL: password *** for ta rejected (***)"
    assert masked("sqlite:////tmp/gradebook.db") == "sqlite:////tmp/gradebook.db"


# -- the TA's path: review finds grade-all's gradebook, and nothing is lost on a regrade ------------

def test_review_set_lands_where_grade_all_reads_it(fake, tmp_path, capsys, monkeypatch):
    import shlex

    from autograder.cli import main

    course = tmp_path / "nbcourse"  # an nbgrader course: the gradebook is the course's, not DIR's
    for s, meta in {"alice": {"frac": 0.5}, "bob": {"frac": 0.5}}.items():
        (course / "submitted" / s / "fa").mkdir(parents=True)
        (course / "submitted" / s / "fa" / "nb1.ipynb").write_text(_nb(meta))
    out = tmp_path / "results"
    _grade(course / "submitted", fake, out)
    monkeypatch.chdir(tmp_path)  # where a TA might stand; no gradebook may appear here

    assert main(["review", "set", "fa", "alice", "q1", "4", "--comment", "good"]) == 2  # which gradebook?
    err = capsys.readouterr().err
    assert "--results DIR" in err and len(err.splitlines()) == 1
    assert main(["review", "set", "fa", "alcie", "q1", "4", "--results", str(out)]) == 2
    assert "no student 'alcie' in the gradebook; did you mean alice?" in capsys.readouterr().err
    assert main(["review", "set", "fa", "alice", "q1", "4", "--comment", "good", "--results", str(out)]) == 0
    said = capsys.readouterr().out
    assert not list(tmp_path.glob("*.db")) and not (out / "gradebook.db").exists()
    report = _grade(course / "submitted", fake, out, force=True)  # a regrade keeps the TA's score
    row = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}["alice"]
    assert (row["q1"], row["overridden"], row["total"]) == ("4", "q1", "9")
    assert report.review == 1  # bob's answer still waits; alice's is settled
    assert f"--results {out}" in (out / "summary.html").read_text()  # settle commands find the gradebook

    undo = said.strip().splitlines()[-1].strip()
    assert undo == f"autograder review clear fa alice q1 --results {out}"
    assert main(shlex.split(undo)[1:]) == 0 and "cleared" in capsys.readouterr().out
    _grade(course / "submitted", fake, out)
    row = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}["alice"]
    assert (row["q1"], row["overridden"]) == ("2.5", "")


def test_review_honours_course(fake, tmp_path, capsys, monkeypatch):
    from autograder.cli import main

    course = tmp_path / "nbcourse"
    (course / "submitted" / "alice" / "fa").mkdir(parents=True)
    (course / "submitted" / "alice" / "fa" / "nb1.ipynb").write_text(_nb({"frac": 0.5}))
    (course / "source").mkdir()
    _grade(course / "submitted", fake, tmp_path / "results")
    monkeypatch.chdir(tmp_path)
    assert main(["--course", str(course), "review", "set", "fa", "alice", "check_a", "3"]) == 0
    said = capsys.readouterr().out
    assert f"--course {course}" in said.splitlines()[-1]
    assert read_gradebook(f"sqlite:///{course / 'gradebook.db'}", "fa").overrides("alice")["check_a"].score == 3


# The end-to-end class of real submissions graded by the engine through grade-all is
# tests/test_demo.py::test_demo_grades_a_class_end_to_end (it is the demo, on five examples).

"""Deadlines, extensions and late penalties: the policy declared once per assignment, submission
times from where they are recorded (never a file's mtime), per-student extensions from a CSV and
from a TA, the raw score, the penalty and the final score kept apart in the gradebook (nbgrader's
own columns), the CSVs, the feedback pages and the summary; an extension or a waiver survives
regrades; what a course shows "after the deadline" uses the student's own deadline."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from autograder.assignment import ConfigError, load_assignment
from autograder.deadlines import LatePolicy, SubmissionTime, assess, load_policy, parse_time, submission_time, visible_now
from autograder.deadlines.extensions import ExtensionsError, extension_for, read_extensions, student_due
from autograder.results import CheckResult, LateRecord, Status, SubmissionResult, Visibility

CST = timezone(timedelta(hours=8))
DUE = datetime(2025, 10, 20, 23, 59, tzinfo=CST)
POLICY = LatePolicy(due=DUE, grace_minutes=15, percent_per_day=10, max_percent=50, zero_after_days=7)


def _at(**delta) -> SubmissionTime:
    return SubmissionTime(DUE + timedelta(**delta), "test")


def test_the_policy_is_declared_once_with_defaults_and_clear_errors(tmp_path):
    assert LatePolicy().due is None and "percent_per_day" in LatePolicy.help() and "grace" in LatePolicy.help()
    p = LatePolicy.from_mapping({"due": DUE, "percent_per_day": 10, "max_percent": 50, "of": "max"})
    assert (p.due, p.percent_per_day, p.max_percent, p.of) == (DUE, 10.0, 50.0, "max")
    with pytest.raises(ConfigError, match="time zone"):
        LatePolicy.from_mapping({"due": datetime(2025, 10, 20)})
    with pytest.raises(ConfigError, match="percent_per_day = 120; give a number from 0 to 100"):
        LatePolicy.from_mapping({"percent_per_day": 120})
    with pytest.raises(ConfigError, match="unknown key 'penalty'"):
        LatePolicy.from_mapping({"penalty": 10})
    with pytest.raises(ConfigError, match="of = 'points'"):
        LatePolicy.from_mapping({"of": "points"})
    # the short answers' own `due` (older configs) is the same deadline, or it is refused
    import shutil

    from autograder.assignment import manifest_of
    from autograder.course import AssignmentPaths

    shutil.copytree(Path(__file__).parent / "data" / "tiny_course", tmp_path / "course")
    paths = AssignmentPaths(tmp_path / "course", "tiny")
    head = '[assignment]\nname = "tiny"\ntitle = "Tiny"\n'

    def config(text: str):
        paths.config_file.write_text(head + text)
        paths.manifest_file.write_text(manifest_of(paths).to_json())  # as `autograder release` would
        return load_assignment(paths)

    assert load_policy(config("[short_answer_feedback]\ndue = 2025-10-20T23:59:00+08:00\n")).due == DUE
    loaded = config("[deadline]\ndue = 2025-10-21T23:59:00+08:00\n[short_answer_feedback]\ndue = 2025-10-20T23:59:00+08:00\n")
    with pytest.raises(ConfigError, match="declare the deadline once"):
        load_policy(loaded)


def test_the_penalty_counts_days_or_parts_of_a_day_after_the_grace_period():
    def record(**delta) -> LateRecord:
        return assess(POLICY, _at(**delta), 80.0, 100.0)

    assert record(hours=-1).status == "on_time" and record(hours=-1).penalty == 0
    grace = record(minutes=14)
    assert grace.status == "on_time" and "grace" in grace.note and grace.penalty == 0
    one = record(minutes=16)  # past the grace period: a part of a day counts as a day
    assert (one.status, one.days, one.percent, one.penalty) == ("late", 1, 10.0, 8.0)
    assert (record(hours=24, minutes=1).days, record(hours=24, minutes=1).penalty) == (2, 16.0)
    capped = record(days=6)
    assert (capped.percent, capped.penalty) == (50.0, 40.0)  # the cap
    zero = record(days=7, minutes=1)
    assert (zero.percent, zero.penalty) == (100.0, 80.0) and "0 points" in zero.note
    assert "晚于截止时间" in one.note and "8 points" in one.note
    # of the maximum (an LMS's policy), never more than the points earned
    of_max = LatePolicy(due=DUE, percent_per_day=25, of="max")
    assert assess(of_max, _at(hours=30), 80.0, 100.0).penalty == 50.0
    assert assess(of_max, _at(hours=30), 10.0, 100.0).penalty == 10.0
    # without a deadline nothing is late; without a time nothing is computed, and that is said
    assert assess(LatePolicy(), _at(days=3), 80.0, 100.0) is None
    unknown = assess(POLICY, SubmissionTime(None, note="no time"), 80.0, 100.0)
    assert (unknown.status, unknown.penalty, unknown.note) == ("unknown", 0.0, "no time")
    waived = assess(POLICY, _at(days=2), 80.0, 100.0, waived=True)
    assert (waived.status, waived.penalty, waived.days) == ("waived", 0.0, 2) and "waived" in waived.note


def test_submission_times_come_from_their_records_or_are_unknown():
    at, assumed = parse_time("2025-10-21 03:00:00.123456 UTC")  # nbgrader's timestamp.txt
    assert at == datetime(2025, 10, 21, 3, 0, 0, 123456, tzinfo=timezone.utc) and not assumed
    assert parse_time("2025-10-21-11-00-00", CST) == (datetime(2025, 10, 21, 11, tzinfo=CST), True)  # an LMS file name
    t = submission_time("2025-10-21 11:00:00", "nbgrader's timestamp.txt", default_tz=CST)
    assert t.at == datetime(2025, 10, 21, 11, tzinfo=CST) and "no time zone" in t.note
    assert not submission_time("yesterday", "x").known and "could not be read" in submission_time("yesterday").note
    canvas = submission_time(None, "Canvas's LATE mark", late_mark=True)
    assert not canvas.known and canvas.late_mark and "marked this submission late" in canvas.note
    assert not submission_time(None).known  # never a file's modification time


def test_extensions_come_from_a_csv_and_the_latest_deadline_wins(tmp_path):
    path = tmp_path / "extensions.csv"
    path.write_text("student,days,hours,due,reason\nalice,2,,,ill\nbob_123,,12,,\ncarol,,,2025-10-25T12:00:00+08:00,\n"
                    "dave,,,,\n")
    ext = read_extensions(path, DUE)
    assert ext["alice"].until == DUE + timedelta(days=2) and ext["bob_123"].until == DUE + timedelta(hours=12)
    assert ext["carol"].until == datetime(2025, 10, 25, 12, tzinfo=CST) and "dave" not in ext
    assert "2 days (extensions.csv, line 2)" == ext["alice"].words(DUE)
    assert extension_for(ext, ("bob", "bob_123", None)) is ext["bob_123"]  # by id, name or LMS id
    due, which = student_due(DUE, ext["alice"], ext["bob_123"])
    assert due == DUE + timedelta(days=2) and which is ext["alice"]
    for text, error in (("who,days\nx,1\n", "first line must name a student column"),
                        ("student,days\nx,two\n", "line 2: days 'two' is not a number"),
                        ("student,days,due\nx,1,2025-10-25T12:00:00+08:00\n", "either due, or days"),
                        ("student,days\nx,1\nx,2\n", "line 3: 'x' has an extension on an earlier line")):
        path.write_text(text)
        with pytest.raises(ExtensionsError, match=error):
            read_extensions(path, DUE)
    path.write_text("student,days\nx,1\n")
    with pytest.raises(ExtensionsError, match="needs the assignment's deadline"):
        read_extensions(path, None)


def test_checks_shown_after_the_deadline_wait_for_the_students_own_deadline():
    checks = [CheckResult("a", "c", "nb", 1, 1, Status.PASSED), CheckResult("b", "c", "nb", 0, 1, Status.FAILED, "x",
                                                                          visibility=Visibility.AFTER_DUE_DATE)]
    r = SubmissionResult("x", "s", checks)
    before = visible_now(r, DUE + timedelta(days=1), DUE + timedelta(days=2))  # an extension: still before
    after = visible_now(r, DUE + timedelta(days=3), DUE + timedelta(days=2))
    assert [c.visibility for c in before.checks] == [Visibility.VISIBLE, Visibility.HIDDEN]
    assert [c.visibility for c in after.checks] == [Visibility.VISIBLE, Visibility.VISIBLE]
    assert visible_now(r, DUE, None) is r


def test_short_answer_feedback_uses_the_students_own_deadline(tmp_path):
    """The rubric wording shows after the deadline, but not before a student's extended one."""
    import dataclasses
    import shutil

    import nbformat

    from autograder.course import assignment_paths
    from autograder.grading import _short_answers
    from autograder.notebooks import recognise
    from test_shortanswer_visibility import PARTIAL, ROOT, submission

    paths = assignment_paths("pytorch_basics", ROOT)
    config = load_assignment(paths.config_file)
    config = dataclasses.replace(config, sections={**config.sections, "deadline": {"due": DUE}})
    sub = tmp_path / "sub"
    sub.mkdir()
    nbformat.write(submission(PARTIAL), str(sub / "03.ipynb"))
    shutil.copy(ROOT / "release" / "pytorch_basics" / "01_tensor_ops.ipynb", sub / "01.ipynb")
    rec = recognise(sub, config)
    now = DUE + timedelta(days=1)
    level = {c.grade_id: c.details["feedback"]["level"] for c in _short_answers(config, rec, paths, now)}
    extended = {c.grade_id: c.details["feedback"]["level"]
                for c in _short_answers(config, rec, paths, now, due=DUE + timedelta(days=2))}
    assert set(level.values()) == {"rubric"} and set(extended.values()) == {"aspects"}


def test_the_ci_mode_takes_the_push_or_commit_time(tmp_path):
    from autograder.platforms.deadline import ci_time, gradescope_time

    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"pushed_at": 1761000000}}))
    pushed = ci_time(tmp_path, {"GITHUB_EVENT_PATH": str(event)})
    assert pushed.at == datetime.fromtimestamp(1761000000, timezone.utc) and pushed.source == "GitHub push time"
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_COMMITTER_DATE": "2025-10-21T09:30:00+08:00", "GIT_AUTHOR_DATE": "2025-10-21T09:30:00+08:00",
           "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s", "GIT_COMMITTER_EMAIL": "s@x"}
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    (repo / "a.ipynb").write_text("{}")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "x"], check=True, env=env)
    committed = ci_time(repo, {})
    assert committed.at == datetime(2025, 10, 21, 9, 30, tzinfo=CST) and "committer's computer" in committed.note
    assert not ci_time(tmp_path / "nothing", {}).known
    meta = {"created_at": "2025-10-22T10:00:00.000000+08:00", "assignment": {"due_date": "2025-10-20T23:59:00+08:00"},
            "users": [{"assignment": {"due_date": "2025-10-22T23:59:00+08:00"}}]}
    time, shift = gradescope_time(meta)
    assert time.at == datetime(2025, 10, 22, 10, tzinfo=CST) and shift == timedelta(days=2)


def test_platform_reports_give_the_final_score_and_say_the_penalty():
    from autograder.platforms.ci import summary_markdown
    from autograder.reporters import gradescope, prairielearn
    from autograder.reporters.html import render_feedback
    from autograder.reporters.text import summary_lines

    checks = [CheckResult("a", "c", "nb", 8, 10, Status.FAILED, "x")]
    r = SubmissionResult("x", "s", checks, late=assess(POLICY, _at(hours=30), 8, 10))
    assert (r.score, r.penalty, r.final_score) == (8, 1.6, 6.4)
    assert SubmissionResult.from_dict(json.loads(r.dumps())).late == r.late
    assert gradescope.render(r)["score"] == 6.4 and prairielearn.render(r)["score"] == pytest.approx(0.64)
    assert any("Late penalty: -1.6 points; final score 6.4 / 10" in line for line in summary_lines(r))
    md = summary_markdown(r, 0)
    assert "**Score: 6.4 / 10 points**" in md and "Raw score 8, late penalty -1.6" in md
    page = render_feedback(r)
    assert "raw score / 原始分 8" in page and "late penalty / 迟交扣分 1.6" in page and "final score / 最终得分 6.4" in page


# -- a class: grade-all with a fake grading function (as tests/test_batch.py) ----------------------

FAKE_GRADER = '''
from autograder.assignment import load_assignment
from autograder.results import CheckResult, Status, SubmissionResult

def grade(submission, student, device, paths, extra_hidden, due=None):
    cfg = load_assignment(paths.config_file)
    checks = [CheckResult("a: first", "check_a", "nb1", 4, 4, Status.PASSED),
              CheckResult("b: second", "check_b", "nb1", 3, 6, Status.FAILED, "b message"),
              CheckResult("q1: why?", "q1", "nb2", 1, 5, Status.FAILED, "x", visibility=__import__(
                  "autograder.results").results.Visibility.AFTER_DUE_DATE)]
    # what the worker passed as the student's own deadline, for the test to read
    return SubmissionResult(cfg.name, student, checks, notes=[f"due={due.isoformat() if due else None}"])
'''
DEADLINE = """
[deadline]
due = 2025-10-20T23:59:00+08:00
grace_minutes = 15
percent_per_day = 10
max_percent = 50
zero_after_days = 7
extensions = "extensions.csv"
"""
STAMPS = {  # student -> nbgrader timestamp.txt (None: none)
    "alice": "2025-10-20 12:00:00.000000 UTC",  # on time (20:00 CST)
    "bob": "2025-10-22 03:00:00.000000 UTC",  # 1 day 11 h late: 2 days, -20%
    "carol": "2025-10-22 03:00:00.000000 UTC",  # as late, but the CSV gives her 3 days
    "dave": None,  # no time recorded: unknown, no penalty
    "erin": "2025-10-29 03:00:00.000000 UTC",  # more than 7 days late: 0 points
}


@pytest.fixture
def late_class(tmp_path, monkeypatch):
    from test_batch import ASSIGNMENT_TOML, MANIFEST, _nb

    from autograder.course import AssignmentPaths

    course = tmp_path / "course"
    grading = course / "source" / "fa" / "grading"
    (grading / "checks").mkdir(parents=True)
    (grading / "assignment.toml").write_text(ASSIGNMENT_TOML + DEADLINE)
    (course / "release" / "fa").mkdir(parents=True)
    (course / "release" / "fa" / "manifest.json").write_text(MANIFEST.to_json())  # grade cells and points
    (grading / "extensions.csv").write_text("student,days\ncarol,3\n")
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "lategrader.py").write_text(FAKE_GRADER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(mods), os.environ.get("PYTHONPATH", "")]))
    subs = tmp_path / "nbcourse" / "submitted"
    for s, stamp in STAMPS.items():
        d = subs / s / "fa"
        d.mkdir(parents=True)
        (d / "nb1.ipynb").write_text(_nb({}))
        if stamp:
            (d / "timestamp.txt").write_text(stamp + "\n")
    return AssignmentPaths(course, "fa"), subs


def _grade(paths, subs, out, **kw):
    from autograder.batch import grade_all

    # one grading process: with two, each imports torch first (seconds); the pool is test_batch's subject
    return grade_all(subs, paths, out=out, grader="lategrader:grade", progress=False, jobs=1, **kw)


def _rows(path: Path) -> dict[str, dict]:
    return {r["student"]: r for r in csv.DictReader(io.StringIO(path.read_text()))}


def test_a_class_keeps_raw_penalty_and_final_apart_everywhere(late_class, tmp_path):
    from nbgrader.api import Gradebook

    paths, subs = late_class
    out = tmp_path / "results"
    report = _grade(paths, subs, out)
    rows = _rows(out / "grades.csv")
    got = {s: (r["total"], r["late_penalty"], r["final_total"], r["days_late"]) for s, r in rows.items()}
    assert got == {"alice": ("8", "0", "8", "0"), "bob": ("8", "1.6", "6.4", "2"), "carol": ("8", "0", "8", "0"),
                   "dave": ("8", "0", "8", ""), "erin": ("8", "8", "0", "9")}
    assert rows["bob"]["submitted_at"] == "2025-10-22T03:00:00+00:00" and rows["bob"]["due"] == DUE.isoformat()
    assert rows["carol"]["due"] == (DUE + timedelta(days=3)).isoformat()  # her extension
    imported = _rows(out / "grades_import.csv")
    assert (imported["bob"]["total"], imported["bob"]["late_penalty"], imported["bob"]["final_total"]) == ("8", "1.6", "6.4")
    # what Gradescope and PrairieLearn show each student: the final score
    for s, r in rows.items():
        student = out / "students" / s
        gradescope = json.loads((student / "results.json").read_text())
        assert gradescope["score"] == pytest.approx(float(r["final_total"])), s
        most = sum(t["max_score"] for t in gradescope["tests"])
        pl = json.loads((student / "prairielearn.json").read_text())["score"]
        assert pl == pytest.approx(float(r["final_total"]) / most, abs=1e-6), s
    # nbgrader's own columns: its export computes score = raw - penalty from them
    with Gradebook(report.db_url) as gb:
        bob = gb.find_submission("fa", "bob")
        assert bob.score == pytest.approx(8) and bob.late_submission_penalty == pytest.approx(1.6)
        assert bob.timestamp == datetime(2025, 10, 22, 3) and gb.find_assignment("fa").duedate == datetime(2025, 10, 20, 15, 59)
        assert gb.find_submission("fa", "dave").timestamp is None
    # the worker graded each student against their own deadline (the short answers' feedback level)
    notes = {s: json.loads((out / "students" / s / "submission_result.json").read_text())["notes"] for s in STAMPS}
    assert notes["carol"] == [f"due={(DUE + timedelta(days=3)).isoformat()}"] and notes["bob"] == [f"due={DUE.isoformat()}"]
    # the feedback pages: raw, penalty and final; an unknown time is said
    bob_page = (out / "students" / "bob" / "feedback.html").read_text()
    assert "raw score / 原始分 4" not in bob_page  # q1 is shown after the deadline: the total counts what is shown
    assert "late penalty / 迟交扣分" in bob_page and "−20%" in bob_page
    assert "no submission time is recorded" in (out / "students" / "dave" / "feedback.html").read_text()
    alice_page = (out / "students" / "alice" / "feedback.html").read_text()
    assert "按时提交" in alice_page and "late penalty" not in alice_page
    summary = (out / "summary.html").read_text()
    late = summary.split('id="late"')[1].split("</section>")[0]
    assert "bob" in late and "−1.6 (20%)" in late and "erin" in late and "dave" in late and "unknown" in late
    assert "alice" not in late and "carol" not in late


def test_a_ta_extension_or_waiver_survives_regrades(late_class, tmp_path, capsys):
    from autograder import cli

    paths, subs = late_class
    out = tmp_path / "results"
    _grade(paths, subs, out)
    assert json.loads((out / "students" / "erin" / "results.json").read_text())["score"] == 0  # 9 days late
    assert cli.main(["--course", str(paths.course_root), "review", "extend", "fa", "bob", "--days", "2",
                     "--results", str(out)]) == 0
    assert "deadline extended by 2 days" in capsys.readouterr().out
    assert cli.main(["--course", str(paths.course_root), "review", "waive", "fa", "erin", "--results", str(out)]) == 0
    assert "is waived" in capsys.readouterr().out
    again = _grade(paths, subs, out)
    assert again.graded == []  # nothing regraded for it: the outputs are rebuilt
    # ... Gradescope's and PrairieLearn's files too: erin's waived penalty is off her score there
    assert json.loads((out / "students" / "erin" / "results.json").read_text())["score"] == pytest.approx(8)
    assert json.loads((out / "students" / "bob" / "results.json").read_text())["score"] == pytest.approx(8)
    forced = _grade(paths, subs, out, force=True)
    assert sorted(forced.graded) == sorted(STAMPS)
    rows = _rows(out / "grades.csv")
    assert (rows["bob"]["late_penalty"], rows["bob"]["final_total"]) == ("0", "8")
    assert (rows["erin"]["late_penalty"], rows["erin"]["final_total"]) == ("0", "8")
    assert "a TA waived the late penalty" in (out / "students" / "erin" / "feedback.html").read_text()
    assert cli.main(["--course", str(paths.course_root), "review", "waive", "fa", "nobody", "--results", str(out)]) == 2
    assert "no student 'nobody'" in capsys.readouterr().err
    assert cli.main(["--course", str(paths.course_root), "review", "extend", "fa", "bob", "--clear",
                     "--results", str(out)]) == 0
    _grade(paths, subs, out)
    assert _rows(out / "grades.csv")["bob"]["late_penalty"] == "1.6"


def test_a_wrong_extensions_file_is_refused_before_grading(late_class, tmp_path):
    from autograder.batch import BatchError

    paths, subs = late_class
    bad = tmp_path / "ext.csv"
    bad.write_text("student,days\nbob,soon\n")
    with pytest.raises(BatchError, match="line 2: days 'soon' is not a number"):
        _grade(paths, subs, tmp_path / "results", extensions=bad)
    assert not list((tmp_path / "results").glob("students/*/batch.json"))

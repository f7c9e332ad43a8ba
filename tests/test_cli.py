"""The command line as a user meets it: every bad input is one line on stderr and exit 2, said
before any grading; help says what each argument is; a closed pipe is not a traceback."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import cli

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "release" / "pytorch_basics"
PYTHONPATH = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)


@pytest.fixture
def no_grading(monkeypatch):
    """Any grading (one submission or a class) fails the test: usage errors come first."""
    def refuse(*a, **k):
        raise AssertionError("graded before the usage error was found")

    monkeypatch.setattr("autograder.grading.grade_submission", refuse)
    monkeypatch.setattr("autograder.batch.dispatch.WorkerPool", refuse)
    monkeypatch.setattr("autograder.demo.run_demo", refuse)


def usage_error(capsys, argv: list[str]) -> str:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1, err  # one line
    assert "Traceback" not in err
    return err


@pytest.fixture
def places(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    return {"a file": a_file, "under a file": a_file / "sub", "/proc": Path("/proc/x")}


def test_bad_out_of_grade_is_refused_before_grading(no_grading, places, capsys):
    for what, place in places.items():
        err = usage_error(capsys, ["grade", str(RELEASE / "01_tensor_ops.ipynb"), "--out", str(place)])
        assert str(place) in err, what


def test_bad_out_of_grade_all_is_refused_before_grading(no_grading, places, capsys, tmp_path):
    subs = tmp_path / "subs" / "alice"
    subs.mkdir(parents=True)
    shutil.copy(RELEASE / "01_tensor_ops.ipynb", subs)
    for what, place in places.items():
        err = usage_error(capsys, ["grade-all", str(subs.parent), "--out", str(place)])
        assert str(place) in err, what
    assert not list(tmp_path.rglob("batch.json"))


def test_unwritable_out_folder_is_refused_before_grading():
    """Root writes anywhere, so this runs `autograder grade` as an unprivileged user, with --out
    in a folder that user can reach but not write."""
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="autograder-ro-", dir="/tmp"))
    top.chmod(0o755)
    (top / "ro").mkdir(mode=0o555)
    shutil.copy(RELEASE / "01_tensor_ops.ipynb", top)
    (top / "01_tensor_ops.ipynb").chmod(0o644)
    user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    try:
        done = subprocess.run([*user, sys.executable, "-m", "autograder", "grade", str(top / "01_tensor_ops.ipynb"),
                               "--out", str(top / "ro" / "out")], capture_output=True, text=True, cwd=top,
                              timeout=300, env={**os.environ, "PYTHONPATH": PYTHONPATH, "HOME": str(top)})
        assert done.returncode == 2, done.stderr[-2000:]
        assert "cannot be written" in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert done.stdout == ""  # nothing graded
    finally:
        shutil.rmtree(top)


def test_bad_course_is_one_line_for_every_command(no_grading, tmp_path, capsys):
    nb = str(RELEASE / "01_tensor_ops.ipynb")
    for course in (tmp_path / "nowhere", tmp_path / "empty", RELEASE / "01_tensor_ops.ipynb"):
        (tmp_path / "empty").mkdir(exist_ok=True)
        for argv in (["grade", nb], ["check", nb], ["grade-all", str(RELEASE)], ["demo", "--out", str(tmp_path / "d")],
                     ["bundle", "gradescope", "--out", str(tmp_path / "b.zip")], ["release"]):
            err = usage_error(capsys, ["--course", str(course), *argv])
            assert "--course" in err and "source/" in err, argv


def test_check_refuses_what_is_not_a_notebook(no_grading, tmp_path, capsys):
    hw = tmp_path / "hw.py"
    hw.write_text("print('my homework')\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "other.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                      "nbformat_minor": 5}))
    assert "not a notebook" in usage_error(capsys, ["check", str(hw)])
    assert "no .ipynb notebook" in usage_error(capsys, ["check", str(tmp_path / "empty")])
    assert "matches no notebook of pytorch_basics" in usage_error(capsys, ["check", str(tmp_path / "other.ipynb")])
    assert "does not exist" in usage_error(capsys, ["check", str(tmp_path / "nope.ipynb")])


def test_grade_refuses_a_class_folder_and_points_to_grade_all(no_grading, tmp_path, capsys):
    for student in ("alice", "bob"):
        (tmp_path / "class" / student).mkdir(parents=True)
        shutil.copy(RELEASE / "01_tensor_ops.ipynb", tmp_path / "class" / student)
    err = usage_error(capsys, ["grade", str(tmp_path / "class")])
    assert "alice/" in err and "bob/" in err and "autograder grade-all" in err
    flat = tmp_path / "flat"
    flat.mkdir()
    for student in ("ann", "ben", "cid"):
        shutil.copy(RELEASE / "01_tensor_ops.ipynb", flat / f"{student}.ipynb")
    assert "grade-all" in usage_error(capsys, ["grade", str(flat)])


def test_demo_never_replaces_a_folder_it_did_not_write(no_grading, tmp_path, capsys, places):
    course = tmp_path / "my-course"
    (course / "notes.txt").parent.mkdir()
    (course / "notes.txt").write_text("a term of work")
    assert "no demo wrote" in usage_error(capsys, ["demo", "--out", str(course)])
    assert (course / "notes.txt").read_text() == "a term of work"
    for what, place in places.items():
        assert str(place) in usage_error(capsys, ["demo", "--out", str(place)]), what
    assert "--jobs" in usage_error(capsys, ["demo", "--out", str(tmp_path / "new"), "--jobs", "0"])


def test_bad_bundle_out_is_one_line(tmp_path, capsys, places):
    (tmp_path / "folder").mkdir()
    assert "is a folder" in usage_error(capsys, ["bundle", "gradescope", "--out", str(tmp_path / "folder")])
    for what, place in places.items():
        assert "--out" in usage_error(capsys, ["bundle", "gradescope", "--out", str(place / "a.zip")]), what


def test_every_argument_says_what_it_is():
    missing = []

    def walk(parser, name):
        for action in parser._actions:
            if action.dest in ("help",):
                continue
            if action.help is None:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
            if isinstance(action.choices, dict):  # subcommands
                for sub_name, sub in action.choices.items():
                    walk(sub, f"{name} {sub_name}")

    walk(cli._parser(), "autograder")
    assert missing == []


def test_demo_help_says_what_the_demo_grades(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    top = capsys.readouterr().out
    assert "answer key" not in top.split("demo", 1)[1].split("\n")[0]
    assert "eleven example submissions" in " ".join(top.split())


def test_review_list_into_a_closed_pipe_is_quiet(tmp_path):
    from autograder.results import CheckResult, Status, SubmissionResult

    results = tmp_path / "results" / "students"
    for i in range(300):  # more than a pipe holds: 300 answers, each its own answer group
        answer = " ".join(hashlib.sha256(f"{i}-{j}".encode()).hexdigest() for j in range(5))
        check = CheckResult("q1_alexnet: why?", "q1_alexnet", "03", 1.5, 3, Status.FAILED, flagged=True,
                            details={"flag_reasons": ["middle band"], "answer_excerpt": answer})
        (results / f"s{i:03}").mkdir(parents=True)
        (results / f"s{i:03}" / "submission_result.json").write_text(
            SubmissionResult("pytorch_basics", f"s{i:03}", [check]).dumps())
    done = subprocess.run(f"{sys.executable} -m autograder review list --results {tmp_path / 'results'} | head -n 1",
                          shell=True, capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": PYTHONPATH})
    assert done.stdout.startswith("note: no gradebook was found")  # the first line, then the pipe closed
    assert done.stderr == ""


# -- which assignment: no default; `check` finds it from the notebook -------------------------------

TINY = REPO / "tests" / "data" / "tiny_course"


def _two_assignments(tmp_path: Path) -> Path:
    """A course with pytorch_basics and the tiny assignment, each with its grading and release."""
    course = tmp_path / "course"
    skip = shutil.ignore_patterns("__pycache__")
    for part in ("source", "release"):
        shutil.copytree(REPO / part / "pytorch_basics", course / part / "pytorch_basics", ignore=skip)
        shutil.copytree(TINY / part / "tiny", course / part / "tiny", ignore=skip)
    return course


def test_check_finds_the_assignment_of_the_notebook_and_says_which(tmp_path, capsys):
    course = _two_assignments(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(TINY / "solutions" / "tiny" / "01_tiny.ipynb", work / "mine.ipynb")
    code = cli.main(["--course", str(course), "check", str(work / "mine.ipynb")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (f"checking {work / 'mine.ipynb'} against the assignment tiny (matched by the notebook's grade cells "
            "among pytorch_basics, tiny)") in out
    assert "public checks passed (1)" in out and "failed" not in out


def test_other_commands_ask_which_assignment_when_the_course_has_several(no_grading, tmp_path, capsys):
    course = _two_assignments(tmp_path)
    nb = course / "release" / "tiny" / "01_tiny.ipynb"
    for argv in (["grade", str(nb)], ["grade-all", str(nb.parent)], ["bundle", "gradescope"]):
        err = usage_error(capsys, ["--course", str(course), *argv])
        assert "has 2 assignments (pytorch_basics, tiny); say which with --assignment NAME" in err, argv
    for command in ("release", "lint"):
        err = usage_error(capsys, ["--course", str(course), command])
        assert f"say which with `autograder {command} NAME`" in err


def test_lint_exits_0_on_a_sound_assignment_and_2_naming_the_cell(tmp_path, capsys):
    course = tmp_path / "course"
    shutil.copytree(TINY, course, ignore=shutil.ignore_patterns("__pycache__"))
    assert cli.main(["--course", str(course), "lint"]) == 0
    assert "tiny: no problem found (1 notebooks, 1 code grade cells with 2 checks, 1 short answers, 4 points)" in \
        capsys.readouterr().out
    check_file = course / "source" / "tiny" / "grading" / "checks" / "01_tiny" / "check_double.py"
    check_file.write_text(check_file.read_text().replace('points=1)\ndef test_double_other', 'points=3)\ndef test_double_other'))
    assert cli.main(["--course", str(course), "lint", "tiny"]) == 2
    out = capsys.readouterr().out
    assert f"{check_file} (grade cell check_double of 01_tiny): its checks are worth 4 points, but the cell is worth 2" in out

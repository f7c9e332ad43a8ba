"""docs/adding-an-assignment.md, proven: `tests/data/doc_course/` holds a second assignment
(`vectors`) written by following that page only. With no engine change it is released, linted,
checked, graded in the same process as pytorch_basics, graded as a class, reviewed and exported;
a wrong point total or a grade cell without hidden checks is refused at load naming the cell; and
every grade id of the CSV leads to its check file (or rubric question) by the path the page gives.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import multiprocessing as mp
import shutil
from pathlib import Path

import pytest

from autograder import cli
from autograder.assignment import load_assignment
from autograder.course import AssignmentPaths

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "adding-an-assignment.md"
COURSE = REPO / "tests" / "data" / "doc_course"
NAME, STEM = "vectors", "01_vectors"

pytestmark = pytest.mark.slow  # grades pytorch_basics' first notebook and a class of three


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def _copy(tmp_path: Path, parts=("source", "release", "solutions")) -> Path:
    course = tmp_path / "course"
    for part in parts:
        shutil.copytree(COURSE / part, course / part)
    return course


def _with_answers(src: Path, dst: Path, code: str, answer: str) -> Path:
    """The answer key with the solution of normalize and the short answer replaced."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid == "sol_normalize":
            cell["source"] = code
        elif gid == "q1_unit_length":
            cell["source"] = answer
    dst.write_text(json.dumps(nb), encoding="utf-8")
    return dst


def test_the_page_is_what_the_example_follows():
    text = DOC.read_text(encoding="utf-8")
    for step in ("grading/checks/STEM/GRADE_ID.py", "autograder release NAME", "autograder lint NAME",
                 "public=True", "[questions.GRADE_ID]", "autograder lint --settings", "grades.csv"):
        assert step in text, step
    assert "tests/data/doc_course" in text


def test_release_from_the_page_gives_the_committed_release_and_lint_passes(tmp_path):
    course = _copy(tmp_path, parts=("source",))
    rc, out, err = _main("--course", course, "release", NAME)
    assert rc == 0, err
    for part in ("release", "solutions"):
        made = {p.relative_to(course / part): p.read_bytes() for p in (course / part).rglob("*") if p.is_file()}
        kept = {p.relative_to(COURSE / part): p.read_bytes() for p in (COURSE / part).rglob("*") if p.is_file()}
        assert made == kept, f"{part}/{NAME} is not what `autograder release {NAME}` makes: run it and commit"
    assert {p.name for p in (course / "release" / NAME).iterdir()} == {f"{STEM}.ipynb", "manifest.json", "checks"}
    rc, out, err = _main("--course", course, "lint", NAME)
    assert (rc, out.strip()) == (0, f"{NAME}: no problem found (1 notebooks, 1 code grade cells with 2 checks, "
                                    "1 short answers, 5 points)"), err


def _grade_both(basics_sub: str, course: str, key: str, blank: str, out: str) -> dict:
    """In one fresh process: pytorch_basics' first notebook, then vectors checked and graded."""
    from autograder.grading import GradeRequest, grade_submission

    basics = grade_submission(GradeRequest(submission=Path(basics_sub)), AssignmentPaths(REPO, "pytorch_basics"))
    checked = _main("--course", course, "check", key)
    graded = _main("--course", course, "grade", key, "--out", Path(out) / "key")
    blank_graded = _main("--course", course, "grade", blank, "--out", Path(out) / "blank")
    nb01 = [c for c in basics.checks if c.notebook == "01_tensor_ops"]
    return {"basics": (sum(c.points for c in nb01), sum(c.max_points for c in nb01), basics.grader_errors),
            "check": checked, "grade": graded, "blank": blank_graded}


def test_checked_and_graded_in_the_same_process_as_pytorch_basics(tmp_path):
    course = _copy(tmp_path)
    basics = tmp_path / "basics"
    basics.mkdir()
    shutil.copy(REPO / "solutions" / "pytorch_basics" / "01_tensor_ops.ipynb", basics)
    key = course / "solutions" / NAME / f"{STEM}.ipynb"
    blank = course / "release" / NAME / f"{STEM}.ipynb"
    with mp.get_context("spawn").Pool(1) as pool:  # a fresh process: nothing imported before
        r = pool.apply(_grade_both, (str(basics), str(course), str(key), str(blank), str(tmp_path / "out")))
    assert r["basics"] == (25.0, 25.0, []), r["basics"]
    rc, out, err = r["check"]
    assert rc == 0 and "against the assignment vectors" in out and "public checks passed (1)" in out, (out, err)
    rc, out, err = r["grade"]
    assert rc == 0 and "vectors: 5 / 5 points" in out, (out, err)
    rc, out, err = r["blank"]
    assert rc == 0 and "vectors: 0 / 5 points" in out, (out, err)
    assert "`normalize` is not implemented yet" in out
    result = json.loads((tmp_path / "out" / "key" / "submission_result.json").read_text())
    assert {c["grade_id"] for c in result["checks"]} == {"check_normalize", "q1_unit_length"}


def test_a_class_is_graded_reviewed_and_exported_with_each_grade_id_leading_to_its_check_file(tmp_path):
    course = _copy(tmp_path)
    key = course / "solutions" / NAME / f"{STEM}.ipynb"
    subs = tmp_path / "class"
    subs.mkdir()
    shutil.copy(key, subs / "alice.ipynb")
    shutil.copy(course / "release" / NAME / f"{STEM}.ipynb", subs / "bob.ipynb")
    # the laziest replies: the sum for the norm (right shape, wrong values), half an answer
    _with_answers(key, subs / "carol.ipynb", "def normalize(v):\n    return v / v.sum()\n",
                  "The vector is divided so it is small.")
    res = tmp_path / "results"
    rc, out, err = _main("--course", course, "grade-all", subs, "--out", res, "--jobs", "1", "-q")
    assert rc == 0, (out, err)
    assert "1 short answers to review" in out, out

    rc, out, err = _main("--course", course, "review", "list", "--results", res)
    assert rc == 0 and "carol - q1_unit_length" in out and "alice" not in out and "bob" not in out, (out, err)
    rc, out, err = _main("--course", course, "review", "set", NAME, "carol", "q1_unit_length", "2",
                         "--comment", "the scaling is implied", "--results", res)
    assert rc == 0 and "score set to 2/2" in out, (out, err)
    rc, out, err = _main("--course", course, "grade-all", subs, "--out", res, "--jobs", "1", "-q")
    assert rc == 0, (out, err)

    with open(res / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    scores = {s: (row["total"], row["check_normalize"], row["q1_unit_length"], row["overridden"])
              for s, row in rows.items()}
    assert scores == {"alice": ("5", "3", "2", ""), "bob": ("0", "0", "0", ""),
                      "carol": ("2", "0", "2", "q1_unit_length")}, scores

    # every grade id of the CSV leads to its checks by the path the page gives
    paths = AssignmentPaths(course, NAME)
    config = load_assignment(paths)
    header = next(csv.reader(open(res / "grades.csv", newline="", encoding="utf-8")))
    grade_ids = {col.split(" | ")[0] for col in header if " | " in col}
    assert grade_ids == {"check_normalize", "q1_unit_length"} and grade_ids <= set(header)
    rubric = (paths.grading / "rubrics.toml").read_text(encoding="utf-8")
    for gid in grade_ids:
        (stem,) = [nb.stem for nb in config.notebooks if gid in nb.cell_points]
        check_file = paths.grading / "checks" / stem / f"{gid}.py"
        if gid in config.notebook(stem).grade_cells:
            assert check_file.is_file() and f'@check("{gid}"' in check_file.read_text(), check_file
        else:
            assert not check_file.exists() and f"[questions.{gid}]" in rubric, gid


@pytest.mark.parametrize("edit, said", [
    ('@check("check_normalize", points=3)', "its checks are worth 4 points, but the cell is worth 3"),
    ('@check("check_normalize", points=2, public=True)', "no hidden check"),
], ids=["wrong point total", "no hidden check"])
def test_wrong_points_or_no_hidden_check_is_refused_at_load_naming_the_cell(tmp_path, edit, said):
    course = _copy(tmp_path)
    check_file = course / "source" / NAME / "grading" / "checks" / STEM / "check_normalize.py"
    text = check_file.read_text(encoding="utf-8")
    old = '@check("check_normalize", points=2)'
    assert old in text
    check_file.write_text(text.replace(old, edit), encoding="utf-8")
    key = course / "solutions" / NAME / f"{STEM}.ipynb"
    for argv in (("grade", key, "--out", tmp_path / "out"), ("check", key)):
        rc, out, err = _main("--course", course, *argv)
        assert rc == 3, (argv, out, err)
        assert f"{check_file} (grade cell check_normalize of {STEM}): {said}" in err, (argv, err)
    rc, out, err = _main("--course", course, "lint", NAME)
    assert rc == 2 and f"{check_file} (grade cell check_normalize of {STEM}): {said}" in out, (out, err)

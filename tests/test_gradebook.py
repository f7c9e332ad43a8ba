"""The nbgrader gradebook written by grade-all, read back through nbgrader's own API; the CSV."""
from __future__ import annotations

import csv
import io

import pytest

from autograder.assignment import load_assignment
from autograder.gradebook import apply_overrides, comment_for, db_url_of, read_gradebook, set_override, write_gradebook
from autograder.reporters import csv_export
from autograder.results import CheckResult, Status, SubmissionResult


@pytest.fixture(scope="module")
def config(pytorch_basics_paths):
    return load_assignment(pytorch_basics_paths.config_file)


def _result(config, student: str, frac: float, flag: str | None = None) -> SubmissionResult:
    """Two checks per grade cell (60% and 40% of its points), each earning `frac` of them."""
    checks = []
    for nb in config.notebooks:
        for gid, pts in nb.cell_points.items():
            for share, name in ((0.6, "first, with a comma"), (0.4, 'second "quoted"')):
                mx = round(pts * share, 4)
                checks.append(CheckResult(f"{gid}: {name}", gid, nb.stem, round(mx * frac, 4), mx,
                                          Status.PASSED if frac == 1 else Status.FAILED,
                                          "" if frac == 1 else f"{gid} expected more",
                                          flagged=(gid == flag), tags=("short_answer",) if gid.startswith("q") else ()))
    return SubmissionResult(config.name, student, checks)


def test_gradebook_is_read_back_by_nbgrader(config, tmp_path):
    from nbgrader.api import Gradebook

    url = db_url_of(tmp_path / "gradebook.db")
    results = [_result(config, "alice", 1.0), _result(config, "bob", 0.5, flag="q3_vanishing_gradient")]
    write_gradebook(url, config, results, students=["carol"])
    with Gradebook(url) as gb:
        assert sorted(s.id for s in gb.students) == ["alice", "bob", "carol"]
        assert gb.find_submission(config.name, "alice").score == pytest.approx(100)
        assert gb.find_submission(config.name, "bob").score == pytest.approx(50)
        nb = gb.find_submission_notebook("02_spiral_classification", config.name, "bob")
        assert nb.score == pytest.approx(20) and nb.max_score == pytest.approx(40)
        grades = {g.name: g for g in nb.grades}
        assert set(grades) == set(config.notebook("02_spiral_classification").grade_cells)
        assert grades["check_fit_spiral"].auto_score == pytest.approx(5)
        assert grades["check_fit_spiral"].max_score == pytest.approx(10)
        assert grades["check_fit_spiral"].manual_score is None
        assert not grades["check_fit_spiral"].needs_manual_grade
        comment = gb.find_comment("sol_fit_spiral", "02_spiral_classification", config.name, "bob")
        assert "check_fit_spiral expected more" in comment.auto_comment and "✗ [3/6]" in comment.auto_comment
        q3 = gb.find_grade("q3_vanishing_gradient", "03_activations_and_optimizers", config.name, "bob")
        assert q3.needs_manual_grade and q3.auto_score == pytest.approx(1.5)  # flagged: formgrader lists it
        assert gb.find_comment("q3_vanishing_gradient", "03_activations_and_optimizers", config.name, "bob").auto_comment
        # grade cells created from assignment.toml, code and markdown
        cell = gb.find_grade_cell("q1_alexnet", "03_activations_and_optimizers", config.name)
        assert (cell.cell_type, cell.max_score) == ("markdown", 3.0)
        assert gb.find_grade_cell("check_products", "01_tensor_ops", config.name).cell_type == "code"


def test_writing_twice_is_idempotent(config, tmp_path):
    url = db_url_of(tmp_path / "gb.db")
    results = [_result(config, "alice", 0.5)]
    first = write_gradebook(url, config, results)
    second = write_gradebook(url, config, results)
    assert first == second
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        assert len(gb.find_assignment(config.name).submissions) == 1


def test_ta_overrides_are_never_overwritten(config, tmp_path):
    from nbgrader.api import Gradebook

    url = db_url_of(tmp_path / "gb.db")
    write_gradebook(url, config, [_result(config, "bob", 0.5, flag="q3_vanishing_gradient")])
    # One override through `autograder review`, one made in formgrader (manual_score directly).
    set_override(url, config.name, "bob", "q3_vanishing_gradient", 3.0, "good answer in other words")
    with Gradebook(url) as gb:
        g = gb.find_grade("check_train", "02_spiral_classification", config.name, "bob")
        g.manual_score = 6.0
        gb.find_comment("sol_train", "02_spiral_classification", config.name, "bob").manual_comment = "regraded"
        gb.db.commit()
    # A regrade writes new auto scores; the TA's scores stay and still count.
    state = write_gradebook(url, config, [_result(config, "bob", 0.0, flag="q3_vanishing_gradient")])
    with Gradebook(url) as gb:
        q3 = gb.find_grade("q3_vanishing_gradient", "03_activations_and_optimizers", config.name, "bob")
        assert (q3.auto_score, q3.manual_score, q3.score) == (0.0, 3.0, 3.0)
        assert not q3.needs_manual_grade  # settled by the TA: not listed again
        tr = gb.find_grade("check_train", "02_spiral_classification", config.name, "bob")
        assert (tr.auto_score, tr.manual_score, tr.score) == (0.0, 6.0, 6.0)
        assert gb.find_comment("sol_train", "02_spiral_classification", config.name, "bob").manual_comment == "regraded"
        assert gb.find_submission(config.name, "bob").score == pytest.approx(9.0)
    overrides = state.overrides("bob")
    assert {g: o.score for g, o in overrides.items()} == {"q3_vanishing_gradient": 3.0, "check_train": 6.0}
    assert overrides["q3_vanishing_gradient"].comment == "good answer in other words"
    assert overrides["check_train"].comment == "regraded"
    effective = apply_overrides(_result(config, "bob", 0.0), overrides)
    assert effective.score == pytest.approx(9.0)


def test_read_gradebook_of_a_missing_file_is_empty(tmp_path):
    state = read_gradebook(db_url_of(tmp_path / "none.db"), "pytorch_basics")
    assert state.students == [] and not (tmp_path / "none.db").exists()


def test_comment_lists_verdicts_and_messages():
    checks = [CheckResult("a: one", "check_a", "nb", 1, 1, Status.PASSED),
              CheckResult("a: two", "check_a", "nb", 0, 2, Status.FAILED, "expected float"),
              CheckResult("a: three", "check_a", "nb", 0, 1, Status.ERROR, "grader fault")]
    assert comment_for(checks).splitlines() == ["✓ [1/1] a: one", "✗ [0/2] a: two — expected float",
                                                "! [0/1] a: three — grader fault"]


# -- the CSV ----------------------------------------------------------------------------------------

def test_csv_per_check_per_question_totals_and_status(config, tmp_path):
    cells = [csv_export.Cell(nb.stem, g, p) for nb in config.notebooks for g, p in nb.cell_points.items()]
    from autograder.batch.records import ungradable_result

    rows = [
        csv_export.ClassRow("bob, the builder", "graded", _result(config, "bob, the builder", 0.5)),
        csv_export.ClassRow('alice "ace"', "graded", _result(config, 'alice "ace"', 1.0)),
        csv_export.ClassRow("=cmd", "ungradable", ungradable_result(config, "=cmd", "x.ipynb is not JSON"),
                            reason="=HYPERLINK(\"http://evil\")"),
        csv_export.ClassRow("zoe", "missing", reason="no submission"),
    ]
    path = csv_export.write(tmp_path / "grades.csv", rows, cells)
    table = list(csv.reader(io.StringIO(path.read_text())))
    header, body = table[0], table[1:]
    assert header[:4] == ["student", "status", "total", "max_total"]
    assert header[4:7] == [nb.stem for nb in config.notebooks]
    assert "check_fit_spiral" in header and "q6_sgd_vs_adam" in header
    assert 'check_products | check_products: second "quoted"' in header
    assert "check_products | check_products: first, with a comma" in header
    assert header[-7:] == ["overridden", "grader_errors", "reason", "files", "late", "lms_id", "name"]
    assert len(header) == 4 + 3 + len(cells) + 2 * len(cells) + 7
    by = {r[0]: dict(zip(header, r)) for r in body}
    assert [r[0] for r in body] == ["=cmd", 'alice "ace"', "bob, the builder", "zoe"]  # sorted, names intact
    assert by['alice "ace"']["total"] == "100" and by["bob, the builder"]["total"] == "50"
    assert by["bob, the builder"]["check_fit_spiral"] == "5"
    assert by["bob, the builder"]["check_fit_spiral | check_fit_spiral: first, with a comma"] == "3"
    assert by["=cmd"]["status"] == "ungradable" and by["=cmd"]["total"] == "0"
    assert by["=cmd"]["check_fit_spiral | check_fit_spiral: first, with a comma"] == ""
    assert by["=cmd"]["reason"].startswith("'=")  # not run as a formula by a spreadsheet
    assert by["zoe"]["status"] == "missing" and by["zoe"]["total"] == ""


def test_csv_shows_overrides_as_the_effective_score(config, tmp_path):
    from autograder.gradebook import Override

    r = apply_overrides(_result(config, "bob", 0.0), {"q1_alexnet": Override("q1_alexnet", "03_activations_and_optimizers", 2.5)})
    rows = list(csv.DictReader(io.StringIO(csv_export.dumps([csv_export.ClassRow("bob", "graded", r)]))))
    assert rows[0]["q1_alexnet"] == "2.5" and rows[0]["total"] == "2.5" and rows[0]["overridden"] == "q1_alexnet"


def test_csv_has_one_column_per_check_whatever_the_class(config, tmp_path):
    """A student without notebook 3 gets placeholder records for its cells: they make no column
    of their own, and the columns do not depend on which students come first."""
    import dataclasses

    from autograder.grading import ungradable_result

    cells = [csv_export.Cell(nb.stem, g, p) for nb in config.notebooks for g, p in nb.cell_points.items()]
    full = _result(config, "ann", 1.0)
    nb3 = {g for g in config.notebook("03_activations_and_optimizers").cell_points}
    placeholders = [c for c in ungradable_result(config, "ben", "x").checks if c.grade_id in nb3]
    partial = dataclasses.replace(_result(config, "ben", 0.5),
                                  checks=[c for c in _result(config, "ben", 0.5).checks if c.grade_id not in nb3]
                                  + placeholders)
    rows = [csv_export.ClassRow("ann", "graded", full), csv_export.ClassRow("ben", "graded", partial)]
    headers = [csv_export.render(order, cells)[0] for order in (rows, rows[::-1], [rows[1], rows[0]])]
    assert headers[0] == headers[1] == headers[2]
    checks = [h for h in headers[0] if " | " in h]
    assert len(checks) == 2 * len(cells)  # two checks per cell, nothing else
    assert not [h for h in checks if "not graded" in h]
    table = {r[0]: dict(zip(headers[0], r)) for r in csv_export.render(rows, cells)[1:]}
    assert table["ben"]["q4_wide_vs_deep"] == "0" and table["ben"]["q4_wide_vs_deep | q4_wide_vs_deep: first, with a comma"] == ""
    assert table["ann"]["q4_wide_vs_deep | q4_wide_vs_deep: first, with a comma"] == "1.8"


def test_the_course_says_how_imported_scores_are_rounded(config):
    from autograder.batch.outputs import score_decimals
    from autograder.settings import SettingsError, load_settings

    assert score_decimals(config) == 2
    for bad in ("two", 1.5, -1, 9, True):  # refused when the assignment is loaded ([results] is a setting)
        with pytest.raises(SettingsError, match=r"assignment.toml: \[results\] score_decimals must be a whole number "
                                                r"from 0 to 6"):
            load_settings({"results": {"score_decimals": bad}}, "assignment.toml")

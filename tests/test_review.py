"""TA review: the queue of flagged answers, and score overrides stored in the nbgrader gradebook
that win over the automatic score in every later regrade until cleared. Every gradebook here is a
temporary SQLite file, made the way grade-all makes it (students and grade cells from the
assignment), and read back with nbgrader's own Gradebook API. A TA's command never creates a
gradebook or a student."""
from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry

from autograder import review
from autograder.assignment import load_assignment
from autograder.gradebook import (GradebookError, GradebookLocation, Override, apply_overrides, clear_override,
                                  get_overrides, set_override, write_gradebook)
from autograder.results import CheckResult, Status, SubmissionResult
from autograder.review import cmd_review_clear, cmd_review_list, cmd_review_set, review_queue
from autograder.shortanswers import grade_short_answers, load_rubric

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = load_rubric(ROOT / "source" / "pytorch_basics" / "grading" / "rubrics.toml")
NB = "03_activations_and_optimizers"
A = "pytorch_basics"

ANSWERS = {
    "alice": {
        # 1.5, in the review band, and a sentence the rubric does not recognise: the grader is unsure
        "q3_vanishing_gradient": "梯度消失就是梯度越来越小，接近于0，前面的层训练很慢。反向传播的时候每一层的权重都会影响梯度。",
        "q5_softmax": "Softmax turns logits into a probability distribution: outputs are positive and sum to 1. "
                      "With cross-entropy loss it is the standard output layer for multi-class classification.",
        "q4_wide_vs_deep": "Deeper is always better.",  # misconception
    },
    "bob": {
        "q3_vanishing_gradient": "By the chain rule the gradient of an early layer is a product of many derivatives "
                                 "smaller than 1, so it shrinks exponentially and the first layers learn very slowly.",
        "q6_sgd_vs_adam": "Adam, SGD, momentum, RMSProp, adaptive learning rate, bias correction, generalization",  # stuffing
    },
}


def submission(answers: dict[str, str]):
    cells = []
    for gid, q in RUBRIC.questions.items():
        cells.append(nbformat.v4.new_markdown_cell(f"**{q.title}**\n\n{q.title_zh}"))
        cell = nbformat.v4.new_markdown_cell(answers.get(gid, "YOUR ANSWER HERE"))
        cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "grade_id": gid, "points": 3}
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def grade(student: str) -> SubmissionResult:
    """A fresh automatic grading of the student's notebook (what every regrade produces)."""
    checks = grade_short_answers(submission(ANSWERS[student]), RUBRIC)
    return SubmissionResult(assignment=A, student=student, checks=checks)


CONFIG = load_assignment(ROOT / "source" / "pytorch_basics" / "grading" / "assignment.toml")
CLASS = ["alice", "bob", "carol", "dave"]


@pytest.fixture
def db(tmp_path):
    """A gradebook as grade-all leaves it: the assignment's cells and the class's students."""
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    write_gradebook(url, CONFIG, [], students=CLASS)
    return url


@pytest.fixture
def alembic_on_path(monkeypatch):
    """nbgrader's Gradebook runs the `alembic` executable to create a new database; it lives next
    to this interpreter, which may not be on PATH when the venv is not activated."""
    import os
    import sys

    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))


def by_gid(result: SubmissionResult) -> dict[str, CheckResult]:
    return {c.grade_id: c for c in result.checks}


# ---------------------------------------------------------------------------------------------


def test_automatic_results_are_flagged_for_the_right_reasons():
    a = by_gid(grade("alice"))
    assert a["q3_vanishing_gradient"].flagged and a["q3_vanishing_gradient"].points == 1.5
    assert not a["q5_softmax"].flagged and a["q5_softmax"].points == 3
    assert a["q4_wide_vs_deep"].flagged and a["q4_wide_vs_deep"].points == 0
    assert not a["q1_alexnet"].flagged  # placeholder: 0, nothing to review


def test_override_is_stored_in_the_gradebook_and_read_back_by_nbgrader(db):
    ov = set_override(db, A, "alice", "q3_vanishing_gradient", 2.5, "correct, just brief")
    assert ov == Override("q3_vanishing_gradient", NB, 2.5, "correct, just brief", 3.0)
    with Gradebook(db) as gb:
        grade = gb.find_grade("q3_vanishing_gradient", NB, A, "alice")
        assert grade.manual_score == 2.5 and grade.score == 2.5 and grade.max_score == 3
        assert not grade.needs_manual_grade
        comment = gb.find_comment("q3_vanishing_gradient", NB, A, "alice")
        assert comment.manual_comment == "correct, just brief"
        assert gb.find_grade_cell("q3_vanishing_gradient", NB, A).cell_type == "markdown"
    assert get_overrides(db, A, "alice") == {"q3_vanishing_gradient": ov}
    assert get_overrides(db, A, "bob") == {}
    assert get_overrides(db, "another_assignment", "alice") == {}


def test_override_survives_a_regrade_until_cleared(db):
    set_override(db, A, "alice", "q3_vanishing_gradient", 2.5, "correct, just brief")

    for _ in range(2):  # every later regrade: a fresh automatic result, then the stored overrides
        regraded = apply_overrides(grade("alice"), get_overrides(db, A, "alice"))
        c = by_gid(regraded)["q3_vanishing_gradient"]
        assert c.points == 2.5 and not c.flagged and c.status is Status.FAILED
        assert "Score set by a TA" in c.message and "correct, just brief" in c.message
        assert c.details["override"] == {"score": 2.5, "comment": "correct, just brief", "automatic_points": 1.5}
        others = by_gid(grade("alice"))
        assert by_gid(regraded)["q5_softmax"] == others["q5_softmax"]  # other checks untouched
        assert regraded.score == grade("alice").score + 1.0

    assert clear_override(db, A, "alice", "q3_vanishing_gradient") is True
    with Gradebook(db) as gb:
        grade_row = gb.find_grade("q3_vanishing_gradient", NB, A, "alice")
        assert grade_row.manual_score is None
        assert gb.find_comment("q3_vanishing_gradient", NB, A, "alice").manual_comment is None
    assert get_overrides(db, A, "alice") == {}
    back = apply_overrides(grade("alice"), get_overrides(db, A, "alice"))
    c = by_gid(back)["q3_vanishing_gradient"]
    assert c.points == 1.5 and c.flagged and "Score set by a TA" not in c.message
    assert clear_override(db, A, "alice", "q3_vanishing_gradient") is False  # nothing left to clear


def test_full_marks_override_passes_and_a_zero_override_counts(db):
    set_override(db, A, "alice", "q4_wide_vs_deep", 3, "the student meant 'not always'; see the next sentence")
    set_override(db, A, "bob", "q3_vanishing_gradient", 0, "copied from a classmate")
    a = by_gid(apply_overrides(grade("alice"), get_overrides(db, A, "alice")))["q4_wide_vs_deep"]
    assert a.points == 3 and a.status is Status.PASSED
    b = by_gid(apply_overrides(grade("bob"), get_overrides(db, A, "bob")))["q3_vanishing_gradient"]
    assert b.points == 0 and b.status is Status.FAILED and "copied from a classmate" in b.message


def test_setting_twice_replaces_and_apply_does_not_change_its_input(db):
    set_override(db, A, "alice", "q3_vanishing_gradient", 2, "first look")
    set_override(db, A, "alice", "q3_vanishing_gradient", 2.5, None)
    ovs = get_overrides(db, A, "alice")
    assert ovs["q3_vanishing_gradient"].score == 2.5 and ovs["q3_vanishing_gradient"].comment is None
    original = grade("alice")
    before = original.to_dict()
    apply_overrides(original, ovs)
    assert original.to_dict() == before


def test_override_on_a_gradebook_nbgrader_already_filled(tmp_path, alembic_on_path):
    """Rows made beforehand with nbgrader's API (as `nbgrader autograde` or our gradebook export
    would) are reused, not duplicated; the automatic score stays where it was."""
    db = f"sqlite:///{tmp_path / 'nbgrader.db'}"
    with Gradebook(db) as gb:
        gb.add_assignment(A)
        gb.add_notebook(NB, A)
        gb.add_grade_cell("q3_vanishing_gradient", NB, A, max_score=3, cell_type="markdown")
        gb.add_solution_cell("q3_vanishing_gradient", NB, A)
        gb.add_student("carol")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gb.add_submission(A, "carol")
        g = gb.find_grade("q3_vanishing_gradient", NB, A, "carol")
        g.auto_score = 1.0
        gb.db.commit()
    set_override(db, A, "carol", "q3_vanishing_gradient", 2, "ok")
    with Gradebook(db) as gb:
        g = gb.find_grade("q3_vanishing_gradient", NB, A, "carol")
        assert (g.auto_score, g.manual_score, g.score) == (1.0, 2.0, 2.0)
        assert len(gb.find_notebook(NB, A).grade_cells) == 1
    clear_override(db, A, "carol", "q3_vanishing_gradient")
    with Gradebook(db) as gb:
        g = gb.find_grade("q3_vanishing_gradient", NB, A, "carol")
        assert (g.auto_score, g.manual_score, g.score) == (1.0, None, 1.0)


def test_submission_made_before_the_grade_cell_existed(tmp_path, alembic_on_path):
    db = f"sqlite:///{tmp_path / 'nbgrader.db'}"
    with Gradebook(db) as gb:
        gb.add_assignment(A)
        gb.add_notebook(NB, A)
        gb.add_student("dave")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gb.add_submission(A, "dave")
        # the cell arrives later (a new question, written by the next grade-all)
        gb.add_grade_cell("q5_softmax", NB, A, max_score=3, cell_type="markdown")
        gb.add_solution_cell("q5_softmax", NB, A)
    set_override(db, A, "dave", "q5_softmax", 1.5, "partly right")
    with Gradebook(db) as gb:
        assert gb.find_grade("q5_softmax", NB, A, "dave").manual_score == 1.5


def test_bad_overrides_are_refused(db):
    with pytest.raises(GradebookError, match="above the 3 points"):
        set_override(db, A, "alice", "q3_vanishing_gradient", 3.5, "")
    with pytest.raises(GradebookError, match="0 or more"):
        set_override(db, A, "alice", "q3_vanishing_gradient", -1, "")
    with pytest.raises(GradebookError, match="must be a number"):
        set_override(db, A, "alice", "q3_vanishing_gradient", "three", "")
    with pytest.raises(GradebookError, match="no grade cell 'q9_nope'"):
        set_override(db, A, "alice", "q9_nope", 1, "")
    with pytest.raises(GradebookError, match="cannot open the gradebook"):
        set_override("nosuchdialect://x/y", A, "alice", "q3_vanishing_gradient", 1, "")


def test_an_unknown_student_or_cell_is_refused_with_the_close_matches(db):
    """A typo must not become a new "missing" student in the CSV, the summary and the gradebook."""
    with pytest.raises(GradebookError, match=r"no student 'alcie' in the gradebook; did you mean alice\?"):
        set_override(db, A, "alcie", "q3_vanishing_gradient", 2, "")
    with pytest.raises(GradebookError, match=r"no grade cell 'q3_vanishing_gradeint'.*did you mean q3_vanishing_gradient"):
        set_override(db, A, "alice", "q3_vanishing_gradeint", 2, "")
    with pytest.raises(GradebookError, match=r"no assignment 'pytorch_basic'.*did you mean pytorch_basics"):
        clear_override(db, "pytorch_basic", "alice", "q3_vanishing_gradient")
    with Gradebook(db) as gb:
        assert sorted(s.id for s in gb.students) == CLASS
        assert not gb.find_assignment(A).submissions


def test_a_gradebook_that_does_not_exist_is_never_created(tmp_path):
    p = tmp_path / "none.db"
    assert get_overrides(f"sqlite:///{p}", A, "alice") == {}
    for change in (lambda: clear_override(f"sqlite:///{p}", A, "alice", "q3_vanishing_gradient"),
                   lambda: set_override(f"sqlite:///{p}", A, "alice", "q3_vanishing_gradient", 1, "")):
        with pytest.raises(GradebookError, match="no gradebook at sqlite:///.*none.db: grade the class first"):
            change()
    assert not p.exists()


def test_override_split_over_the_checks_of_a_code_grade_cell():
    checks = [
        CheckResult("sigmoid: values", "check_activations", NB, 2, 2, Status.PASSED),
        CheckResult("relu: values", "check_activations", NB, 0, 3, Status.FAILED, message="wrong"),
        CheckResult("collapse_linear: W", "check_collapse_linear", NB, 3, 3, Status.PASSED),
    ]
    r = SubmissionResult(A, "erin", checks)
    out = apply_overrides(r, {"check_activations": Override("check_activations", NB, 4, "partial credit for relu", 5)})
    pts = [c.points for c in out.checks]
    assert pts == [pytest.approx(1.6), pytest.approx(2.4), 3]
    assert out.score == pytest.approx(7)


# ---------------------------------------------------------------------------------------------
# the queue


def test_queue_lists_the_flagged_with_reasons_and_the_command():
    results = [grade("alice"), grade("bob")]
    q = review_queue(results)
    got = {(e.student, e.grade_id) for e in q}
    assert got == {("alice", "q3_vanishing_gradient"), ("alice", "q4_wide_vs_deep"), ("bob", "q6_sgd_vs_adam")}
    assert [e.grade_id for e in q] == sorted(e.grade_id for e in q)  # question by question
    e = {(x.student, x.grade_id): x for x in q}
    mid = e[("alice", "q3_vanishing_gradient")]
    assert any("review band" in r and "unsure" in r for r in mid.reasons)
    assert mid.points == 1.5 and mid.max_points == 3 and 0 <= mid.confidence <= 1
    assert mid.command == 'autograder review set pytorch_basics alice q3_vanishing_gradient 1.5 --comment "..."'
    assert any("misconception" in r and "not always better" in r for r in e[("alice", "q4_wide_vs_deep")].reasons)
    assert any("list of terms" in r for r in e[("bob", "q6_sgd_vs_adam")].reasons)
    text = review.render_queue(q, A)
    assert text.startswith("3 answer(s) of pytorch_basics waiting for review")
    assert "flagged because:" in text and "answer: 梯度消失就是梯度越来越小" in text
    assert text.count("settle it: autograder review set ") == 3


def test_queue_quotes_odd_student_ids():
    r = grade("alice")
    r = dataclasses.replace(r, student="o'brien smith")
    (entry, *_) = review_queue([r])
    assert "'o'\"'\"'brien smith'" in entry.command


def test_overridden_answers_leave_the_queue(db):
    set_override(db, A, "alice", "q3_vanishing_gradient", 2, "fine")
    results = [apply_overrides(grade(s), get_overrides(db, A, s)) for s in ("alice", "bob")]
    assert ("alice", "q3_vanishing_gradient") not in {(e.student, e.grade_id) for e in review_queue(results)}


def test_cli_commands_round_trip(tmp_path, db):
    out = tmp_path / "results"
    (out / "alice").mkdir(parents=True)
    (out / "bob").mkdir()
    (out / "alice" / "result.json").write_text(grade("alice").dumps(), encoding="utf-8")
    (out / "bob" / "result.json").write_text(grade("bob").dumps(), encoding="utf-8")
    (out / "bob" / "results.json").write_text(json.dumps({"score": 3, "tests": []}), encoding="utf-8")  # not ours

    where = GradebookLocation.of(db)
    listing = cmd_review_list(A, out, where)
    assert "3 answer(s)" in listing and "alice - q3_vanishing_gradient" in listing

    said = cmd_review_set(where, A, "alice", "q3_vanishing_gradient", "2.5", "brief but right")
    path = db.removeprefix("sqlite:///")
    assert "score set to 2.5/3" in said
    assert f"autograder review clear pytorch_basics alice q3_vanishing_gradient --db {path}" in said  # undo names the gradebook
    listing = cmd_review_list(A, out, where)
    assert "2 answer(s)" in listing and "alice - q3_vanishing_gradient" not in listing
    assert f"--comment \"...\" --db {path}" in listing  # every settle command names the gradebook
    assert "alice - q3" not in cmd_review_list(A, out, where, grade_id="q3_vanishing_gradient")
    assert "bob" not in cmd_review_list(A, out, where, student="alice")

    assert "cleared" in cmd_review_clear(where, A, "alice", "q3_vanishing_gradient")
    assert "alice - q3_vanishing_gradient" in cmd_review_list(A, out, where)
    assert "no TA score" in cmd_review_clear(where, A, "alice", "q3_vanishing_gradient")
    assert cmd_review_list("other_assignment", out, where) == "No answers of other_assignment are waiting for review."


def test_plain_file_path_is_a_sqlite_gradebook(tmp_path):
    path = tmp_path / "gb.db"
    write_gradebook(f"sqlite:///{path}", CONFIG, [], students=["alice"])
    set_override(path, A, "alice", "q3_vanishing_gradient", 2, "x")
    with Gradebook(f"sqlite:///{path}") as gb:
        assert gb.find_grade("q3_vanishing_gradient", NB, A, "alice").manual_score == 2
    with pytest.raises(MissingEntry):
        with Gradebook(f"sqlite:///{path}") as gb:
            gb.find_grade("q3_vanishing_gradient", NB, A, "bob")


def test_a_folder_without_results_is_refused_not_read_as_an_empty_queue(tmp_path, db):
    """A TA who points --results at the wrong folder (the submissions, the course) is told so, not
    that nothing waits for review."""
    wrong = tmp_path / "submissions"
    (wrong / "alice").mkdir(parents=True)
    (wrong / "alice" / "03_activations_and_optimizers.ipynb").write_text("{}", encoding="utf-8")
    (wrong / "grades.csv").write_text("student,total\n", encoding="utf-8")
    for given in (wrong, wrong / "grades.csv"):
        with pytest.raises(review.ReviewError, match="no grading results.*grade-all wrote"):
            cmd_review_list(A, given, GradebookLocation.of(db))

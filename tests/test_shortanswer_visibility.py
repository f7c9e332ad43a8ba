"""What students see of short-answer feedback: a course setting with a safe default, honoured by
every student-facing output (Gradescope and PrairieLearn results.json, feedback.html, the text
summary and `autograder check`'s printout), while TA-facing data keeps the rubric's wording."""
from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

from autograder import grade_command
from autograder.assignment import load_assignment
from autograder.settings import SettingsError, load_settings
from autograder.course import assignment_paths
from autograder.grading import _short_answers
from autograder.notebooks import recognise
from autograder.reporters import gradescope, prairielearn
from autograder.reporters.html import render_feedback
from autograder.reporters.text import summary_lines
from autograder.results import SubmissionResult
from autograder.shortanswers import (
    FeedbackPolicy, FeedbackPolicyError, Level, feedback_level, grade_short_answers, load_rubric,
)

ROOT = Path(__file__).resolve().parents[1]
RUBRIC_PATH = ROOT / "source" / "pytorch_basics" / "grading" / "rubrics.toml"
NB03 = ROOT / "source" / "pytorch_basics" / "03_activations_and_optimizers.ipynb"
UTC = timezone.utc

# partial answers, one with a misconception: every kind of feedback line appears
PARTIAL = {
    "q1_alexnet": "AlexNet uses ReLU and dropout.",
    "q2_activation_functions": "They add non-linearity.",
    "q3_vanishing_gradient": "The gradients get very small in the first layers.",
    "q4_wide_vs_deep": "Deeper networks learn hierarchical features.",
    "q5_softmax": "Softmax gives independent probabilities that need not sum to 1.",
    "q6_sgd_vs_adam": "Adam converges faster.",
}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC_PATH)


def rubric_wording(rubric) -> list[str]:
    """Every concept label and misconception correction, in both languages."""
    out = []
    for q in rubric.questions.values():
        out += [c.en for c in q.concepts] + [c.zh for c in q.concepts]
        out += [m.en for m in q.misconceptions] + [m.zh for m in q.misconceptions]
    return out


def submission(answers: dict[str, str]):
    nb = nbformat.read(str(NB03), as_version=4)
    for c in nb.cells:
        gid = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            c.source = answers[gid]
    return nb


def student_outputs(result: SubmissionResult, capsys) -> dict[str, str]:
    grade_command.print_public(result)
    return {
        "gradescope": json.dumps(gradescope.render(result), ensure_ascii=False),
        "prairielearn": json.dumps(prairielearn.render(result), ensure_ascii=False),
        "feedback.html": render_feedback(result),
        "summary": "\n".join(summary_lines(result)),
        "autograder check": capsys.readouterr().out,
    }


def graded(rubric, level):
    checks = grade_short_answers(submission(PARTIAL), rubric, level=level)
    return SubmissionResult("pytorch_basics", "alice", checks)


@pytest.mark.parametrize("level", [Level.ASPECTS, Level.SCORE])
def test_no_rubric_wording_reaches_a_student_before_the_deadline(rubric, capsys, level):
    import html

    result = graded(rubric, level)
    assert all(c.points < 3 for c in result.checks)
    wording = rubric_wording(rubric)
    for name, text in student_outputs(result, capsys).items():
        plain = html.unescape(text)
        assert [w for w in wording if w in plain] == [], name
    # what the TA reads keeps it (review queue, class summary)
    q5 = next(c for c in result.checks if c.grade_id == "q5_softmax")
    assert q5.details["misconceptions"] and q5.details["concepts_missed"][0]["en"] in wording


def test_aspects_say_which_part_is_not_yet_answered(rubric, capsys):
    result = graded(rubric, Level.ASPECTS)
    q3 = next(c for c in result.checks if c.grade_id == "q3_vanishing_gradient")
    why = rubric.questions["q3_vanishing_gradient"].aspect("why")
    assert "Not yet answered" in q3.message and why.en in q3.message and why.zh in q3.message
    q5 = next(c for c in result.checks if c.grade_id == "q5_softmax")
    properties = rubric.questions["q5_softmax"].aspect("properties")
    assert f"Check what you wrote about / 请检查你关于这部分的表述: {properties.label}" in q5.message
    page = student_outputs(result, capsys)["feedback.html"]
    assert "Not yet answered · 尚未回答的部分" in page and why.en in page


def test_the_score_level_shows_the_score_only(rubric):
    result = graded(rubric, Level.SCORE)
    q3 = next(c for c in result.checks if c.grade_id == "q3_vanishing_gradient")
    assert q3.message.splitlines()[0] == f"{q3.points:g}/3 points. / 得分 {q3.points:g}/3。"
    assert "Not yet answered" not in q3.message and q3.details["feedback"]["missing"] == []


def test_the_rubric_level_shows_the_rubric_wording(rubric, capsys):
    result = graded(rubric, Level.RUBRIC)
    outputs = student_outputs(result, capsys)
    shown = [w for w in rubric_wording(rubric) if w in outputs["gradescope"]]
    assert len(shown) >= 10
    assert "they always sum to 1" in outputs["prairielearn"]  # the misconception's correction


def test_policy_defaults_and_errors():
    p = FeedbackPolicy()
    assert (p.before_due, p.after_due, p.due) == (Level.ASPECTS, Level.RUBRIC, None)
    assert all(name in FeedbackPolicy.help() for name in ("before_due", "after_due", "due"))
    due = datetime(2025, 10, 20, 23, 59, tzinfo=timezone(timedelta(hours=8)))
    p = FeedbackPolicy.from_mapping({"before_due": "score", "after_due": "aspects", "due": due})
    assert (p.before_due, p.after_due, p.due) == (Level.SCORE, Level.ASPECTS, due)
    with pytest.raises(FeedbackPolicyError, match="unknown key 'visible'"):
        FeedbackPolicy.from_mapping({"visible": "yes"})
    with pytest.raises(FeedbackPolicyError, match="before_due = 'all'; use one of score, aspects, rubric"):
        FeedbackPolicy.from_mapping({"before_due": "all"})
    with pytest.raises(FeedbackPolicyError, match="time zone"):
        FeedbackPolicy.from_mapping({"due": datetime(2025, 10, 20, 23, 59)})


def test_feedback_level_decides_by_the_deadline():
    due = datetime(2025, 10, 20, 12, 0, tzinfo=UTC)
    p = FeedbackPolicy(due=due)
    assert feedback_level(p, due - timedelta(seconds=1)) is Level.ASPECTS
    assert feedback_level(p, due) is Level.RUBRIC
    assert feedback_level(FeedbackPolicy(), due + timedelta(days=999)) is Level.ASPECTS  # no deadline: never
    extension = due + timedelta(days=3)  # a student's own deadline wins
    assert feedback_level(p, due + timedelta(days=1), extension) is Level.ASPECTS
    never = FeedbackPolicy(after_due=Level.ASPECTS, due=due)
    assert feedback_level(never, due + timedelta(days=1)) is Level.ASPECTS


def test_grading_honours_the_course_setting(tmp_path, rubric):
    paths = assignment_paths("pytorch_basics", ROOT)
    config = load_assignment(paths.config_file)
    assert config.sections["short_answer_feedback"] == {"before_due": "aspects", "after_due": "rubric"}
    sub = tmp_path / "sub"
    sub.mkdir()
    nbformat.write(submission(PARTIAL), str(sub / "03.ipynb"))
    shutil.copy(ROOT / "release" / "pytorch_basics" / "01_tensor_ops.ipynb", sub / "01.ipynb")
    rec = recognise(sub, config)
    due = datetime(2025, 10, 20, 12, 0, tzinfo=UTC)
    with_due = dataclasses.replace(config, settings=load_settings(
        {"short_answer_feedback": {"after_due": "rubric", "due": due}}, "assignment.toml"))
    label = rubric.questions["q3_vanishing_gradient"].concepts[1].en  # chain rule: missing
    before = {c.grade_id: c for c in _short_answers(with_due, rec, paths, due - timedelta(hours=1))}
    after = {c.grade_id: c for c in _short_answers(with_due, rec, paths, due + timedelta(hours=1))}
    assert label not in before["q3_vanishing_gradient"].message
    assert label in after["q3_vanishing_gradient"].message
    assert before["q3_vanishing_gradient"].points == after["q3_vanishing_gradient"].points
    # a wrong setting is refused when the assignment is loaded, with the file and the section
    with pytest.raises(SettingsError, match=r"assignment.toml: \[short_answer_feedback\] before_due = 'all'"):
        load_settings({"short_answer_feedback": {"before_due": "all"}}, "assignment.toml")

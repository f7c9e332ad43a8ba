"""Short answers: rubric loading, answer extraction, scoring, feedback, and agreement with the
TA-labelled answers (tests/data/short_answers/).

The agreement figures are printed in pytest's terminal summary; `benchmarks/short_answers.py`
prints the same figures (and `-v` one line per answer).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from autograder.results import Status, Visibility
from autograder.shortanswers import (
    Level, RubricError, extract_answer, grade_short_answers, load_rubric, parse_rubric, prompts_from_notebook,
)
from autograder.shortanswers import benchmark
from autograder.shortanswers import extract as ex
from autograder.shortanswers.rubric import compile_term
from autograder.shortanswers.score import score_text

ROOT = Path(__file__).resolve().parents[1]
RUBRIC_PATH = ROOT / "source" / "pytorch_basics" / "grading" / "rubrics.toml"
DATA = ROOT / "tests" / "data" / "short_answers"
SOURCE_NB03 = ROOT / "source" / "pytorch_basics" / "03_activations_and_optimizers.ipynb"
GRADE_IDS = [
    "q1_alexnet", "q2_activation_functions", "q3_vanishing_gradient", "q4_wide_vs_deep", "q5_softmax",
    "q6_sgd_vs_adam",
]


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC_PATH)


class _Figures:
    """Adds the agreement figures to pytest's terminal summary."""

    def __init__(self):
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter):
        if self.lines:
            terminalreporter.write_sep("-", "short-answer agreement with TA labels")
            for line in self.lines:
                terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def figures(request):
    pm = request.config.pluginmanager
    plugin = pm.get_plugin("shortanswer-figures")
    if plugin is None:
        plugin = _Figures()
        pm.register(plugin, "shortanswer-figures")
    return plugin


@pytest.fixture(scope="module")
def labelled_run(rubric):
    return benchmark.run(DATA / "labelled.toml", rubric)


@pytest.fixture(scope="module")
def holdout_run(rubric):
    return benchmark.run(DATA / "holdout.toml", rubric)


# ---------------------------------------------------------------------------------------------
# notebooks for the tests


def md(text, grade_id=None, **nbg):
    cell = nbformat.v4.new_markdown_cell(text)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "grade_id": grade_id, "points": 3, **nbg}
    return cell


def code(text, grade_id=None):
    cell = nbformat.v4.new_code_cell(text)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": grade_id}
    return cell


def prompt_of(rubric, gid):
    q = rubric.questions[gid]
    return f"### Question (3 points)\n\n{q.title}\n\n{q.title_zh}"


def notebook(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def full_notebook(rubric, answers: dict[str, str]):
    cells = [md("# Notebook 3: short answers")]
    for gid in GRADE_IDS:
        cells += [md(prompt_of(rubric, gid)), md(answers.get(gid, "YOUR ANSWER HERE"), gid)]
    return notebook(*cells)


def extract(rubric, nb, gid, release_prompt=None):
    q = rubric.questions[gid]
    others = [t for g, oq in rubric.questions.items() if g != gid for t in oq.prompts]
    return extract_answer(nb, gid, release_prompt=release_prompt, question_prompts=q.prompts,
                          other_prompts=others, stub_texts=rubric.settings.stub_texts)


def grade_one(rubric, nb, gid, release_prompts=None, level=Level.ASPECTS):
    results = {c.grade_id: c for c in grade_short_answers(nb, rubric, release_prompts, level=level)}
    return results[gid]


GOOD_Q3 = (
    "By the chain rule the gradient of an early layer is a product of many derivatives smaller than 1, "
    "so it shrinks exponentially and the first layers learn very slowly."
)


# ---------------------------------------------------------------------------------------------
# agreement with the labelled answers


def test_labelled_set_is_big_enough_and_varied():
    answers = tomllib.loads((DATA / "labelled.toml").read_text(encoding="utf-8"))["answer"]
    assert len(answers) >= 60
    for gid in GRADE_IDS:
        mine = [a for a in answers if a["grade_id"] == gid]
        assert len(mine) >= 10, gid
        kinds = {a["kind"] for a in mine}
        assert {"complete", "partial", "stuffed", "copied_prompt"} <= kinds, (gid, kinds)
        assert kinds & {"empty", "stub"}, gid
        assert kinds & {"wrong", "off_topic", "misconception"}, gid
    assert {a["lang"] for a in answers} == {"en", "zh", "mixed"}
    for a in answers:
        assert 0 <= a["score"] <= 3 and a["score"] * 2 == int(a["score"] * 2), a["id"]


def test_agreement_with_ta_labels(labelled_run, holdout_run, figures):
    figures.lines[:] = [
        "labelled set (tests/data/short_answers/labelled.toml): " + labelled_run.summary(),
        "held-out set (tests/data/short_answers/holdout.toml, never tuned on): " + holdout_run.summary(),
        "per answer: .venv/bin/python benchmarks/short_answers.py -v",
    ]
    print("\n" + "\n".join(figures.lines))
    off = [f"{r.id}: label {r.label:g}, auto {r.auto:g}" for r in labelled_run.rows if abs(r.diff) > 1]
    assert labelled_run.within_one >= 0.90, off
    assert holdout_run.within_one >= 0.85


@pytest.mark.parametrize("which", ["labelled", "holdout"])
def test_empty_stub_and_copied_prompt_never_score(which, labelled_run, holdout_run):
    run = labelled_run if which == "labelled" else holdout_run
    rows = [r for r in run.rows if r.kind in ("empty", "stub", "copied_prompt")]
    assert rows
    for r in rows:
        assert r.auto == 0, r.id
        assert not r.flagged, r.id


@pytest.mark.parametrize("which", ["labelled", "holdout"])
def test_keyword_stuffing_is_capped_and_flagged(which, labelled_run, holdout_run):
    run = labelled_run if which == "labelled" else holdout_run
    rows = [r for r in run.rows if r.kind == "stuffed"]
    assert rows
    for r in rows:
        assert r.auto <= 1.0, r.id
        assert r.flagged, r.id
        assert any("list of terms" in x for x in r.reasons), (r.id, r.reasons)


def test_complete_answers_get_full_marks_in_every_language(labelled_run):
    rows = [r for r in labelled_run.rows if r.kind == "complete"]
    assert {r.lang for r in rows} == {"en", "zh", "mixed"}
    for r in rows:
        assert r.auto == 3, r.id


def test_misconceptions_cost_points_and_are_flagged(labelled_run):
    rows = [r for r in labelled_run.rows if r.kind == "misconception"]
    assert len(rows) >= 6
    for r in rows:
        assert r.auto <= 0.5, r.id
        assert r.flagged, r.id


# ---------------------------------------------------------------------------------------------
# check records and feedback


def test_check_results_for_a_whole_notebook(rubric):
    nb = full_notebook(rubric, {"q3_vanishing_gradient": GOOD_Q3, "q5_softmax": "Softmax is used to get probabilities."})
    results = grade_short_answers(nb, rubric, level=Level.RUBRIC)
    assert [c.grade_id for c in results] == GRADE_IDS
    by = {c.grade_id: c for c in results}
    q3 = by["q3_vanishing_gradient"]
    assert q3.name == "q3_vanishing_gradient: what is the vanishing-gradient phenomenon?"
    assert q3.notebook == "03_activations_and_optimizers"
    assert q3.max_points == 3 and q3.points == 3 and q3.status is Status.PASSED
    assert q3.visibility is Visibility.VISIBLE and q3.tags == ("short_answer",)
    assert 0 <= q3.details["confidence"] <= 1
    assert {c["id"] for c in q3.details["concepts_matched"]} >= {"shrink", "chain_rule"}
    q5 = by["q5_softmax"]
    assert 0 < q5.points < 3 and q5.status is Status.FAILED
    assert "Missing" in q5.message and "cross-entropy" in q5.message  # names the missing concept by label
    for gid in ("q1_alexnet", "q2_activation_functions", "q4_wide_vs_deep", "q6_sgd_vs_adam"):
        c = by[gid]
        assert c.points == 0 and not c.flagged and c.details["answer_status"] == "stub"
        assert "placeholder" in c.message


def test_feedback_names_labels_in_both_languages(rubric):
    c = grade_one(rubric, full_notebook(rubric, {"q3_vanishing_gradient": "梯度越来越小，前面的层训练很慢。"}), "q3_vanishing_gradient",
                  level=Level.RUBRIC)
    q = rubric.questions["q3_vanishing_gradient"]
    by = {x.id: x for x in q.concepts}
    assert by["shrink"].en in c.message and by["shrink"].zh in c.message
    assert by["chain_rule"].en in c.message and by["chain_rule"].zh in c.message  # missing, by label


def test_feedback_never_leaks_rubric_patterns(rubric, labelled_run):
    # patterns that are plain words ("sigmoid") are ordinary words that labels use too; every
    # pattern with regex syntax must never show
    patterns = [p for p in rubric.raw_pattern_texts() if re.search(r"[\\()\[\]{}|.*+?^$]", p)]
    assert len(patterns) > 50
    answers = tomllib.loads((DATA / "labelled.toml").read_text(encoding="utf-8"))["answer"]
    messages = []
    for a in answers:
        nb = benchmark.answer_notebook(rubric, a["grade_id"], a["text"])
        for c in grade_short_answers(nb, rubric):
            if c.grade_id == a["grade_id"]:
                messages.append(c.message)
    for m in messages:
        for p in patterns:
            assert p not in m
        assert not re.search(r"\\[sbwd]|\{0,\d+\}|\(\?<", m), m  # nothing that looks like a regex


def test_mixed_language_answer(rubric):
    q = rubric.questions["q6_sgd_vs_adam"]
    s = score_text("Adam 对每个参数用不同的 learning rate，收敛更快；但 SGD 的 generalization 往往更好，所以 it depends。", q, rubric.settings)
    assert s.points == 3
    assert {"adaptive_lr", "fast_convergence", "sgd_generalises", "depends"} <= set(s.matched)


def test_negated_misconception_is_not_one(rubric):
    q3 = rubric.questions["q3_vanishing_gradient"]
    s = score_text("Sigmoid does not solve the vanishing gradient; its derivative is at most 0.25, so the gradient gets smaller in early layers.", q3, rubric.settings)
    assert s.misconceptions == ()
    q4 = rubric.questions["q4_wide_vs_deep"]
    s = score_text("Deeper is not always better: very deep networks are harder to train.", q4, rubric.settings)
    assert s.misconceptions == () and "tradeoff" in s.matched
    s = score_text("Deeper is always better.", q4, rubric.settings)
    assert s.misconceptions == ("deeper_always",) and s.points == 0 and s.flagged


def test_misconception_feedback_gives_the_correction(rubric):
    c = grade_one(rubric, full_notebook(rubric, {"q5_softmax": "Softmax gives independent probabilities that need not sum to 1."}), "q5_softmax",
                  level=Level.RUBRIC)
    assert c.flagged and c.details["misconceptions"]
    assert "they always sum to 1" in c.message
    assert any("misconception" in r for r in c.details["flag_reasons"])


def test_flagging_rules(rubric):
    q = rubric.questions["q5_softmax"]
    # a plain partial answer the grader is sure of is not sent to a TA, middle band or not
    mid = score_text("Softmax turns the scores into a probability distribution.", q, rubric.settings)
    assert 1 <= mid.points <= 2 and mid.confidence >= rubric.settings.review_confidence and not mid.flagged
    full = score_text(
        "Softmax maps logits to a probability distribution: outputs are positive and sum to 1. "
        "With cross-entropy loss it is the standard output for multi-class classification.", q, rubric.settings)
    assert full.points == 3 and not full.flagged and full.confidence >= 0.8
    # on topic, but matching nothing: low confidence, flagged
    para = score_text(
        "The output layer gives a score for each class. We turn those scores into something we can compare "
        "between classes. Then the class with the highest score is predicted by the output layer.", q, rubric.settings)
    assert para.confidence < rubric.settings.low_confidence and para.flagged
    # in the band and unsure: flagged, with the reason in words
    unsure = score_text("Softmax gives probabilities. The output layer then compares the scores of the classes "
                        "and the training uses them.", q, rubric.settings)
    assert 1 <= unsure.points <= 2 and unsure.flagged and any("review band" in r for r in unsure.flag_reasons)


def test_review_band_is_a_share_of_the_question_points():
    """Issue 12: with a fixed 1-2 point band, a full-marks answer to a 2-point question was flagged."""
    rubric = parse_rubric(MINIMAL.replace("points = 3\n", "points = 2\n", 1).replace('id = "a"\npoints = 3', 'id = "a"\npoints = 2'))
    q = rubric.questions["q1"]
    assert q.points == 2
    s = score_text("The grader checks the answer because of this reason, and it is explained here.", q, rubric.settings)
    assert s.points == 2 and not s.flagged
    # the band itself scales: 0.3-0.7 of 2 points is 0.6-1.4
    lo, hi = rubric.settings.review_band
    assert (lo * q.points, hi * q.points) == (0.6, 1.4)


def test_stuffing_detection_spares_real_bullet_lists(rubric):
    q1 = rubric.questions["q1_alexnet"]
    listy = score_text("- ReLU\n- dropout\n- GPU\n- data augmentation\n- ImageNet\n- overfitting", q1, rubric.settings)
    assert listy.stuffing and listy.points <= 1 and listy.flagged
    explained = score_text(
        "- ReLU does not saturate, so training is faster\n- dropout reduces overfitting in the FC layers\n"
        "- data augmentation gives more varied training data\n- two GPUs made the big model trainable on ImageNet",
        q1, rubric.settings)
    assert not explained.stuffing and explained.points == 3
    dense = score_text("Adam SGD momentum RMSProp adaptive learning rate bias correction generalization depends converges faster",
                       rubric.questions["q6_sgd_vs_adam"], rubric.settings)
    assert dense.stuffing and dense.points <= 1


def test_confidence_is_in_range(labelled_run, holdout_run):
    for r in labelled_run.rows + holdout_run.rows:
        assert 0 <= r.confidence <= 1


# ---------------------------------------------------------------------------------------------
# extraction


def test_stub_and_empty(rubric):
    gid = "q3_vanishing_gradient"
    a = extract(rubric, notebook(md(prompt_of(rubric, gid)), md("YOUR ANSWER HERE", gid)), gid)
    assert a.status == ex.STUB and a.text == ""
    a = extract(rubric, notebook(md(prompt_of(rubric, gid)), md("  \n", gid)), gid)
    assert a.status == ex.EMPTY
    c = grade_one(rubric, notebook(md(prompt_of(rubric, gid)), md("", gid)), gid)
    assert c.points == 0 and not c.flagged and "empty" in c.message
    a = extract(rubric, notebook(md(prompt_of(rubric, gid)), md("YOUR ANSWER HERE\n\n" + GOOD_Q3, gid)), gid)
    assert a.status == ex.ANSWERED and "YOUR ANSWER" not in a.text


@pytest.mark.parametrize("use_release", [True, False])
def test_answer_that_only_repeats_the_prompt(rubric, use_release):
    gid = "q4_wide_vs_deep"
    release_prompt = "**Question 4** (3 points). Is a wider or a deeper network better? Explain.\n\n神经网络是更宽好还是更深好？请解释。"
    nb = notebook(md(release_prompt), md(release_prompt, gid))
    prompts = {gid: release_prompt} if use_release else None
    c = grade_one(rubric, nb, gid, prompts)
    assert c.points == 0 and not c.flagged
    assert c.details["answer_status"] == "prompt_only" and "repeats the question" in c.message


def test_copied_prompt_then_answer_keeps_the_answer(rubric):
    gid = "q3_vanishing_gradient"
    nb = notebook(md(prompt_of(rubric, gid)), md("梯度消失现象是什么？\n\n" + GOOD_Q3, gid))
    a = extract(rubric, nb, gid)
    assert a.status == ex.ANSWERED and "梯度消失现象是什么" not in a.text
    assert any("copy of the question" in n for n in a.notes)
    assert grade_one(rubric, nb, gid).points == 3


def test_answer_in_a_code_cell_as_comments(rubric):
    gid = "q3_vanishing_gradient"
    comment = "\n".join("# " + line for line in GOOD_Q3.split(", "))
    nb = notebook(md(prompt_of(rubric, gid)), md("YOUR ANSWER HERE", gid), code(comment + "\nx = 1  # scratch"),
                  md(prompt_of(rubric, "q4_wide_vs_deep")), md("YOUR ANSWER HERE", "q4_wide_vs_deep"))
    c = grade_one(rubric, nb, gid)
    assert c.details["answer_source"] == "code_cell" and c.points == 3
    assert "code cell" in c.message


def test_answer_as_a_string_in_a_code_cell_above_the_answer_cell(rubric):
    gid = "q5_softmax"
    nb = notebook(
        md(prompt_of(rubric, gid)),
        code('answer = """Softmax turns logits into a probability distribution that sums to 1, and with '
             'cross-entropy it trains multi-class classifiers."""'),
        md("YOUR ANSWER HERE", gid),
    )
    c = grade_one(rubric, nb, gid)
    assert c.details["answer_source"] == "code_cell" and c.points == 3


def test_answer_cell_turned_into_a_code_cell(rubric):
    gid = "q3_vanishing_gradient"
    for text in (GOOD_Q3, "梯度消失是指反向传播时梯度按链式法则连乘，越往前越小，前面的层几乎不更新"):
        cell = code(text, gid)
        cell.metadata["nbgrader"]["grade"] = True
        nb = notebook(md(prompt_of(rubric, gid)), cell)
        c = grade_one(rubric, nb, gid)
        assert c.details["answer_source"] == "code_cell", text
        assert c.points >= 2.5, (text, c.points)
        assert "code cell" in c.message


def test_code_cells_without_prose_are_not_answers(rubric):
    gid = "q3_vanishing_gradient"
    nb = notebook(md(prompt_of(rubric, gid)), md("YOUR ANSWER HERE", gid), code("import torch\nx = torch.randn(3)  # tmp\nprint(x)"))
    a = extract(rubric, nb, gid)
    assert a.status == ex.STUB


def test_answer_split_across_cells_stops_at_the_next_question(rubric):
    gid = "q3_vanishing_gradient"
    nb = notebook(
        md(prompt_of(rubric, gid)),
        md("Gradients get smaller and smaller in the first layers during backpropagation.", gid),
        md("This is because by the chain rule we multiply many derivatives less than one."),
        md(prompt_of(rubric, "q4_wide_vs_deep")),
        md("Deeper networks learn hierarchical features.", "q4_wide_vs_deep"),
    )
    a = extract(rubric, nb, gid)
    assert a.found == ex.FOUND_CELL_SPLIT and "chain rule" in a.text and "hierarchical" not in a.text
    assert any("continues" in n for n in a.notes)
    c = grade_one(rubric, nb, gid)
    assert c.points == 3 and "continues" in c.message


def test_deleted_answer_cell_grades_the_text_after_the_prompt(rubric):
    gid = "q3_vanishing_gradient"
    nb = notebook(
        md(prompt_of(rubric, gid)),
        md(GOOD_Q3),  # the student's own cell, no nbgrader metadata
        md(prompt_of(rubric, "q4_wide_vs_deep")),
        md("Deeper networks learn hierarchical features.", "q4_wide_vs_deep"),
    )
    c = grade_one(rubric, nb, gid)
    assert c.details["answer_source"] == "after_prompt" and c.points == 3
    assert "missing" in c.message and "deleted" in c.message
    # prompt and answer both gone
    nb = notebook(md(prompt_of(rubric, "q4_wide_vs_deep")), md("Deeper networks learn hierarchical features.", "q4_wide_vs_deep"))
    c = grade_one(rubric, nb, gid)
    assert c.points == 0 and c.details["answer_status"] == "missing" and not c.flagged


def test_duplicated_answer_cell(rubric):
    gid = "q3_vanishing_gradient"
    nb = notebook(md(prompt_of(rubric, gid)), md("YOUR ANSWER HERE", gid), md(GOOD_Q3, gid))
    a = extract(rubric, nb, gid)
    assert a.status == ex.ANSWERED and a.text == GOOD_Q3 and any("2 times" in n for n in a.notes)


def test_release_prompts_from_a_release_notebook(rubric):
    release = full_notebook(rubric, {})
    prompts = prompts_from_notebook(release)
    assert set(prompts) == set(GRADE_IDS)
    assert "梯度消失现象是什么" in prompts["q3_vanishing_gradient"]
    sub = full_notebook(rubric, {"q3_vanishing_gradient": prompts["q3_vanishing_gradient"]})
    results = {c.grade_id: c for c in grade_short_answers(sub, rubric, release)}
    assert results["q3_vanishing_gradient"].details["answer_status"] == "prompt_only"


def test_notebook_from_a_file(rubric, tmp_path):
    nb = full_notebook(rubric, {"q3_vanishing_gradient": GOOD_Q3})
    p = tmp_path / "sub.ipynb"
    nbformat.write(nb, str(p))
    results = grade_short_answers(p, RUBRIC_PATH)
    assert len(results) == 6 and results[2].points == 3


def test_plain_dict_notebook(rubric):
    nb = benchmark.answer_notebook(rubric, "q5_softmax", "Softmax gives a probability distribution over classes.")
    assert isinstance(nb, dict)
    (c,) = [c for c in grade_short_answers(nb, rubric) if c.grade_id == "q5_softmax"]
    assert c.points >= 1


# ---------------------------------------------------------------------------------------------
# the rubric file


def test_the_rubric_file_is_well_formed(rubric):
    assert list(rubric.questions) == GRADE_IDS
    for q in rubric.questions.values():
        assert q.points == 3
        assert sum(c.points for c in q.concepts) >= q.points
        for c in q.concepts:
            assert c.en and c.zh
            assert re.search(r"[\u4e00-\u9fff]", c.zh), c.id
        for m in q.misconceptions:
            assert re.search(r"[\u4e00-\u9fff]", m.zh), m.id


def test_compile_term_rules():
    assert compile_term("non-linear*").search("nonlinearity")
    assert compile_term("non-linear*").search("non linear")
    assert compile_term("gpu").search("two gpus")
    assert not compile_term("relu").search("prelude")
    assert compile_term("relu").search("用relu激活")
    assert compile_term("梯度消失").search("发生梯度消失现象")
    assert not compile_term("exp").search("explain")


MINIMAL = '''
[questions.q1]
title = "Why?"
title_zh = "为什么？"
points = 3

[[questions.q1.concepts]]
id = "a"
points = 3
en = "because"
zh = "因为"
terms = ["because"]
'''


def test_minimal_rubric_parses():
    r = parse_rubric(MINIMAL, "mini.toml")
    assert r.questions["q1"].concepts[0].id == "a"


MISC = '\n[[questions.q1.misconceptions]]\nid = "m"\nen = "x"\nzh = "x"\npatterns = ["x"]\nvoids = ["nope"]\n'


@pytest.mark.parametrize("bad, key_line, expect", [
    (MINIMAL.replace('title_zh = "为什么？"', 'title_zh = "为什么？'), 'title_zh = "为什么？', r"not valid TOML: .*line 4"),
    (MINIMAL.replace('terms = ["because"]', "patterns = ['(unclosed']"), "patterns = ['(unclosed']",
     r"questions\.q1\.concepts\[0\]\.patterns\[0\]: invalid regular expression"),
    (MINIMAL.replace('terms = ["because"]', 'pattern = ["because"]'), 'pattern = ["because"]',
     r"questions\.q1\.concepts\[0\]\.pattern: unknown key"),
    (MINIMAL.replace('id = "a"\npoints = 3', 'id = "a"\npoints = 2'), "[questions.q1]",
     r"questions\.q1\.concepts: concept points add up to 2, less than the question's 3"),
    (MINIMAL.replace('id = "a"\npoints = 3', 'id = "a"\npoints = 1.3'), "points = 1.3",
     r"questions\.q1\.concepts\[0\]\.points: must be a multiple of 0\.5"),
    (MINIMAL.replace('title = "Why?"\n', ""), "[questions.q1]", r"questions\.q1\.title: missing"),
    (MINIMAL.replace('points = 3\n\n[[', 'points = 3\ncore = ["zzz"]\n\n[['), 'core = ["zzz"]',
     r"questions\.q1\.core: no concept 'zzz'"),
    (MINIMAL + MISC, 'voids = ["nope"]', r"questions\.q1\.misconceptions\[0\]\.voids: no concept 'nope'"),
    (MINIMAL.replace('terms = ["because"]', 'terms = "because"'), 'terms = "because"', r"terms: must be a list of strings"),
    ("[settings]\nreview_band = [0.7, 0.3]\n" + MINIMAL, "review_band = [0.7, 0.3]", r"settings\.review_band: low 0\.7 is above high 0\.3"),
    ("[settings]\nreview_band = [1, 2]\n" + MINIMAL, "review_band = [1, 2]", r"settings\.review_band: must be \[low, high\], shares"),
    ("", None, r"questions: no \[questions\.<grade_id>\] sections found"),
    (MINIMAL.replace("[[questions.q1.concepts]]", '[[questions.q1.aspects]]\nid = "why"\nen = "why"\nzh = "为什么"\n\n[[questions.q1.concepts]]'),
     "[[questions.q1.concepts]]", r"questions\.q1\.concepts\[0\]\.aspect: missing: the question declares aspects \(why\)"),
    (MINIMAL.replace('id = "a"', 'id = "a"\naspect = "how"'), 'aspect = "how"', r"questions\.q1\.concepts\[0\]\.aspect: no aspect 'how'"),
    ("[settings]\ntechnical_words = ['Sigmoid']\n" + MINIMAL, "technical_words = ['Sigmoid']", r"settings\.technical_words: must be lower-case"),
    (MINIMAL.replace("[[questions.q1.concepts]]", '[[questions.q1.aspects]]\nid = "why"\nen = "why"\nzh = "为什么"\nmax = 0.7\n\n[[questions.q1.concepts]]')
     .replace('id = "a"', 'id = "a"\naspect = "why"'), "max = 0.7", r"questions\.q1\.aspects\[0\]\.max: must be a multiple of 0\.5"),
])
def test_malformed_rubric_errors_name_line_and_key(bad, key_line, expect, tmp_path):
    p = tmp_path / "mini.toml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(RubricError, match=expect) as info:
        load_rubric(p)
    msg = str(info.value)
    assert msg.startswith(str(p))
    if key_line is not None:
        line = bad.splitlines().index(key_line) + 1
        assert f", line {line}: " in msg, msg


def test_the_line_is_found_in_the_right_question():
    """Concept ids repeat across questions (q3 and q4 both have "remedies"): the error must point
    into the question that is wrong."""
    raw = RUBRIC_PATH.read_text(encoding="utf-8")
    lines = raw.splitlines()
    q4 = lines.index("[questions.q4_wide_vs_deep]")
    target = next(i for i in range(q4, len(lines)) if lines[i] == 'id = "remedies"')
    pts = next(i for i in range(target, len(lines)) if lines[i].startswith("points = "))
    lines[pts] = "points = 0.3"
    with pytest.raises(RubricError, match=rf", line {pts + 1}: questions\.q4_wide_vs_deep\.concepts\[4\]\.points: must be a multiple"):
        parse_rubric("\n".join(lines), "rubrics.toml")


def test_missing_rubric_file(tmp_path):
    with pytest.raises(RubricError, match="not found"):
        load_rubric(tmp_path / "nope.toml")


# ---------------------------------------------------------------------------------------------
# the notebook's own model answers


def test_model_answers_of_notebook_03_get_full_marks(rubric):
    nb = nbformat.read(str(SOURCE_NB03), as_version=4)
    present = {ex.cell_grade_id(c) for c in nb.cells}
    assert set(GRADE_IDS) <= present, "notebook 03 lost some of its short-answer cells"
    results = grade_short_answers(nb, rubric)
    short = {c.grade_id: c for c in results}
    assert {g: short[g].points for g in GRADE_IDS} == {g: 3.0 for g in GRADE_IDS}, {
        g: short[g].details["concepts_missed"] for g in GRADE_IDS if short[g].points < 3
    }


def test_each_language_half_of_the_model_answers_gets_full_marks(rubric):
    """The model answers are written in English, then Chinese; a student answers in one language,
    so each half alone must earn full marks."""
    nb = nbformat.read(str(SOURCE_NB03), as_version=4)
    halves = {}
    for c in nb.cells:
        gid = ex.cell_grade_id(c)
        if gid in rubric.questions and c.cell_type == "markdown":
            paragraphs = [p for p in c.source.split("\n\n") if p.strip()]
            zh = [p for p in paragraphs if re.search(r"[\u4e00-\u9fff]{8}", p)]
            en = [p for p in paragraphs if p not in zh]
            halves[gid] = ("\n\n".join(en), "\n\n".join(zh))
    assert set(halves) == set(GRADE_IDS), "notebook 03 lost some of its short-answer cells"
    scores = {}
    for gid, (en, zh) in halves.items():
        for lang, text in (("en", en), ("zh", zh)):
            if text:
                s = score_text(text, rubric.questions[gid], rubric.settings)
                scores[(gid, lang)] = (s.points, s.misconceptions)
    assert all(v == (3.0, ()) for v in scores.values()), {k: v for k, v in scores.items() if v != (3.0, ())}


@pytest.mark.parametrize("gid, text", [
    ("q3_vanishing_gradient", "To prevent vanishing gradients, avoid saturating activations like sigmoid and use ReLU."),
    ("q3_vanishing_gradient", "Sigmoid saturates, which we avoid with ReLU; ReLU helps to fix the vanishing gradient."),
    ("q3_vanishing_gradient", "为了避免梯度消失，应避免使用 sigmoid，改用 ReLU。"),
    ("q3_vanishing_gradient", "Exploding gradients are the opposite case: gradients become very large."),
    ("q2_activation_functions", "tanh 的输出是零均值的，而 sigmoid 不是。"),
    ("q2_activation_functions", "They make the network non-linear; without them it stays linear."),
    ("q5_softmax", "Softmax is used at the output layer, while ReLU is used in hidden layers."),
    ("q5_softmax", "Unlike ReLU, softmax is applied to the whole vector of logits."),
    ("q5_softmax", "The raw logits do not sum to 1; softmax fixes that."),
    ("q6_sgd_vs_adam", "Adam almost always converges faster in the first epochs."),
    ("q6_sgd_vs_adam", "Adam is not always better than SGD."),
    ("q4_wide_vs_deep", "Deeper is not always better; it is a trade-off."),
    ("q4_wide_vs_deep", "不是越深越好，要权衡。"),
    ("q1_alexnet", "LeNet used sigmoid/tanh, while AlexNet uses ReLU."),
    ("q1_alexnet", "LeNet has far fewer parameters than AlexNet."),
])
def test_correct_statements_are_not_misconceptions(rubric, gid, text):
    s = score_text(text, rubric.questions[gid], rubric.settings)
    assert s.misconceptions == (), (text, s.misconceptions)


@pytest.mark.parametrize("gid, text, mid", [
    ("q3_vanishing_gradient", "Using sigmoid solves the vanishing gradient.", "sigmoid_cures_vanishing"),
    ("q3_vanishing_gradient", "梯度消失可以用 sigmoid 解决。", "sigmoid_cures_vanishing"),
    ("q3_vanishing_gradient", "The vanishing gradient is when the gradients become too large.", "large_gradients"),
    ("q2_activation_functions", "激活函数可以解决梯度消失，比如 sigmoid。", "sigmoid_cures_vanishing"),
    ("q2_activation_functions", "Activation functions make the network linear.", "makes_linear"),
    ("q5_softmax", "Softmax outputs need not sum to 1.", "independent_probabilities"),
    ("q5_softmax", "softmax 输出的各类概率是相互独立的概率，和不一定为 1。", "independent_probabilities"),
    ("q5_softmax", "Softmax is used in hidden layers like ReLU.", "hidden_activation"),
    ("q6_sgd_vs_adam", "Adam always generalises better than SGD.", "adam_always_better"),
    ("q6_sgd_vs_adam", "任何情况下都应该用 Adam。", "adam_always_better"),
    ("q6_sgd_vs_adam", "Adam uses the Hessian to take second-order steps.", "second_order"),
    ("q4_wide_vs_deep", "层数越多一定越好。", "deeper_always"),
    ("q4_wide_vs_deep", "Depth does not matter, only width.", "depth_irrelevant"),
    ("q1_alexnet", "AlexNet uses sigmoid activations.", "uses_sigmoid"),
    ("q1_alexnet", "AlexNet 参数比 LeNet 更少。", "fewer_parameters"),
])
def test_misconceptions_are_caught_in_both_languages(rubric, gid, text, mid):
    s = score_text(text, rubric.questions[gid], rubric.settings)
    assert mid in s.misconceptions, (text, s.misconceptions)
    assert s.flagged


def test_huge_answers_are_graded_quickly(rubric):
    import time

    for text in ("gradient " * 200_000, "梯度" * 300_000, "The gradient gets smaller. " * 40_000):
        nb = benchmark.answer_notebook(rubric, "q3_vanishing_gradient", text)
        t = time.perf_counter()
        grade_short_answers(nb, rubric)
        assert time.perf_counter() - t < 10

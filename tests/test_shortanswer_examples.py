"""Short answers, the second opinion: labelled example answers (settings.examples) raise an answer
the rubric scores low and is unsure of, toward what the most similar examples scored; the examples
file is generated from the tuning split only; leave-one-source-out cross-validation measures it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from autograder.shortanswers import RubricError, benchmark, load_rubric
from autograder.shortanswers.examples import with_examples
from autograder.shortanswers.score import score_text

RUBRIC = '''
[settings]
examples = "examples.toml"
examples_raise = {raise_by}

[questions.q1]
title = "Why is the sky blue?"
title_zh = "天空为什么是蓝色的？"
points = 3
topic = ["sky", "light", "blue", "scatter*", "wavelength*", "天空", "光", "蓝", "散射", "波长"]

[[questions.q1.concepts]]
id = "rayleigh"
points = 3
en = "Rayleigh scattering"
zh = "瑞利散射"
terms = ["rayleigh", "瑞利"]
'''

EXAMPLE = '''
[[answer]]
id = "{id}"
grade_id = "q1"
score = {score}
source = "{source}"
text = "{text}"
'''

# a correct answer in words the rubric does not know: on topic, no concept, so the grader is unsure
PARAPHRASE = ("Short wavelengths of sunlight are scattered by the molecules of the air much more than long "
              "ones, so blue light reaches our eyes from every direction of the sky.")
LIKE_IT = [
    "Air molecules scatter the short wavelengths of sunlight far more than the long ones, so blue light comes to us from all over the sky.",
    "Sunlight's short blue wavelengths are scattered much more by the molecules in the air than the long red ones, so the whole sky looks blue.",
    "The molecules of the air scatter short wavelengths more strongly, so scattered blue light reaches the eye from every part of the sky.",
]


def course(tmp_path: Path, scores: list[float], raise_by: float = 0.5, texts: list[str] = LIKE_IT):
    (tmp_path / "rubrics.toml").write_text(RUBRIC.format(raise_by=raise_by), encoding="utf-8")
    (tmp_path / "examples.toml").write_text("".join(
        EXAMPLE.format(id=f"e{i}", score=s, source=f"write-up {i}", text=t) for i, (s, t) in enumerate(zip(scores, texts))
    ), encoding="utf-8")
    return load_rubric(tmp_path / "rubrics.toml")


def score(rubric, text):
    return score_text(text, rubric.questions["q1"], rubric.settings)


def test_an_unsure_answer_is_raised_toward_its_similar_examples_by_at_most_the_setting(tmp_path):
    (tmp_path / "none").mkdir()
    plain = course(tmp_path / "none", [])
    before = score(plain, PARAPHRASE)
    assert before.points == 0 and before.confidence < plain.settings.review_confidence and before.similar is None

    half = score(course(tmp_path, [3, 3, 3], 0.5), PARAPHRASE)
    assert half.points == 0.5 and half.raised == 0.5 and half.similar.score == pytest.approx(3)
    assert {n for n, _ in half.similar.neighbours} == {"e0", "e1", "e2"}
    assert half.flagged == before.flagged, "whether a TA sees it is decided on the rubric's evidence"

    one = score(course(tmp_path, [3, 3, 3], 1.0), PARAPHRASE)
    assert one.points == 1.0

    # never above what the examples scored, weighted by similarity
    low = score(course(tmp_path, [0.5, 0.5, 0.5], 3.0), PARAPHRASE)
    assert low.points == 0.5 and low.similar.score == pytest.approx(0.5)


def test_the_second_opinion_never_lowers_a_score(tmp_path):
    r = course(tmp_path, [0, 0, 0], 3.0)
    s = score(r, PARAPHRASE + " This is Rayleigh scattering.")
    assert s.points == 3 and s.raised == 0


@pytest.mark.parametrize("text", [
    # a denial looks like the answer it denies, to n-grams
    "It is not Rayleigh scattering: short wavelengths of sunlight are not scattered by the molecules of the air "
    "more than long ones, and blue light does not reach our eyes from every direction of the sky.",
    # a list of terms
    "sky, blue, light, scattering, wavelength, molecules, air, sunlight, eyes, direction",
])
def test_denials_and_term_lists_are_never_raised(tmp_path, text):
    r = course(tmp_path, [3, 3, 3], 3.0)
    s = score(r, text)
    assert s.raised == 0 and s.points <= 1, (s.points, s.negated, s.stuffing)


def test_a_sure_answer_is_left_alone(tmp_path):
    r = course(tmp_path, [3, 3, 3], 3.0)
    sure = score(r, "Bananas are yellow because of their skin.")  # off topic: the grader is sure it is wrong
    assert sure.confidence >= r.settings.review_confidence and sure.points == 0 and sure.similar is None


@pytest.mark.parametrize("settings, examples, expect", [
    ('examples = "missing.toml"', None, r"missing\.toml: examples file not found \(settings\.examples"),
    ('examples = "examples.toml"', '[[answer]]\nid = "x"\ngrade_id = "q9"\nscore = 1\ntext = "t"\n',
     r"answer 1 \(x\): grade_id 'q9' is no question of the rubric"),
    ('examples = "examples.toml"', '[[answer]]\nid = "x"\ngrade_id = "q1"\ntext = "t"\n', r"needs id, grade_id, score and text"),
    ('examples = "examples.toml"\nexamples_k = 0', "", r"settings\.examples_k: must be a whole number >= 1"),
])
def test_a_bad_examples_setting_or_file_is_one_clear_error(tmp_path, settings, examples, expect):
    (tmp_path / "rubrics.toml").write_text(RUBRIC.replace('examples = "examples.toml"\nexamples_raise = {raise_by}', settings),
                                           encoding="utf-8")
    if examples is not None:
        (tmp_path / "examples.toml").write_text(examples, encoding="utf-8")
    with pytest.raises(RubricError, match=expect):
        load_rubric(tmp_path / "rubrics.toml")


# ---------------------------------------------------------------------------------------------
# the course's examples: generated from the tuning split, never a held-out answer


def test_the_examples_file_is_generated_from_the_tuning_split_only():
    assert benchmark.EXAMPLES.read_text(encoding="utf-8") == benchmark.examples_toml(), (
        "the examples file is out of date: run .venv/bin/python benchmarks/short_answers.py --write-examples")
    shipped = tomllib.loads(benchmark.EXAMPLES.read_text(encoding="utf-8"))["answer"]
    real = benchmark.load_labelled(benchmark.DATA / "real.toml")
    held_out = {a.source for a in real if benchmark.split_of(a.source) == benchmark.HELD_OUT}
    held_texts = {a.text for a in real if a.source in held_out}
    assert held_out and not {e["source"] for e in shipped} & held_out
    assert not {e["text"] for e in shipped} & held_texts
    tuning = [a for a in real if benchmark.split_of(a.source) == benchmark.TUNING]
    assert {a.id for a in tuning} <= {e["id"] for e in shipped}
    assert sum(e["source"] == "answer key" and e["score"] == 3 for e in shipped) == 6
    rubric = with_examples(load_rubric(benchmark.RUBRIC), benchmark.EXAMPLES)
    assert sum(len(q.examples) for q in rubric.questions.values()) == len(shipped)


def test_cross_validation_never_helps_an_answer_with_its_own_source():
    rubric = with_examples(load_rubric(benchmark.RUBRIC), benchmark.EXAMPLES)
    source_of = {e.id: e.source for q in rubric.questions.values() for e in q.examples}
    cv = benchmark.cross_validated(rubric)
    real = {a.id: a for a in benchmark.load_labelled(benchmark.DATA / "real.toml")}
    asked = [r for r in cv.rows if r.check.details["similar_examples"]]
    assert asked and any(r.check.details["raised_by_examples"] for r in asked)
    for r in asked:
        neighbours = [n for n, _ in r.check.details["similar_examples"]["neighbours"]]
        assert r.id not in neighbours and all(source_of[n] != real[r.id].source for n in neighbours), r.id
    # the honest figure of the learnt signal (README): leave one source out, on the tuning split
    print("\ntuning, leave one source out:", cv.summary())
    # (exact was 93 % on the first 155 tuning answers; the fourth batch's 81 are harder to agree on)
    assert cv.within_one >= 0.97 and cv.exact >= 0.87 and abs(cv.mean_bias) <= 0.2
    assert cv.flagged_share <= 0.25 and cv.ta_actions() <= cv.n / 5

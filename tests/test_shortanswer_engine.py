"""Short answers, the engine's recall and precision: negation of concepts, misspellings, Chinese
word segmentation and traditional characters, and agreement with the real labelled answers per
split (tests/data/short_answers/real.toml, traps.toml)."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from autograder.shortanswers import benchmark, load_rubric
from autograder.shortanswers.negation import Sentence
from autograder.shortanswers.score import score_text
from autograder.shortanswers.spelling import mend
from autograder.shortanswers.text import normalize

ROOT = Path(__file__).resolve().parents[1]
RUBRIC_PATH = ROOT / "source" / "pytorch_basics" / "grading" / "rubrics.toml"


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC_PATH)


def points(rubric, gid, text):
    return score_text(text, rubric.questions[gid], rubric.settings)


# ---------------------------------------------------------------------------------------------
# denials: saying the opposite of a concept must not earn it


DENIALS = [
    ("q5_softmax", "Softmax does not turn logits into probabilities, its outputs do not sum to 1 and are not "
                   "non-negative. It is not differentiable and it has nothing to do with cross-entropy."),
    ("q5_softmax", "Softmax 不能把输出变成概率分布，输出之和不为1，也不是非负的；它不可导，和交叉熵没有关系。"),
    ("q2_activation_functions", "Activation functions do not introduce any nonlinearity. Without them, stacked linear "
                                "layers would not collapse into a single linear map, and they do not let the network "
                                "represent complex functions."),
    ("q2_activation_functions", "激活函数不会引入非线性。没有激活函数时，多层线性层叠加也不等价于一个线性变换。"),
    ("q3_vanishing_gradient", "Vanishing gradients are not about gradients becoming small. The chain rule does not "
                              "multiply per-layer factors and the shrinking is not exponential in depth."),
    ("q3_vanishing_gradient", "梯度消失并不是梯度变得很小。反向传播时链式法则并没有连乘，梯度不会随深度指数级衰减。"),
    ("q6_sgd_vs_adam", "Adam does not give parameters adaptive learning rates and does not keep moving averages of "
                       "the gradient. It does not converge faster and SGD does not generalise better."),
    ("q4_wide_vs_deep", "Depth does not build hierarchical features and it is not parameter-efficient. Deeper "
                        "networks are not harder to optimise and there is no trade-off."),
    ("q1_alexnet", "AlexNet 并不比 LeNet 更深更大，也没有使用 ReLU，不用 Dropout，不做数据增强；它的效果好与过拟合、模型容量都无关。"),
]


@pytest.mark.parametrize("gid, text", DENIALS)
def test_a_denial_earns_at_most_one_point(rubric, gid, text):
    s = points(rubric, gid, text)
    assert s.points <= 1, (text, s.matched)
    assert s.negated, "the denied concepts are reported to the TA"


@pytest.mark.parametrize("gid, text, concept", [
    ("q1_alexnet", "ReLU does not saturate, so training is much faster.", "relu_benefit"),
    ("q1_alexnet", "ReLU 不会饱和，训练更快。", "relu_benefit"),
    ("q2_activation_functions", "Without activation functions the network is still linear, however many layers it has.", "collapse"),
    ("q2_activation_functions", "没有激活函数的每层都相当于矩阵相乘，叠加若干层之后还是矩阵相乘。", "collapse"),
    ("q3_vanishing_gradient", "The early layers hardly update because the gradient is a product of factors smaller than 1.", "chain_rule"),
    ("q3_vanishing_gradient", "参数几乎不更新，因为梯度是很多小于1的数连乘。", "early_layers"),
    ("q4_wide_vs_deep", "Deeper is not always better: it is a trade-off.", "tradeoff"),
    ("q6_sgd_vs_adam", "没有哪个优化器总是更好，取决于具体问题。", "depends"),
    ("q5_softmax", "Softmax not only gives a probability distribution but also pairs with cross-entropy.", "probability_distribution"),
    ("q3_vanishing_gradient", "初始化不当也会导致梯度消失，梯度越来越小。", "causes"),
])
def test_negation_words_that_belong_to_the_concept_do_not_deny_it(rubric, gid, text, concept):
    s = points(rubric, gid, text)
    assert concept in s.matched, (text, s.matched, s.negated)


def test_chinese_negation_cues_follow_word_boundaries():
    # 不同 (different), 不断 (constantly), 不仅 (not only) are not negations; 也不 and 不等价 are
    s = Sentence("不同的层不断更新，不仅收敛更快")
    assert [s.text[c.start:c.end] for c in s.cues] == []
    s = Sentence("多层线性层叠加也不等价于一个线性变换")
    assert any("不" in s.text[c.start:c.end] for c in s.cues)


@pytest.mark.parametrize("text", [
    "Adam 收敛快，但泛化性能普遍不如 SGD。",
    "Adam 的泛化能力不及 SGD。",
])
def test_a_comparison_is_not_a_denial(rubric, text):
    # 不如 / 不及 compare two things ("Adam generalises worse than SGD"): the comparison is the concept
    s = points(rubric, "q6_sgd_vs_adam", text)
    assert "sgd_generalises" in s.matched, (s.matched, s.negated)


@pytest.mark.parametrize("text", [
    "梯度逐层传播时会逐渐趋于零，导致训练速度很慢或收敛不好。",  # 不 negates the next predicate (收敛)
    "梯度趋于零，前面层的训练很慢收敛不好。",  # 不好 is a negative adjective, not a denial
])
def test_a_cue_on_a_coordinated_predicate_does_not_deny_the_match(rubric, text):
    s = points(rubric, "q3_vanishing_gradient", text)
    assert "early_layers" in s.matched, (s.matched, s.negated)


def test_a_negated_first_match_does_not_hide_an_affirmed_later_one(rubric):
    # the pattern's leftmost start (不泛化) is negated; the later start in the same sentence is not
    text = "Adam 容易陷入平滑但不泛化的最优点，泛化性能普遍比 SGD 差。"
    s = points(rubric, "q6_sgd_vs_adam", text)
    assert "sgd_generalises" in s.matched, (s.matched, s.negated)


def test_scope_stops_at_a_new_clause_but_runs_through_a_list():
    s = Sentence("it was not trained on gpus, imagenet or with dropout")
    assert s.negates(s.text.index("imagenet"), s.text.index("imagenet") + 8)
    s = Sentence("relu does not saturate, so training is faster")
    assert not s.negates(s.text.index("training"), s.text.index("training") + 8)


def test_a_parenthetical_aside_does_not_keep_apart_what_a_pattern_relates(rubric):
    aside = ("Vanishing gradients: the gradients (the derivatives of the loss with respect to the network's "
             "parameters) become too small as they are backpropagated.")
    assert "shrink" in points(rubric, "q3_vanishing_gradient", aside).matched
    # an aside that holds a negation is kept: dropping it would turn the denial into a claim
    denial = "The gradients (contrary to what you may read, they do not) become tiny in the early layers."
    s = points(rubric, "q3_vanishing_gradient", denial)
    assert "shrink" not in s.matched, s.matched
    # and what an aside says still cancels a misconception ("unless" reads the whole sentence)
    s = points(rubric, "q1_alexnet", "The network uses sigmoid (as LeNet did, before AlexNet replaced it) in every layer.")
    assert "uses_sigmoid" not in s.misconceptions, s.misconceptions


def test_an_aspect_cap_limits_a_list_of_one_part_of_the_question(rubric):
    # q1 has two parts, AlexNet's new features and why they help: naming every feature without the
    # why earns at most the features part's cap
    features = ("AlexNet has 8 layers (5 convolutional, 3 fully connected), uses ReLU, dropout, data augmentation, "
                "two GPUs, ImageNet data and overlapping max pooling.")
    q = rubric.questions["q1_alexnet"]
    cap = q.aspect("features").max_points
    s = points(rubric, "q1_alexnet", features)
    assert cap is not None and s.points <= cap < q.max_without_core, s.matched
    why = (" Dropout and augmentation keep the large model from overfitting; ReLU does not saturate, so training is "
           "faster; and its larger capacity pays off with far more data and GPU compute.")
    assert points(rubric, "q1_alexnet", features + why).points == q.points


# ---------------------------------------------------------------------------------------------
# misspellings, traditional characters, word boundaries


@pytest.mark.parametrize("gid, typo, right", [
    ("q1_alexnet", "AlexNet uses Relu instead of Sigmod, and DropOut against overfitting.", "AlexNet uses ReLU instead of sigmoid, and dropout against overfitting."),
    ("q2_activation_functions", "Functions like tahn and sigmiod add non-linearity: without them layers collapse into one linear map.",
     "Functions like tanh and sigmoid add non-linearity: without them layers collapse into one linear map."),
    ("q6_sgd_vs_adam", "Adma adapts the learning rate of every parameter with momentum and rmsporp, so it converges faster.",
     "Adam adapts the learning rate of every parameter with momentum and rmsprop, so it converges faster."),
    ("q5_softmax", "Soft-max turns logits into a probability distribution used with cross entropy.",
     "Softmax turns logits into a probability distribution used with cross entropy."),
])
def test_misspelled_technical_words_score_like_the_right_spelling(rubric, gid, typo, right):
    assert points(rubric, gid, typo).points == points(rubric, gid, right).points > 0


def test_only_declared_technical_words_are_mended(rubric):
    targets = rubric.settings.technical_words
    assert mend(normalize("either deeper or wider"), targets) == "either deeper or wider"  # never 'neither'
    assert mend(normalize("Sigmod, tahn, Adma, drop-out, soft max"), targets) == "sigmoid, tanh, adam, dropout, softmax"
    assert mend(normalize("sigmods"), targets) == "sigmoids"
    assert mend(normalize("sigmod"), frozenset()) == "sigmod"
    # a technical word spelt right, and its plural, stay as they are (not "logitss", "probabilitiess")
    assert mend("the logits and probabilities and gradients", targets) == "the logits and probabilities and gradients"


def test_traditional_characters_are_read_as_simplified(rubric):
    trad = "隨著反向傳播到較低層，梯度會越來越小，較低層的權重幾乎不更新。"
    simp = "随着反向传播到较低层，梯度会越来越小，较低层的权重几乎不更新。"
    a, b = points(rubric, "q3_vanishing_gradient", trad), points(rubric, "q3_vanishing_gradient", simp)
    assert a.points == b.points >= 1.5 and a.matched == b.matched


# ---------------------------------------------------------------------------------------------
# agreement with the real labelled answers


@pytest.fixture(scope="module")
def splits(rubric):
    return benchmark.real_splits(rubric)


def test_the_real_set_is_big_varied_and_sourced():
    answers = benchmark.load_labelled(benchmark.DATA / "real.toml")
    assert len(answers) >= 390 and len({a.id for a in answers}) == len(answers)
    for gid in ("q1_alexnet", "q2_activation_functions", "q3_vanishing_gradient", "q4_wide_vs_deep", "q5_softmax",
                "q6_sgd_vs_adam"):
        mine = [a for a in answers if a.grade_id == gid]
        assert len(mine) >= 35, gid
        assert {a.lang for a in mine} >= {"zh", "en"} or gid == "q1_alexnet", gid
    assert {a.kind for a in answers} == {"homework", "public"}
    for a in answers:
        assert a.source.strip(), a.id
        assert 0 <= a.label <= 3 and a.label * 2 == int(a.label * 2), a.id
    held = [a for a in answers if benchmark.split_of(a.source) == benchmark.HELD_OUT]
    assert 0.3 <= len(held) / len(answers) <= 0.5
    # the split follows the source: one write-up never straddles both parts
    by_source: dict[str, set[str]] = {}
    for a in answers:
        by_source.setdefault(a.source, set()).add(benchmark.split_of(a.source))
    assert all(len(v) == 1 for v in by_source.values())


def test_held_out_real_answers(splits):
    """Answers no rubric change was fitted to. The issue's targets: within one point >= 95 %,
    exact (±0.5) >= 60 %, |mean bias| <= 0.2, at most 25 % sent to a TA, at most one TA action
    per five answers. Measured on 160 held-out answers (README): 95.6 % within one point, thin
    (one more answer off by over a point leaves 95.0 %); a rubric edit that loses two fails here."""
    b = splits[benchmark.HELD_OUT]
    print("\nheld-out:", b.summary())
    assert b.n >= 150
    assert b.within_one >= 0.95
    assert b.exact >= 0.60
    assert abs(b.mean_bias) <= 0.2
    assert b.flagged_share <= 0.25
    assert b.ta_actions() <= b.n / 5
    # Flagging catches an answer scored too LOW (on-topic sentences that match no concept lower the
    # confidence); one scored too high had every concept the rubric looks for, so the grader is
    # sure of it. Held out: 3 of the 5 scored over a point too low go to a TA, 0 of the 2 too high.
    under = [r for r in b.rows if r.diff < -1]
    assert under and sum(r.flagged for r in under) >= len(under) / 2, "most answers scored far too low go to a TA"
    wrong = [r for r in b.rows if abs(r.diff) > 0.5]
    assert sum(r.flagged for r in wrong) >= 0.4 * len(wrong)


def test_tuning_split_agreement(splits):
    b = splits[benchmark.TUNING]
    assert b.within_one >= 0.95 and b.exact >= 0.85 and abs(b.mean_bias) <= 0.2 and b.flagged_share <= 0.25
    assert b.ta_actions() <= b.n / 5


def test_traps_score_at_most_one_point(rubric):
    report = benchmark.traps(rubric)
    assert {r.kind for r in report.rows} >= {"denial", "keywords", "copied_prompt", "off_topic", "wrong_claims", "hidden"}
    assert report.over(("denial", "keywords", "hedge_stuffing", "hidden")) == []
    # the second round (a hostile probe): every one goes to a TA as well
    assert all(r.flagged for r in report.rows if r.id.startswith("t2-") and r.auto > 0)
    assert all(r.auto == 0 for r in report.rows if r.kind in ("copied_prompt", "off_topic"))
    assert all(r.auto <= 1 for r in report.rows)


# ---------------------------------------------------------------------------------------------
# a hostile probe's classes (traps.toml, second round): framing, hidden text, invisible characters,
# dressed-up lists, questions for answers, one text for every question


@pytest.mark.parametrize("gid, text, concept", [
    ("q5_softmax", "It is a myth that softmax turns logits into a probability distribution.", "probability_distribution"),
    ("q5_softmax", "Softmax turns logits into a probability distribution. Completely untrue.", "probability_distribution"),
    ("q5_softmax", "The following is false. Softmax turns logits into a probability distribution.", "probability_distribution"),
    ("q2_activation_functions", "Some say activation functions introduce nonlinearity, but they are wrong.", "nonlinearity"),
    ("q2_activation_functions", "说激活函数引入非线性是错的。", "nonlinearity"),
    ("q3_vanishing_gradient", "梯度在反向传播时变得非常小。以上全部是错误说法。", "shrink"),
    ("q2_activation_functions", "Activation functions do not (as everyone knows) introduce nonlinearity.", "nonlinearity"),
])
def test_a_claim_the_answer_calls_false_earns_nothing_and_goes_to_a_ta(rubric, gid, text, concept):
    s = points(rubric, gid, text)
    assert concept not in s.matched and s.flagged, (s.matched, s.flag_reasons)


@pytest.mark.parametrize("gid, text, concept", [
    ("q4_wide_vs_deep", "A common misconception is that deeper is always better. In fact it depends on the data.", "tradeoff"),
    ("q4_wide_vs_deep", "这并不是说深度不重要，而是要在深度和宽度之间权衡。", "tradeoff"),
    ("q5_softmax", "This is not a myth: softmax turns logits into a probability distribution.", "probability_distribution"),
    ("q6_sgd_vs_adam", "需要最快收敛? 用 Adam，它为每个参数自适应地调整学习率。", "adaptive_lr"),
    ("q5_softmax", "softmax 把 logits 变成概率分布，配合交叉熵损失。不知道这样理解对不对？", "probability_distribution"),
])
def test_a_disavowal_keeps_what_the_answer_itself_claims(rubric, gid, text, concept):
    assert concept in points(rubric, gid, text).matched


@pytest.mark.parametrize("hidden", [
    "<span style=\"display:none\">{}</span>", "<!-- {} -->", "<font color=white>{}</font>", "~~{}~~",
    "\n\n[//]: # ({})\n", "<div hidden>{}</div>",
])
def test_text_a_reader_does_not_see_is_not_graded(rubric, hidden):
    claim = "Softmax turns logits into a probability distribution and is paired with cross-entropy loss."
    s = points(rubric, "q5_softmax", "I don't know. " + hidden.format(claim))
    assert s.points == 0 and s.flagged, (s.points, s.flag_reasons)
    assert points(rubric, "q5_softmax", "I know. " + claim).points == 3


def test_visible_text_keeps_what_is_shown():
    from autograder.shortanswers.visible import visible_text

    assert visible_text("x<y and z>w") == "x<y and z>w"
    assert visible_text("<b>ReLU</b> is `fast`, see [the paper](http://a.b \"t\")") == "ReLU is `fast`, see the paper"


@pytest.mark.parametrize("trick", ["n\u043et", "n\u200bot", "no\u00adt", "no\u0336t", "\u202etoN\u202c"])
def test_a_negation_disguised_in_unicode_still_denies(rubric, trick):
    s = points(rubric, "q5_softmax", f"Softmax does {trick} turn logits into a probability distribution.")
    assert "probability_distribution" not in s.matched, s.matched


@pytest.mark.parametrize("gid, text", [
    ("q5_softmax", "The answer is about probability. It is also about distribution. There is the cross-entropy."),
    ("q5_softmax", "这是概率。这是分布。这是交叉熵。这是分类。"),
    ("q4_wide_vs_deep", "The hierarchy, the abstraction, the trade-off, the validation, the degradation."),
    ("q5_softmax", "Why do we use softmax, and why is it a probability distribution used with cross-entropy?"),
    ("q5_softmax", "I don't know.\n```\n# softmax probability distribution cross-entropy\n```"),
])
def test_a_list_dressed_as_sentences_or_asked_as_a_question_is_capped(rubric, gid, text):
    s = points(rubric, gid, text)
    assert s.points <= rubric.settings.stuffing_cap and s.flagged, (s.points, s.matched)


def test_a_terse_real_answer_is_not_a_dressed_list(rubric):
    s = points(rubric, "q5_softmax", "Softmax turns the scores into probabilities. They sum to one. It is used with "
                                     "cross-entropy.")
    assert not s.stuffing and s.points == 3


def test_one_text_pasted_into_every_answer_goes_to_a_ta(rubric):
    from autograder.shortanswers.grade import grade_short_answers

    blob = ("Activation functions introduce nonlinearity; softmax gives a probability distribution used with "
            "cross-entropy; gradients become very small by the chain rule; Adam has adaptive learning rates.")
    cells = [c for gid in rubric.questions for c in benchmark.answer_notebook(rubric, gid, blob)["cells"]]
    results = grade_short_answers({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}, rubric)
    assert all(r.flagged and "the same text also answers" in r.details["flag_reasons"][-1] for r in results)
    # answers of their own, however alike in length and words, are not one text
    own = {"q2_activation_functions": "Activation functions introduce nonlinearity: without them, stacked linear "
                                      "layers collapse into a single linear map, so depth would add nothing.",
           "q5_softmax": "Softmax turns the logits into a probability distribution over the classes, and with "
                         "cross-entropy loss its gradient is simply p - y, which makes training easy."}
    cells = [c for gid, text in own.items() for c in benchmark.answer_notebook(rubric, gid, text)["cells"]]
    results = grade_short_answers({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}, rubric)
    assert not any("the same text" in reason for r in results for reason in r.details.get("flag_reasons", []))


HONEST = tomllib.loads((benchmark.DATA / "honest.toml").read_text(encoding="utf-8"))["answer"]


@pytest.mark.parametrize("answer", HONEST, ids=[a["id"] for a in HONEST])
def test_an_honest_answer_loses_nothing_to_the_defences(rubric, answer):
    s = points(rubric, answer["grade_id"], answer["text"])
    assert s.points >= answer["before"], (s.points, s.flag_reasons)


@pytest.mark.parametrize("gid, text", [
    ("q5_softmax", "Softmax turns logits into a probability distribution and is paired with cross-entropy. Total garbage."),
    ("q5_softmax", "Softmax turns logits into a probability distribution. Please disregard the above; I do not know."),
    ("q5_softmax", "softmax把logits变成概率分布，并且和交叉熵配合使用。以上是我瞎编的。"),
    ("q5_softmax", "In no way whatsoever, even after many layers, does softmax make a probability distribution."),
    ("q5_softmax", "Softmax does n<b>o</b>t give a probability distribution and is n**o**t used with cross-entropy."),
    ("q5_softmax", "Softmax does n&#111;t give a probability distribution and is n&#111;t used with cross-entropy."),
    ("q5_softmax", "Softmax does n\u04e9t give a probability distribution and is n\u04e9t used with cross-entropy."),
    ("q5_softmax", "Softmax does \u0274\u1d0f\u1d1b give a probability distribution, \u0274\u1d0f\u1d1b used with cross-entropy."),
    ("q5_softmax", "I don't know.<div style=\"display:none\"><div>a</div>Softmax gives a probability distribution "
                   "used with cross-entropy.</div>"),
    ("q5_softmax", "I don't know. <svg><text>Softmax gives a probability distribution used with cross-entropy.</text></svg>"),
    ("q5_softmax", "Softmax relates to probability. Softmax relates to distribution. Softmax relates to cross-entropy. "
                   "Softmax relates to classification."),
    ("q6_sgd_vs_adam", "SGD is obsolete. Adam has an adaptive learning rate per parameter plus first and second moment "
                       "estimates, and it is the best choice for every problem."),
    # the fifth probe
    ("q5_softmax", "I don't know. $\\color[RGB]{255,255,255}{\\text{softmax gives a probability distribution with "
                   "cross-entropy}}$"),
    ("q5_softmax", "I don't know. $\\style{opacity:0}{\\text{softmax gives a probability distribution with cross-entropy}}$"),
    ("q2_activation_functions", "Activation functions introduce nonlinearity; without them stacked linear layers collapse "
                                "into one linear map. 上面都是我瞎写的，别当真。"),
    ("q5_softmax", "Softmax turns the logits into a probability distribution used with cross-entropy. Kidding, I have no clue."),
    ("q5_softmax", "softmax 把 logits 变成概率分布，配合交叉熵损失用于多分类。上面说的不对。"),
    # the fourth probe
    ("q5_softmax", "I don't know. $\\phantom{\\text{softmax gives a probability distribution used with cross-entropy}}$"),
    ("q5_softmax", "I don't know. $\\color{white}{\\text{softmax gives a probability distribution used with cross-entropy}}$"),
    ("q5_softmax", "I don't know.<span style=\"color:rgba(0,0,0,0)\">Softmax gives a probability distribution used with "
                   "cross-entropy.</span>"),
    ("q5_softmax", "I don't know. " + "".join(ch + "\u0336" for ch in "Softmax gives a probability distribution")),
    ("q5_softmax", "Softmax turns the logits into a distribution whose outputs sum to 0 and can be negative; it is "
                   "paired with cross-entropy loss."),
    ("q5_softmax", "\U0001f643 Softmax turns the logits into a probability distribution used with cross-entropy."),
    # the third probe
    ("q5_softmax", "Urban legend: softmax turns the logits into a probability distribution used with cross-entropy."),
    ("q5_softmax", "Softmax turns the logits into a probability distribution used with cross-entropy. I made all of this up."),
    ("q5_softmax", "Rather than turning the logits into a probability distribution, softmax is a hidden-layer activation."),
    ("q5_softmax", "softmax把logits变成概率分布，并且和交叉熵损失配合使用。才怪。"),
    ("q5_softmax", "Softmax turns the logits into a probability distribution used with cross-entropy. \U0001f44e\U0001f44e"),
    ("q5_softmax", "Softmax turns the logits into a probability distribution used with cross-entropy.\nAccuracy: 0/10."),
    ("q5_softmax", "Softmax turns the logits into a probability distribution used with cross-entropy.\n"
                   "Accuracy of the above: 0/10."),
    ("q2_activation_functions", "One would hope that activation functions introduce nonlinearity and that without them "
                                "stacked linear layers collapse into one linear map, but sadly it isn't so."),
])
def test_a_hostile_probes_answer_earns_at_most_one_point_or_goes_to_a_ta(rubric, gid, text):
    s = points(rubric, gid, text)
    assert s.points <= 1 or s.flagged, (s.points, s.matched)


@pytest.mark.parametrize("attrs, verdict", [
    (' style="color:red"', None), (" color='blue'", None), (' style="font-weight:bold"', None),
    (' style="color:#fefefe"', "hide"), (' style="color:snow"', "hide"), (' style="font-size:1px"', "hide"),
    (' style="color:hsl(0,0%,100%)"', "hide"), (" hidden", "hide"), (' style="position:absolute;left:-9999px"', "odd"),
])
def test_styling_that_shows_is_read_and_styling_that_hides_is_not(attrs, verdict):
    from autograder.shortanswers.visible import style_verdict

    assert style_verdict(attrs) == verdict

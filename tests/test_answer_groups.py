"""Answer groups settled by a TA: `review list` shows the groups, `review settle-group` gives every
member the TA's score (nbgrader manual scores plus a record of the decision), the score survives
regrades, and an answer that no longer fits its group after a resubmission falls out of it: its
group score is withdrawn and it waits for a TA again. Short answers are graded by the real
short-answer grader; every gradebook is a temporary SQLite file made the way grade-all makes it."""
from __future__ import annotations

import dataclasses
import json
import random
import re
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.assignment import load_assignment
from autograder.gradebook import (GradebookError, GradebookLocation, get_overrides, read_gradebook,
                                  write_gradebook)
from autograder.gradebook.group_overrides import FELL_OUT, SETTLED, read_group_records
from autograder.results import SubmissionResult
from autograder.review import (ReviewError, class_review, cmd_review_clear_group, cmd_review_list, cmd_review_set,
                               cmd_review_settle_group, load_results, reconcile)
from autograder.review.groups import FELL_OUT_REASON
from autograder.shortanswers import grade_short_answers, load_rubric
from autograder.shortanswers.benchmark import DATA, load_labelled, run

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "release" / "pytorch_basics" / "03_activations_and_optimizers.ipynb"
RUBRIC = load_rubric(ROOT / "source" / "pytorch_basics" / "grading" / "rubrics.toml")
CONFIG = load_assignment(ROOT / "source" / "pytorch_basics" / "grading" / "assignment.toml")
A, NB = "pytorch_basics", "03_activations_and_optimizers"
Q3, Q4, Q5, Q6 = "q3_vanishing_gradient", "q4_wide_vs_deep", "q5_softmax", "q6_sgd_vs_adam"

# 1.5/3, flagged (a sentence the rubric does not know), written by four students with small differences
SHRINK = "梯度消失就是梯度越来越小，接近于0，前面的层训练很慢。反向传播的时候每一层的权重都会影响梯度。"
SHRINK_REWORDED = "梯度消失就是梯度越来越小，接近于0，前面的层训练很慢。反向传播时每一层的权重都会影响梯度。"
CHAIN_RULE = ("By the chain rule the gradient of an early layer is a product of many derivatives smaller than 1, so it "
              "shrinks exponentially and the first layers learn very slowly.")
DEEPER = "Deeper is always better."  # a misconception: 0, flagged
STUFFED = "Adam, SGD, momentum, RMSProp, adaptive learning rate, bias correction, generalization"
SOFTMAX = ("Softmax turns logits into a probability distribution: outputs are positive and sum to 1. With "
           "cross-entropy loss it is the standard output layer for multi-class classification.")

CLASS = {
    "s1": {Q3: SHRINK, Q4: DEEPER},
    "s2": {Q3: SHRINK.replace("。", "! "), Q4: "Deeper is always better!"},
    "s3": {Q3: "  " + SHRINK, Q4: "deeper is ALWAYS better"},
    "s4": {Q3: SHRINK + " ", Q6: STUFFED},
    "s5": {Q6: STUFFED.replace("momentum, ", "")},
    "s6": {Q5: SOFTMAX},
    "s7": {Q5: SOFTMAX + " "},
}


def notebook(answers: dict[str, str]):
    nb = nbformat.read(str(RELEASE), as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def grade(student: str, answers: dict[str, str]) -> SubmissionResult:
    """A fresh automatic grading of a student's short answers (what every regrade produces)."""
    return SubmissionResult(A, student, grade_short_answers(notebook(answers), RUBRIC, RELEASE))


@pytest.fixture(scope="module")
def graded():
    return {s: grade(s, a) for s, a in CLASS.items()}


@pytest.fixture
def results(tmp_path, graded):
    """The results folder as grade-all leaves it: every student's automatic result, and the gradebook."""
    out = tmp_path / "results"
    for s, r in graded.items():
        (out / "students" / s).mkdir(parents=True)
        (out / "students" / s / "submission_result.json").write_text(r.dumps(), encoding="utf-8")
    write_gradebook(f"sqlite:///{out / 'gradebook.db'}", CONFIG, list(graded.values()))
    return out


def where(out: Path) -> GradebookLocation:
    return GradebookLocation(f"sqlite:///{out / 'gradebook.db'}", "--results", ("--results", str(out)))


def write(out: Path, result: SubmissionResult) -> None:
    (out / "students" / result.student / "submission_result.json").write_text(result.dumps(), encoding="utf-8")


def group_of(out: Path, student: str, grade_id: str):
    """The answer group of a student's answer, as the results in `out` make it."""
    (g,) = [g for g in class_review(load_results(out)).groups
            if g.group.grade_id == grade_id and student in g.group.members]
    return g.group


def manual(out: Path, student: str, grade_id: str):
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        g = gb.find_grade(grade_id, NB, A, student)
        c = gb.find_comment(grade_id, NB, A, student)
        return g.manual_score, c.manual_comment, bool(g.needs_manual_grade)


# ---------------------------------------------------------------------------------------------


def test_review_list_shows_each_group_once_with_the_command_that_settles_it(results):
    listing = cmd_review_list(A, results, where(results))
    q3 = group_of(results, "s1", Q3)
    assert q3.members == ("s1", "s2", "s3", "s4") and q3.points == 1.5 and q3.flagged
    assert f"answer group {q3.id} - 4 answers" in listing
    assert "representative (s1): " + SHRINK in listing
    assert (f"settle the group: autograder review settle-group {A} {q3.id} 1.5 --comment \"...\" "
            f"--results {results}") in listing
    # nine flagged answers, three groups: one command each, and no member listed on its own
    assert listing.startswith("9 answer(s) of pytorch_basics waiting for review, settled by 3 command(s)")
    assert listing.count("autograder review settle-group") == 3 and "autograder review set " not in listing
    assert Q5 not in listing  # two identical full-marks answers: a group, but nothing to settle
    assert cmd_review_list(A, results, where(results), student="s5").count("settle-group") == 1
    assert cmd_review_list(A, results, where(results), grade_id=Q4).count("settle-group") == 1


def test_group_ids_follow_the_answers_not_the_order_or_the_run(graded):
    ids = sorted(g.group.id for g in class_review(graded.values()).groups)
    shuffled = list(graded.values())
    random.Random(7).shuffle(shuffled)
    assert sorted(g.group.id for g in class_review(shuffled).groups) == ids
    again = {s: grade(s, a) for s, a in CLASS.items()}  # a rerun grades the class afresh
    assert sorted(g.group.id for g in class_review(again.values()).groups) == ids
    q3 = [g for g in ids if g.startswith(Q3)]
    assert len(q3) == 1 and re.fullmatch(rf"{Q3}/[0-9a-f]{{10}}", q3[0])


def test_settling_a_group_scores_every_member_and_survives_regrades(results, graded):
    q3 = group_of(results, "s1", Q3)
    said = cmd_review_settle_group(where(results), A, q3.id, "2.5", "right idea, say why it shrinks", results)
    assert "4 of 4 answers set to 2.5/3" in said and "s1, s2, s3, s4" in said
    assert f"autograder review clear-group {A} {q3.id} --results {results}" in said  # the undo names the gradebook
    for s in q3.members:
        assert manual(results, s, Q3) == (2.5, "right idea, say why it shrinks", False)
        ov = get_overrides(f"sqlite:///{results / 'gradebook.db'}", A, s)[Q3]
        assert ov.score == 2.5
    records = read_group_records(results / "gradebook.db", A)
    d = records.decisions[q3.id]
    assert d.score == 2.5 and d.automatic_points == 1.5 and d.representative == "s1"
    assert [s for s, _ in d.members] == ["s1", "s2", "s3", "s4"]
    assert {k: m.status for k, m in records.marks.items()} == {(s, Q3): SETTLED for s in q3.members}

    # a regrade of the unchanged class: the group is still settled, the same ids, nothing withdrawn
    url = f"sqlite:///{results / 'gradebook.db'}"
    regraded = [grade(s, a) for s, a in CLASS.items()]
    write_gradebook(url, CONFIG, regraded)
    reconcile(url, A, regraded)
    for s in q3.members:
        assert manual(results, s, Q3)[0] == 2.5
    listing = cmd_review_list(A, results, where(results))
    assert q3.id not in listing and listing.startswith("5 answer(s) of pytorch_basics waiting for review, settled by 2")
    review = class_review(regraded, None, read_group_records(url, A))
    assert q3.id in {g.group.id for g in review.groups}  # the settled group keeps its id


def test_a_member_a_ta_scored_alone_keeps_that_score(results):
    q3 = group_of(results, "s1", Q3)
    cmd_review_set(where(results), A, "s3", Q3, 3, "the best of them")
    said = cmd_review_settle_group(where(results), A, q3.id, 2, None, results)
    assert "3 of 4 answers set to 2/3" in said and "kept s3's own TA score 3" in said
    assert manual(results, "s3", Q3)[:2] == (3, "the best of them")
    assert manual(results, "s1", Q3)[:2] == (2, None)
    # settling the group again (the TA changed their mind) replaces the group's score, not s3's
    cmd_review_settle_group(where(results), A, q3.id, 1, "too vague", results)
    assert manual(results, "s1", Q3)[:2] == (1, "too vague") and manual(results, "s3", Q3)[0] == 3
    # a member scored alone after the group was settled leaves the group's record
    cmd_review_set(where(results), A, "s2", Q3, 0.5, "copied")
    assert ("s2", Q3) not in read_group_records(results / "gradebook.db", A).marks


def test_a_resubmission_that_no_longer_fits_falls_out_and_waits_for_a_ta(results):
    url = f"sqlite:///{results / 'gradebook.db'}"
    q3 = group_of(results, "s1", Q3)
    cmd_review_settle_group(where(results), A, q3.id, 2.5, "ok", results)
    answers = {s: dict(a) for s, a in CLASS.items()}
    answers["s2"][Q3] = CHAIN_RULE  # another text: other concepts, another score
    answers["s3"][Q3] = SHRINK_REWORDED  # changed, but still the group's answer
    regraded = {s: grade(s, a) for s, a in answers.items()}
    assert regraded["s2"].by_grade_id()[Q3][0].points != 1.5
    write(results, regraded["s2"])
    write(results, regraded["s3"])
    write_gradebook(url, CONFIG, list(regraded.values()))
    records = reconcile(url, A, list(regraded.values()))

    assert records.marks[("s2", Q3)].status == FELL_OUT and records.marks[("s3", Q3)].status == SETTLED
    assert manual(results, "s2", Q3) == (None, None, True)  # withdrawn; formgrader lists it as needing a grade
    assert manual(results, "s3", Q3)[0] == 2.5 and manual(results, "s1", Q3)[0] == 2.5
    review = class_review(regraded.values(), None, records)
    c = review.effective["s2"].by_grade_id()[Q3][0]
    assert c.flagged and c.points == regraded["s2"].by_grade_id()[Q3][0].points
    assert FELL_OUT_REASON.format(group=q3.id) in c.details["flag_reasons"]
    listing = cmd_review_list(A, results, where(results))
    assert "the answer changed after its answer group" in listing and "s2 - q3_vanishing_gradient" in listing
    # reconciling again keeps it waiting (a gradebook write resets nbgrader's flag from the automatic ones)
    write_gradebook(url, CONFIG, list(regraded.values()))
    reconcile(url, A, list(regraded.values()))
    assert manual(results, "s2", Q3) == (None, None, True)
    # the TA scores the new answer: it no longer waits
    cmd_review_set(where(results), A, "s2", Q3, 3, "now complete")
    assert ("s2", Q3) not in read_group_records(url, A).marks
    assert "s2 - q3" not in cmd_review_list(A, results, where(results))


def test_a_deleted_answer_falls_out_too(results):
    url = f"sqlite:///{results / 'gradebook.db'}"
    q4 = group_of(results, "s1", Q4)
    cmd_review_settle_group(where(results), A, q4.id, 1, "half right", results)
    # a grading that did not work (the grading process crashed) shows nothing about the answer
    crashed = [SubmissionResult(A, "s2", [], gradable=False, format_errors=["the grading process stopped"]),
               *(grade(s, a) for s, a in CLASS.items() if s != "s2")]
    assert reconcile(url, A, crashed).marks[("s2", Q4)].status == SETTLED and manual(results, "s2", Q4)[0] == 1
    answers = dict(CLASS["s2"])
    del answers[Q4]  # back to the release's placeholder
    regraded = [grade(s, answers if s == "s2" else a) for s, a in CLASS.items()]
    write_gradebook(url, CONFIG, regraded)
    records = reconcile(url, A, regraded)
    assert records.marks[("s2", Q4)].status == FELL_OUT and manual(results, "s2", Q4)[0] is None
    assert manual(results, "s1", Q4)[0] == 1


def test_a_score_a_person_changed_is_never_withdrawn(results):
    url = f"sqlite:///{results / 'gradebook.db'}"
    q3 = group_of(results, "s1", Q3)
    cmd_review_settle_group(where(results), A, q3.id, 2.5, "ok", results)
    with Gradebook(url) as gb:  # as formgrader does it
        gb.find_grade(Q3, NB, A, "s2").manual_score = 2.0
        gb.db.commit()
    answers = dict(CLASS["s2"], **{Q3: CHAIN_RULE})
    regraded = [grade(s, answers if s == "s2" else a) for s, a in CLASS.items()]
    write_gradebook(url, CONFIG, regraded)
    records = reconcile(url, A, regraded)
    assert manual(results, "s2", Q3)[0] == 2.0  # theirs
    assert records.marks[("s2", Q3)].status == FELL_OUT  # but the answer changed: a TA looks again
    assert class_review(regraded, None, records).effective["s2"].by_grade_id()[Q3][0].flagged


def test_an_answer_that_joins_a_settled_group_makes_it_wait_again(results, graded):
    url = f"sqlite:///{results / 'gradebook.db'}"
    q6 = group_of(results, "s4", Q6)
    cmd_review_settle_group(where(results), A, q6.id, 0.5, "a list is not an answer", results)
    late = grade("s8", {Q6: STUFFED + "."})
    late.checks = [dataclasses.replace(c, flagged=False) for c in late.checks]  # even an unflagged one
    write_gradebook(url, CONFIG, [late], students=["s8"])
    (results / "students" / "s8").mkdir()
    write(results, late)
    review = class_review([*graded.values(), late], read_gradebook(url, A), read_group_records(url, A))
    (g,) = [g for g in review.actions if "s8" in g.group.members]
    assert g.waiting == ("s8",) and g.score == 0.5  # the command proposes the group's earlier score
    assert "1 answer(s) joined after the group was settled at 0.5/3" in g.reasons
    listing = cmd_review_list(A, results, where(results), student="s8")
    assert f"settle-group {A} {g.group.id} 0.5" in listing


def test_clear_group_gives_the_automatic_scores_back(results):
    q4 = group_of(results, "s1", Q4)
    cmd_review_settle_group(where(results), A, q4.id, 1, "half right", results)
    cmd_review_set(where(results), A, "s3", Q4, 2, "alone")
    said = cmd_review_clear_group(where(results), A, q4.id)
    assert "removed from 2 answer(s): s1, s2" in said
    assert manual(results, "s1", Q4)[0] is None and manual(results, "s3", Q4)[0] == 2
    assert read_group_records(results / "gradebook.db", A).decisions == {}
    with pytest.raises(GradebookError, match="no group decision"):
        cmd_review_clear_group(where(results), A, q4.id)


def test_bad_group_commands_are_refused(results):
    q3 = group_of(results, "s1", Q3)
    with pytest.raises(ReviewError, match=f"did you mean {re.escape(q3.id)}"):
        cmd_review_settle_group(where(results), A, q3.id[:-1] + "x", 2, None, results)
    with pytest.raises(GradebookError, match="above the 3 points"):
        cmd_review_settle_group(where(results), A, q3.id, 4, None, results)
    with pytest.raises(ReviewError, match="must be a number"):
        cmd_review_settle_group(where(results), A, q3.id, "lots", None, results)
    assert read_group_records(results / "gradebook.db", A).marks == {}


def test_an_answer_changed_past_its_excerpt_is_a_changed_answer():
    long = SOFTMAX + " " + "It also keeps the largest logit the largest. " * 40
    a, b = grade("x", {Q5: long}), grade("x", {Q5: long + " Softmax is also smooth."})
    ca, cb = a.by_grade_id()[Q5][0], b.by_grade_id()[Q5][0]
    assert ca.details["answer_excerpt"] == cb.details["answer_excerpt"]  # the excerpt is cut before the change
    assert ca.details["answer_fingerprint"] != cb.details["answer_fingerprint"]


def test_the_benchmark_counts_the_commands_review_list_prints(tmp_path):
    """The benchmark's "TA actions with answer groups" is what a TA runs: the labelled answers as
    a class in a results folder, listed by `review list`, one command per action."""
    b = run(DATA / "labelled.toml")
    for r in b.as_class():
        (tmp_path / r.student).mkdir()
        (tmp_path / r.student / "submission_result.json").write_text(r.dumps(), encoding="utf-8")
    listing = cmd_review_list("benchmark", tmp_path)
    commands = listing.count("settle the group: ") + listing.count("settle it: ")
    assert commands == b.ta_actions() > 0
    assert commands < sum(r.flagged for r in b.rows)  # groups save work: fewer commands than flagged answers
    assert len(load_labelled(DATA / "labelled.toml")) == b.n


# ---------------------------------------------------------------------------------------------
# a class settled group by group from the summary page

# grade-all's grading function for this class: the real short-answer grader on the submitted
# notebook (it reads notebook JSON only, so no sandbox is needed), run by the real worker pool
SHORT_ANSWER_GRADER = '''
from autograder.assignment import load_assignment
from autograder.results import SubmissionResult
from autograder.shortanswers import grade_short_answers

def grade(submission, student, device, paths, extra_hidden):
    release = paths.release / "03_activations_and_optimizers.ipynb"
    return SubmissionResult(load_assignment(paths.config_file).name, student,
                            grade_short_answers(submission, paths.rubrics_file, release))
'''


@pytest.fixture
def short_answer_grader(tmp_path, monkeypatch):
    import os

    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "sagrader.py").write_text(SHORT_ANSWER_GRADER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(mods), os.environ.get("PYTHONPATH", "")]))
    from autograder.course import assignment_paths

    return assignment_paths(A, ROOT)


def summary_commands(summary: Path) -> list[str]:
    """The commands the summary page shows for the answer groups waiting for a TA."""
    import html

    page = summary.read_text(encoding="utf-8")
    section = page.split('id="answer-groups"', 1)[1].split("</section>", 1)[0]
    waiting = section.split("Other answer groups", 1)[0]
    return [html.unescape(c) for c in re.findall(r'<code class="cmd">(autograder review [^<]*)</code>', waiting)]


def test_a_class_is_settled_group_by_group_from_the_summary_page(tmp_path, short_answer_grader, capsys):
    import csv
    import io
    import shlex

    from autograder import cli
    from autograder.batch import grade_all

    subs = tmp_path / "subs"
    subs.mkdir()
    for s, answers in CLASS.items():
        nbformat.write(notebook(answers), str(subs / f"{s}.ipynb"))
    out = tmp_path / "results"

    def grade_class():
        # one grading process: with two, each imports torch first (seconds); the pool is test_batch's subject
        report = grade_all(subs, short_answer_grader, out=out, grader="sagrader:grade", progress=False, jobs=1)
        assert not report.grader_errors and not report.ungradable
        return report

    grade_class()
    commands = summary_commands(out / "summary.html")
    assert len(commands) == 3 and all(c.startswith(f"autograder review settle-group {A} ") for c in commands)
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "3 <small>TA actions" in page and "Representative" in page and "s1" in page

    # the TA takes each command as printed, gives the group a score and a comment, and runs it
    given: dict[str, float] = {}
    for i, command in enumerate(commands):
        args = shlex.split(command)
        group_id, score = args[4], [2.5, 1.0, 0.5][i]
        args[5], args[args.index("--comment") + 1] = f"{score:g}", f"group {i} checked"
        assert cli.main(args[1:]) == 0
        assert f"set to {score:g}/3" in capsys.readouterr().out
        given[group_id] = score
    members = {g.group.id: g.group.members for g in class_review(load_results(out)).groups if g.group.id in given}
    assert sum(len(m) for m in members.values()) == 9  # every flagged answer was in one of the three groups

    grade_class()  # a regrade: nothing changed, the TA's scores stand
    assert summary_commands(out / "summary.html") == []
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for group_id, score in given.items():
            grade_id = group_id.split("/")[0]
            for s in members[group_id]:
                row = gb.find_grade(grade_id, NB, A, s)
                assert row.manual_score == score and not row.needs_manual_grade, (s, grade_id)
                assert float(rows[s][grade_id]) == score and grade_id in rows[s]["overridden"], (s, grade_id)
                # what Gradescope shows the student: the TA's score, in the test and the total
                shown = json.loads((out / "students" / s / "results.json").read_text(encoding="utf-8"))
                assert sum(t["score"] for t in shown["tests"] if t["name"].startswith(grade_id)) == score, (s, shown)
                assert shown["score"] == pytest.approx(float(rows[s]["total"])), s
    assert "Score set by a TA" in (out / "students" / "s1" / "feedback.html").read_text(encoding="utf-8")

    # s2 resubmits another answer to q3: it falls out of its group; the others keep the TA's score
    q3 = next(g for g in given if g.startswith(Q3))
    nbformat.write(notebook(dict(CLASS["s2"], **{Q3: CHAIN_RULE})), str(subs / "s2.ipynb"))
    grade_class()
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))}
    assert float(rows["s2"][Q3]) != given[q3] and Q3 not in rows["s2"]["overridden"]
    assert all(float(rows[s][Q3]) == given[q3] for s in members[q3] if s != "s2")
    left = summary_commands(out / "summary.html")
    assert left == [f"autograder review set {A} s2 {Q3} {float(rows['s2'][Q3]):g} --comment \"...\" --results {out}"]
    assert "the answer changed after its answer group" in (out / "summary.html").read_text(encoding="utf-8")

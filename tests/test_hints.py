"""Hints for known mistakes: the catalogue (assignment content), recognition from replies (the check
library), the engine putting the hint on the failed check, and every student output showing it,
escaped, beside the check; the class summary counts the students who made each mistake.

The assignment's own catalogue and its planted samples are graded in tests/test_samples.py."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from autograder.checks import ANY, Known, KnownError, KnownMistake, Number, Tensor, Tuple, known_errors, matches
from autograder.course import AssignmentPaths
from autograder.mistakes import CatalogueError, class_counts, load_catalogue, parse_catalogue
from autograder.results import CheckResult, Status, SubmissionResult
from autograder.sandbox import StudentError

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "tests" / "data" / "tiny_course"
CATALOGUE = '''
[double_triples]
cells = ["check_double"]
title = "3x instead of 2x"
title_zh = "三倍而不是两倍"
hint = "Your result is three times the input."
hint_zh = "你的结果是输入的三倍。"
concept = "scalar multiplication"
concept_zh = "标量乘法"
'''


def test_the_catalogue_is_checked_when_it_is_read(tmp_path):
    cat = parse_catalogue(CATALOGUE, grade_ids=["check_double"])
    m = cat.get("double_triples")
    assert m.cells == ("check_double",) and "three times" in m.text() and "你的结果" in m.text()
    assert "Concept to revisit: scalar multiplication" in m.text() and "需要复习的概念：标量乘法" in m.text()
    with pytest.raises(CatalogueError, match="'check_nope' is not a grade cell"):
        parse_catalogue(CATALOGUE.replace('"check_double"]', '"check_nope"]'), grade_ids=["check_double"])
    with pytest.raises(CatalogueError, match="hint_zh must be a non-empty string"):
        parse_catalogue(CATALOGUE.replace('hint_zh = "你的结果是输入的三倍。"', 'hint_zh = ""'))
    with pytest.raises(CatalogueError, match="unknown key 'solution'"):
        parse_catalogue(CATALOGUE + 'solution = "return 2 * x"\n')
    with pytest.raises(CatalogueError, match="id is 3-64 lower-case"):
        parse_catalogue(CATALOGUE.replace("[double_triples]", "[Double-Triples]"))
    assert len(load_catalogue(tmp_path / "none.toml")) == 0  # an assignment without hints


def test_known_replies_are_matched_by_value_only():
    m = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = torch.tensor([1.0, -1.0])
    assert matches(m * v, m * v) and not matches(m @ v, m * v)  # another shape
    assert matches(m.double() * v.double(), m * v)  # dtypes are the spec's business, values are the mistake's
    assert not matches(torch.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]))
    assert matches((m, 3, "x"), (ANY, 3.0000001, "x")) and not matches((m, 3), (m, 3, 4))
    assert not matches(True, 1) and not matches(1, True)


def test_a_spec_names_the_known_mistake_only_when_the_reply_is_it():
    m = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    v = torch.tensor([1.0, 0.0, 2.0])
    spec = Tensor(m @ v, wrong="not m @ v", known=[Known("elementwise", m * v)])
    with pytest.raises(KnownMistake) as hit:
        spec.judge(m * v, "products(m, v)")
    assert hit.value.mistake == "elementwise" and "expected shape [2], got [2, 3]" in str(hit.value)
    with pytest.raises(AssertionError) as other:
        spec.judge(m @ v + 1, "products(m, v)")
    assert not isinstance(other.value, KnownMistake) and "not m @ v" in str(other.value)
    assert torch.equal(spec.judge(m @ v, "products(m, v)"), m @ v)
    # a tuple: a part's own known mistake first, else one seen in the whole reply
    pair = Tuple(Tensor(m[:, 1], name="column"), Tensor(m[1], name="row"), known=[Known("swapped", (m[1], m[:, 1]))])
    with pytest.raises(KnownMistake, match="column: expected shape") as swapped:
        pair.judge((m[1], m[:, 1]), "pick(m)")
    assert swapped.value.mistake == "swapped"
    with pytest.raises(KnownMistake) as count:
        Number(0.5, known=[Known("count", 3)]).judge(3, "accuracy(...)")
    assert count.value.mistake == "count"


def test_a_known_error_is_named_and_other_errors_pass_through():
    known = KnownError("no_promotion", "RuntimeError", ("same dtype",))
    with pytest.raises(KnownMistake) as hit, known_errors(known):
        raise StudentError("products", "RuntimeError", "expected m1 and m2 to have the same dtype, but got: float != long")
    assert hit.value.mistake == "no_promotion" and "products` raised RuntimeError" in str(hit.value)
    with pytest.raises(StudentError), known_errors(known):
        raise StudentError("products", "ValueError", "same dtype")


def _tiny_with_hints(tmp_path: Path, catalogue: str = CATALOGUE, wrong: str = "3 * x") -> tuple[AssignmentPaths, Path]:
    root = tmp_path / "course"
    shutil.copytree(TINY, root)
    paths = AssignmentPaths(root, "tiny")
    paths.mistakes_file.write_text(catalogue, encoding="utf-8")
    check_file = paths.checks / "01_tiny" / "check_double.py"
    check_file.write_text(check_file.read_text().replace(
        "from autograder.checks import Tensor, check, judge", "from autograder.checks import Known, Tensor, check, judge"
    ).replace('returns=Tensor(reference.double(x)))',
              'returns=Tensor(reference.double(x), known=[Known("double_triples", 3 * x)]))'
    ).replace('returns=Tensor(torch.tensor([0, 2, 4])))',  # the public check states its values (it is released)
              'returns=Tensor(torch.tensor([0, 2, 4]), known=[Known("double_triples", 3 * x)]))'))
    sub = tmp_path / "sub"
    sub.mkdir()
    nb = json.loads((paths.source / "01_tiny.ipynb").read_text())
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"]).replace("return 2 * x", f"return {wrong}")
    (sub / "01_tiny.ipynb").write_text(json.dumps(nb))
    return paths, sub


def _grade(paths: AssignmentPaths, sub: Path) -> SubmissionResult:
    from autograder.grading import GradeRequest, grade_submission

    return grade_submission(GradeRequest(submission=sub), paths)


def test_the_engine_puts_the_hint_on_the_failed_check(tmp_path):
    paths, sub = _tiny_with_hints(tmp_path)
    result = _grade(paths, sub)
    assert result.grader_errors == []
    failed = [c for c in result.checks if c.status is Status.FAILED]
    assert len(failed) == 2 and {c.mistake for c in failed} == {"double_triples"}
    assert all("three times" in c.hint and "标量乘法" in c.hint for c in failed)
    # another wrong reply: no hint (a wrong hint is worse than none)
    paths2, sub2 = _tiny_with_hints(tmp_path / "other", wrong="x + 1")
    other = _grade(paths2, sub2)
    code = [c for c in other.checks if c.grade_id == "check_double"]  # the tiny assignment also has a short answer
    assert [c.mistake for c in code] == ["", ""] and all(c.hint == "" for c in other.checks)


def test_a_mistake_the_catalogue_does_not_give_that_cell_is_a_grader_error(tmp_path):
    paths, sub = _tiny_with_hints(tmp_path, CATALOGUE.replace("[double_triples]", "[double_quadruples]"))
    result = _grade(paths, sub)
    assert all(c.hint == "" for c in result.checks)
    assert any("double_triples" in e and "does not describe" in e for e in result.grader_errors), result.grader_errors


HOSTILE_HINT = "Use \x1b[2J<b>**this**</b>\r\n# heading"


def _hinted_result() -> SubmissionResult:
    checks = [
        CheckResult("products: m @ v", "check_products", "01_tensor_ops", 0.0, 1.0, Status.FAILED, "expected shape [2]",
                    mistake="products_elementwise_for_matmul", hint=f"Hint: {HOSTILE_HINT}\n提示：逐元素乘法"),
        CheckResult("pick: row", "check_pick", "01_tensor_ops", 1.0, 1.0, Status.PASSED, "", mistake="", hint=""),
    ]
    return SubmissionResult("pytorch_basics", "alice", checks=checks)


def test_every_student_output_shows_the_hint_escaped(tmp_path, capsys):
    from autograder.reporters import gradescope, junit, prairielearn
    from autograder.reporters.html import render_feedback
    from autograder.reporters.text import summary_lines, summary_markdown

    result = _hinted_result()
    gs = gradescope.render(result)["tests"][0]["output"]
    pl = prairielearn.render(result)["tests"][0]["message"]
    for out in (gs, pl):
        assert out.startswith("expected shape [2]\n\nHint: ") and "提示：逐元素乘法" in out
        assert "\x1b" not in out and "\\x1b[2J" in out and "\r" not in out
    page = render_feedback(result)
    assert "提示：逐元素乘法" in page and "<b>**this**</b>" not in page and "&lt;b&gt;" in page and "\x1b" not in page
    assert page.count("data-hint") == 1  # beside the failed check only
    md = summary_markdown(result)
    assert "提示：逐元素乘法" in md and "\\# heading" in md and "<b>" not in md
    assert any("Hint:" in line for line in summary_lines(result))
    xml = junit.write(result, tmp_path / "junit.xml").read_text()
    assert "提示：逐元素乘法" in xml and "\x1b" not in xml


def test_autograder_check_prints_the_hint(tmp_path):
    """The student's own command: the public check fails with the hint under it."""
    paths, sub = _tiny_with_hints(tmp_path)
    out = subprocess.run([sys.executable, "-m", "autograder", "--course", str(paths.course_root), "check",
                          str(sub / "01_tiny.ipynb"), "--assignment", "tiny"], capture_output=True, text=True,
                         timeout=300)
    assert "FAIL double: the notebook's arange(3)" in out.stdout, out.stdout + out.stderr
    assert "Hint: Your result is three times the input." in out.stdout and "提示：你的结果是输入的三倍。" in out.stdout


def test_the_class_summary_counts_students_per_mistake():
    from autograder.reporters.html import ClassSummary, StudentLine, render_summary

    cat = parse_catalogue(CATALOGUE.replace("check_double", "check_products"))
    hinted = _hinted_result()
    hinted.checks[0] = CheckResult(**{**hinted.checks[0].to_dict(), "status": Status.FAILED,
                                      "visibility": hinted.checks[0].visibility, "tags": (),
                                      "mistake": "double_triples"})
    results = {}
    for s in ("alice", "bob"):
        r = SubmissionResult("pytorch_basics", s, checks=[hinted.checks[0], hinted.checks[0]])  # twice: one student
        results[s] = r
    results["carol"] = SubmissionResult("pytorch_basics", "carol", checks=[hinted.checks[1]])
    counts = class_counts(results.values(), cat)
    assert [(c.mistake.id, c.count, c.students) for c in counts] == [("double_triples", 2, ("alice", "bob"))]
    page = render_summary(ClassSummary("pytorch_basics", 100, [StudentLine(s, "graded", 1.0) for s in results],
                                       results=results, mistakes=counts))
    section = page.split('id="mistakes"')[1].split("</section>")[0]
    assert "3x instead of 2x" in section and "标量乘法" in section and "alice, bob" in section
    assert ">2 <small" in section  # the count, out of the 3 graded

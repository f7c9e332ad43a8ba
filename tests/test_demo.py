"""`autograder demo`: the example submissions stay in sync with the notebooks, and the demo runs
end to end (release, a class of real submissions graded by the engine through grade-all,
gradebook, CSV, feedback pages, summary)."""
from __future__ import annotations

import csv
import io
import json
import time

import pytest

from autograder.demo_submissions import EXAMPLES, Edit, Example, ExampleError, build_class, build_example


def _grade_ids(nb: dict) -> dict[str, dict]:
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb["cells"]
            if isinstance(c.get("metadata", {}).get("nbgrader"), dict) and "grade_id" in c["metadata"]["nbgrader"]}


def test_every_example_builds_from_the_current_answer_key(pytorch_basics_paths, tmp_path):
    paths = pytorch_basics_paths
    out = build_class(paths.solutions, paths.release, tmp_path / "class")
    assert sorted(p.name for p in out.iterdir()) == sorted(e.name for e in EXAMPLES)
    assert len(EXAMPLES) >= 10
    typical = json.loads((out / "typical" / "01_tensor_ops.ipynb").read_text())
    assert "".join(_grade_ids(typical)["sol_products"]["source"]).startswith("def products(m, v):")
    assert "promote" not in "".join(_grade_ids(typical)["sol_products"]["source"])
    assert sorted(p.name for p in (out / "only_two").glob("*.ipynb")) == ["01_tensor_ops.ipynb",
                                                                         "03_activations_and_optimizers.ipynb"]
    renamed = json.loads((out / "renamed" / "HW1 (1).ipynb").read_text())
    assert _grade_ids(renamed) == {}
    hostile = json.loads((out / "hostile" / "01_tensor_ops.ipynb").read_text())
    assert str(paths.course_root) in "".join(next(c for c in hostile["cells"] if c["cell_type"] == "code")["source"])
    assert json.loads((out / "unanswered" / "02_spiral_classification.ipynb").read_text()) == \
        json.loads((paths.release / "02_spiral_classification.ipynb").read_text())
    assert not list((out / "wrong_files").glob("*.ipynb"))
    json.loads((out / "complete" / "03_activations_and_optimizers.ipynb").read_text())
    with pytest.raises(ValueError):
        json.loads((out / "not_a_notebook" / "01_tensor_ops.ipynb").read_text())
    # when each was handed in, as nbgrader records it; none for syntax_error
    assert (out / "typical" / "timestamp.txt").read_text() == "2025-10-20 18:59:00.000000 UTC\n"  # 3 h late
    assert not (out / "syntax_error" / "timestamp.txt").exists()


def test_the_demos_copied_student_ranks_first_in_the_similarity_report(pytorch_basics_paths, tmp_path):
    """The planted copy (buggy's code, variables renamed, comments added) is the top pair of the
    demo class, far above every pair of students who did their own work."""
    from autograder.similarity import similarity_report

    paths = pytorch_basics_paths
    out = build_class(paths.solutions, paths.release, tmp_path / "class")
    report = similarity_report({p.name: p for p in sorted(out.iterdir())}, paths.release, tmp_path / "staff",
                               key_dir=paths.solutions, jobs=1)
    top = report.pairs[0]
    assert {top.a, top.b} == {"buggy", "copied"} and top.score >= report.threshold, [(p.a, p.b, p.score) for p in report.pairs[:3]]
    assert all(p.score < 0.3 for p in report.pairs[1:]), [(p.a, p.b, p.score) for p in report.pairs[1:4]]


def test_an_edit_whose_cell_is_gone_names_it(pytorch_basics_paths, tmp_path):
    ex = Example("x", "stale", edits=(Edit("01_tensor_ops", "sol_no_such_function", "def f(): pass\n"),))
    with pytest.raises(ExampleError, match="sol_no_such_function"):
        build_example(ex, pytorch_basics_paths.solutions, pytorch_basics_paths.release, tmp_path / "x")


@pytest.mark.slow
def test_demo_grades_a_class_end_to_end(pytorch_basics_paths, tmp_path, capsys):
    """The demo on five examples: real notebooks, real sandbox, real checks."""
    from nbgrader.api import Gradebook

    from autograder.demo import run_demo
    from test_html import hidden_material, leaks

    only = ["complete", "typical", "syntax_error", "renamed", "not_a_notebook"]
    t0 = time.monotonic()
    code = run_demo(pytorch_basics_paths, tmp_path / "demo", jobs=2, only=only, progress=False)
    elapsed = time.monotonic() - t0
    printed = capsys.readouterr().out
    assert code == 0, printed
    results = tmp_path / "demo" / "results"
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((results / "grades.csv").read_text()))}
    assert set(rows) == set(only)
    assert rows["not_a_notebook"]["status"] == "ungradable"
    assert "01_tensor_ops.ipynb" in rows["not_a_notebook"]["reason"]
    assert float(rows["complete"]["total"]) == 100
    assert 60 < float(rows["typical"]["total"]) < 100
    assert float(rows["syntax_error"]["total"]) < float(rows["typical"]["total"])
    assert rows["syntax_error"]["check_pick"] == "0" and rows["syntax_error"]["check_products"] == "3"
    assert rows["renamed"]["01_tensor_ops"] == "25"  # recognised by its function names
    with Gradebook(f"sqlite:///{tmp_path / 'demo' / 'course' / 'gradebook.db'}") as gb:
        for s in ("complete", "typical"):
            assert gb.find_submission("pytorch_basics", s).score == pytest.approx(float(rows[s]["total"]))
        fit = gb.find_grade("check_fit_spiral", "02_spiral_classification", "pytorch_basics", "typical")
        assert fit.auto_score == pytest.approx(float(rows["typical"]["check_fit_spiral"]))
    # nbgrader's formgrader lists the submissions (it needs the notebooks under autograded/).
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    course = tmp_path / "demo" / "course"
    api = NbGraderAPI(coursedir=CourseDirectory(root=str(course)))
    listed = {s["student"] for s in api.get_notebook_submissions("pytorch_basics", "01_tensor_ops")}
    assert {"complete", "typical", "syntax_error", "renamed"} <= listed
    material = hidden_material(pytorch_basics_paths)
    for s in only:
        page = (results / "students" / s / "feedback.html").read_text()
        assert leaks(page, material) == [], s
    assert (results / "summary.html").exists() and "Open:" in printed and "summary.html" in printed
    # late students with their penalties: raw, penalty and final apart; an unknown time is said
    # 10% of the raw total for one day; the CSV writes 4 decimals
    assert rows["typical"]["days_late"] == "1"
    assert abs(float(rows["typical"]["late_penalty"]) - float(rows["typical"]["total"]) / 10) <= 1e-4
    assert rows["renamed"]["late_penalty"] == "0" and rows["syntax_error"]["submitted_at"] == ""
    summary = (results / "summary.html").read_text()
    late = summary.split('id="late"')[1].split("</section>")[0]
    assert "typical" in late and "(10%)" in late and "syntax_error" in late and "renamed" not in late
    # the mistakes the class made, with their counts; each student's page shows their hint
    mistakes = summary.split('id="mistakes"')[1].split("</section>")[0]
    assert "the arange(1, 5) int64-vs-float matmul error" in mistakes and "typical" in mistakes
    typical_page = (results / "students" / "typical" / "feedback.html").read_text()
    assert "data-hint" in typical_page and "type promotion" in typical_page and "late penalty / 迟交扣分" in typical_page
    # the similarity section, for staff only
    assert 'id="similarity"' in summary and (results / "similarity" / "similarity.html").is_file()
    assert not any("imilarity" in p.read_text(errors="replace") for p in (results / "students").rglob("*") if p.is_file())
    imported = list(csv.DictReader(io.StringIO((results / "grades_import.csv").read_text())))
    assert {r["student"]: r["total"] for r in imported}["complete"] == "100"
    assert "autograder review list --results" in printed  # the TA's next step names the results folder
    print(f"demo on {len(only)} examples: {elapsed:.0f} s")

"""Recognising submitted notebooks by grade ids, not file names."""
import json
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.notebooks import recognise

CONFIG = Path(__file__).resolve().parent.parent / "source/pytorch_basics/grading/assignment.toml"


def _nb(path: Path, cells: list[dict]) -> Path:
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _code(src: str, gid: str | None = None) -> dict:
    meta = {"nbgrader": {"grade_id": gid, "solution": True}} if gid else {}
    return {"cell_type": "code", "source": src, "metadata": meta, "outputs": [], "execution_count": None}


@pytest.fixture(scope="module")
def config():
    return load_assignment(CONFIG)


def test_renamed_and_suffixed_files_are_recognised_by_grade_id(tmp_path, config):
    _nb(tmp_path / "my homework (1).ipynb", [_code("def products(m, v): ...", "sol_products"), _code("assert True", "check_products")])
    _nb(tmp_path / "whatever.ipynb", [_code("def sigmoid(x): ...", "sol_activations")])
    rec = recognise(tmp_path, config)
    assert set(rec.found) == {"01_tensor_ops", "03_activations_and_optimizers"}
    assert rec.found["01_tensor_ops"].path.name == "my homework (1).ipynb"
    # The public check cell is not run by the worker: the grader's checks replace it.
    assert [src for _, src in rec.found["01_tensor_ops"].code_cells()] == ["def products(m, v): ..."]


def test_notebook_without_metadata_is_recognised_by_function_names(tmp_path, config):
    _nb(tmp_path / "colab.ipynb", [_code("import torch\ndef make_spiral(n_per_class=1000):\n    pass\ndef train(*a):\n    pass")])
    rec = recognise(tmp_path, config)
    assert list(rec.found) == ["02_spiral_classification"]
    assert any("metadata is missing" in n for n in rec.notes)


def test_duplicate_prefers_the_original_name_and_says_so(tmp_path, config):
    _nb(tmp_path / "01_tensor_ops (1).ipynb", [_code("x = 1", "sol_pick")])
    _nb(tmp_path / "01_tensor_ops.ipynb", [_code("x = 2", "sol_pick")])
    rec = recognise(tmp_path, config)
    assert rec.found["01_tensor_ops"].path.name == "01_tensor_ops.ipynb"
    # as many answers in each: the original name wins, and the choice is recorded for the TA
    assert rec.choices == ["01_tensor_ops: graded 01_tensor_ops.ipynb (1 answered cells), "
                           "not 01_tensor_ops (1).ipynb (1 answered cells)"]
    assert rec.choices[0] in rec.notes


def test_broken_and_foreign_notebooks_are_reported_not_fatal(tmp_path, config):
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    _nb(tmp_path / "other.ipynb", [_code("print('hello')")])
    _nb(tmp_path / "01.ipynb", [_code("x = 1", "sol_pick")])
    rec = recognise(tmp_path, config)
    assert list(rec.found) == ["01_tensor_ops"]
    assert any("broken.ipynb is not a valid notebook" in p and "line 1" in p for p in rec.problems)
    assert any("other.ipynb matches no notebook" in p for p in rec.problems)


# -- the student's path: "Make a Copy", a truncated notebook --------------------------------------

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "release" / "pytorch_basics"
SOLUTIONS = REPO / "solutions" / "pytorch_basics"


def test_make_a_copy_grades_the_copy_with_answers(tmp_path, config):
    import shutil

    shutil.copy(RELEASE / "01_tensor_ops.ipynb", tmp_path / "01_tensor_ops.ipynb")  # untouched
    shutil.copy(SOLUTIONS / "01_tensor_ops.ipynb", tmp_path / "01_tensor_ops-Copy1.ipynb")  # answered
    rec = recognise(tmp_path, config)
    assert rec.found["01_tensor_ops"].path.name == "01_tensor_ops-Copy1.ipynb"
    assert rec.choices == ["01_tensor_ops: graded 01_tensor_ops-Copy1.ipynb (10 answered cells), "
                           "not 01_tensor_ops.ipynb (0 answered cells)"]


@pytest.mark.slow
def test_make_a_copy_and_a_truncated_notebook_through_the_grader(tmp_path, pytorch_basics_paths, config):
    """Graded by the engine: the answered copy scores its points (not 0/25), the truncated
    notebook's reason comes first and once, and the TA sees both in the CSV and the summary."""
    import csv
    import io
    import shutil

    from autograder.batch.outputs import build_class_outputs
    from autograder.batch.records import GRADED, StudentRecord
    from autograder.grading import GradeRequest, grade_submission
    from autograder.reporters.text import summary_lines

    sub = tmp_path / "alice"
    sub.mkdir()
    shutil.copy(RELEASE / "01_tensor_ops.ipynb", sub / "01_tensor_ops.ipynb")
    shutil.copy(SOLUTIONS / "01_tensor_ops.ipynb", sub / "01_tensor_ops-Copy1.ipynb")
    text = (SOLUTIONS / "03_activations_and_optimizers.ipynb").read_text(encoding="utf-8")
    (sub / "03_activations_and_optimizers.ipynb").write_text(text[: len(text) // 2], encoding="utf-8")  # cut short
    result = grade_submission(GradeRequest(sub, student="alice"), pytorch_basics_paths)

    nb01 = [c for c in result.checks if c.notebook == "01_tensor_ops"]
    assert sum(c.points for c in nb01) == pytest.approx(25)
    assert result.choices and "graded 01_tensor_ops-Copy1.ipynb" in result.choices[0]
    (reason,) = result.format_errors
    assert reason.startswith("03_activations_and_optimizers.ipynb is not a valid notebook (JSON error at line")
    nb03 = [c for c in result.checks if c.notebook == "03_activations_and_optimizers"]
    assert nb03 and all(c.points == 0 for c in nb03)
    assert not [c.message for c in nb03 if "not found" in c.message]  # the real reason, not "not found"
    assert {c.message for c in nb03} == {"not graded: 03_activations_and_optimizers.ipynb is not a valid notebook "
                                         "(see the first note)"}
    lines = summary_lines(result)
    assert lines[1] == "Part of the submission could not be graded:" and lines[2] == f"  - {reason}"
    assert sum(reason in line for line in lines) == 1
    assert sum("03_activations_and_optimizers: " in line and "checks not graded" in line for line in lines) == 1

    record = StudentRecord("alice", GRADED, result, reason="; ".join(result.format_errors))
    out = tmp_path / "results"
    outputs = build_class_outputs(out, config, ["alice"], {"alice": record}, tmp_path / "gb.db")
    row = next(csv.DictReader(io.StringIO(outputs.csv.read_text())))
    assert row["reason"] == reason and "01_tensor_ops-Copy1.ipynb" in row["files"]
    assert row["01_tensor_ops"] == "25" and row["03_activations_and_optimizers"] == "0"
    summary = outputs.summary.read_text()
    assert "01_tensor_ops-Copy1.ipynb" in summary and "is not a valid notebook" in summary

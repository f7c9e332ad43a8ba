"""Recognising submitted notebooks by grade ids, not file names."""
import json
from pathlib import Path

import pytest

from autograder.assignment import ConfigError, load_assignment
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
    assert any("ignored 01_tensor_ops (1).ipynb" in n for n in rec.notes)


def test_broken_and_foreign_notebooks_are_reported_not_fatal(tmp_path, config):
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    _nb(tmp_path / "other.ipynb", [_code("print('hello')")])
    _nb(tmp_path / "01.ipynb", [_code("x = 1", "sol_pick")])
    rec = recognise(tmp_path, config)
    assert list(rec.found) == ["01_tensor_ops"]
    assert any("broken.ipynb is not a valid notebook" in p and "line 1" in p for p in rec.problems)
    assert any("other.ipynb matches no notebook" in p for p in rec.problems)


def test_config_points_must_add_up(tmp_path):
    text = CONFIG.read_text().replace("points = 25", "points = 26", 1)
    (tmp_path / "a.toml").write_text(text)
    with pytest.raises(ConfigError, match="add up to 25 points, but the notebook is worth 26"):
        load_assignment(tmp_path / "a.toml")

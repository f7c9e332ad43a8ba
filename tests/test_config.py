"""One assignment, three descriptions of its points: the source notebooks' grade cells, the
grading config, and the checks. They must agree, or students see one total and get another."""
import json
from collections import defaultdict
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.course import assignment_paths
from autograder.engine.content import check_layout
from autograder.engine.run import collect_checks

ROOT = Path(__file__).resolve().parent.parent
PATHS = assignment_paths("pytorch_basics", ROOT)
CONFIG = load_assignment(PATHS.config_file)


@pytest.fixture(scope="module")
def checks():
    return collect_checks(check_layout(PATHS.checks, CONFIG))


def _grade_cells(nb_path: Path) -> dict[str, float]:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    out = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            out[meta["grade_id"]] = float(meta["points"])
    return out


def test_assignment_is_worth_100_points_25_40_35():
    assert [n.points for n in CONFIG.notebooks] == [25, 40, 35]
    assert CONFIG.points == 100


@pytest.mark.parametrize("spec", CONFIG.notebooks, ids=lambda s: s.stem)
def test_source_notebook_grade_cells_match_the_config(spec):
    cells = _grade_cells(PATHS.source / f"{spec.stem}.ipynb")
    assert cells == spec.cell_points


def test_checks_points_add_up_to_each_code_grade_cell(checks):
    total = defaultdict(float)
    for c in checks:
        total[c.grade_id] += c.points
    expected = {g: p for nb in CONFIG.notebooks for g, p in nb.cell_points.items() if g in nb.grade_cells}
    assert {g: round(p, 6) for g, p in total.items()} == expected


def test_every_grade_cell_has_a_public_check_and_a_hidden_one(checks):
    public = {c.grade_id for c in checks if c.public}
    hidden = {c.grade_id for c in checks if not c.public}
    cells = {g for nb in CONFIG.notebooks for g in nb.grade_cells}
    assert cells - public == set(), "grade cells without a public check"
    assert cells - hidden == set(), "grade cells judged only on the notebook's own example"


def test_check_names_begin_with_the_function_they_judge(checks):
    functions = {f for nb in CONFIG.notebooks for f in nb.functions}
    named = {c.name: {f.strip() for f in c.name.split(":")[0].split(",")} for c in checks}
    bad = [name for name, fns in named.items() if not fns <= functions]
    assert bad == []

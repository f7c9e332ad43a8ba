"""One description of each assignment: the manifest `autograder release` derives from the
notebooks, and everything that must agree with it (the checks' points, public and hidden checks,
check names, the rubric, the settings), checked for every assignment of the repository the way the
engine checks it at every load (`autograder lint`), and refused with the file and the cell named."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from autograder.assignment import ConfigError, load_assignment
from autograder.course import AssignmentPaths
from autograder.lint import lint_assignment

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny_course"
ASSIGNMENTS = [AssignmentPaths(ROOT, p.parent.parent.name) for p in sorted(ROOT.glob("source/*/grading/assignment.toml"))]
ASSIGNMENTS += [AssignmentPaths(TINY, "tiny"), AssignmentPaths(ROOT / "tests" / "data" / "doc_course", "vectors")]


@pytest.mark.parametrize("paths", ASSIGNMENTS, ids=lambda p: p.name)
def test_every_assignment_passes_lint(paths):
    """Manifest current, checks' points = cells' points, a public and a hidden check per cell, check
    names begin with the cell's functions, rubric = answer cells, public checks releasable."""
    report = lint_assignment(paths)
    assert report.problems == [], report.describe()


def test_pytorch_basics_is_worth_100_points_25_40_35():
    config = load_assignment(AssignmentPaths(ROOT, "pytorch_basics"))
    assert [n.points for n in config.notebooks] == [25, 40, 35]
    assert config.points == 100
    # solution cells come from the notebook (the cells before each grade cell), not from a naming rule
    nb3 = config.notebook("03_activations_and_optimizers")
    assert nb3.solution_cells["check_activations"] == ("sol_activations",)
    assert nb3.cell_functions["check_activations"] == ("sigmoid", "tanh_via_sigmoid", "relu", "leaky_relu",
                                                       "sigmoid_grad")
    assert nb3.solution_cells["q1_alexnet"] == ("q1_alexnet",)


def _tiny(tmp_path: Path) -> AssignmentPaths:
    shutil.copytree(TINY, tmp_path / "course")
    return AssignmentPaths(tmp_path / "course", "tiny")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_notebook_changed_since_the_release_is_refused_naming_the_notebook_and_cell(tmp_path):
    paths = _tiny(tmp_path)
    _edit(paths.source / "01_tiny.ipynb", '"points": 2,\n     "schema_version": 3,\n     "solution": false',
          '"points": 3,\n     "schema_version": 3,\n     "solution": false')
    with pytest.raises(ConfigError) as e:
        load_assignment(paths)
    assert "source/tiny/01_tiny.ipynb, grade cell check_double: its points changed (2 in release/tiny/manifest.json, " \
           "3 in the notebook)" in str(e.value)
    assert "autograder release tiny" in str(e.value)


def test_a_hand_edited_manifest_whose_points_do_not_add_up_is_refused(tmp_path):
    paths = _tiny(tmp_path)
    _edit(paths.manifest_file, '"points": 4,\n   "cells"', '"points": 5,\n   "cells"')
    with pytest.raises(ConfigError, match="the cells of 01_tiny add up to 4 points, but the notebook is worth 5"):
        load_assignment(paths)


def test_the_old_notebooks_tables_are_refused_with_what_to_do(tmp_path):
    paths = _tiny(tmp_path)
    paths.config_file.write_text(paths.config_file.read_text() + '\n[[notebooks]]\nstem = "01_tiny"\npoints = 4\n')
    with pytest.raises(ConfigError, match=r"\[\[notebooks\]\] is no longer read: grade cells, points and functions"):
        load_assignment(paths)


def test_a_missing_manifest_says_to_run_the_release(tmp_path):
    paths = _tiny(tmp_path)
    paths.manifest_file.unlink()
    with pytest.raises(ConfigError, match=r"release/tiny/manifest.json is missing: run `autograder release tiny`"):
        load_assignment(paths)


def test_wrong_check_points_and_a_cell_without_hidden_checks_are_refused_naming_the_cell(tmp_path):
    paths = _tiny(tmp_path)
    check_file = paths.checks / "01_tiny" / "check_double.py"
    _edit(check_file, '@check("check_double", points=1)\ndef test_double_other', '@check("check_double", points=2)\ndef test_double_other')
    problems = lint_assignment(paths).problems
    assert any(f"{check_file} (grade cell check_double of 01_tiny): its checks are worth 3 points, but the cell is "
               "worth 2" in p for p in problems), problems
    _edit(check_file, '@check("check_double", points=2)\ndef test_double_other', '@check("check_double", points=1, public=True)\ndef test_double_other')
    problems = lint_assignment(paths).problems
    assert any(f"{check_file} (grade cell check_double of 01_tiny): no hidden check" in p for p in problems), problems


def test_a_rubric_that_disagrees_with_the_answer_cells_is_refused(tmp_path):
    paths = _tiny(tmp_path)
    _edit(paths.rubrics_file, '[questions.q1_shape]\n', '[questions.q1_shape]\npoints = 3\n')
    problems = lint_assignment(paths).problems
    assert any("questions.q1_shape.points: 3, but the notebook's answer cell q1_shape is worth 2" in p
               for p in problems), problems
    _edit(paths.rubrics_file, '[questions.q1_shape]\npoints = 3\n', '[questions.q2_other]\npoints = 2\n')
    problems = lint_assignment(paths).problems
    assert any("no question for the answer cell(s) q1_shape" in p and "q2_other match no answer cell" in p
               for p in problems), problems


def test_a_grade_cell_without_a_solution_cell_before_it_is_refused_at_release(tmp_path):
    from autograder.assignment import manifest_of

    paths = _tiny(tmp_path)
    nb = json.loads((paths.source / "01_tiny.ipynb").read_text())
    nb["cells"][3]["metadata"]["nbgrader"]["solution"] = False  # sol_double is no solution cell any more
    (paths.source / "01_tiny.ipynb").write_text(json.dumps(nb))
    with pytest.raises(ConfigError, match=r"source/tiny/01_tiny.ipynb, cell 5 \(grade id check_double\): a grade "
                                          r"cell without a solution cell before it"):
        manifest_of(paths)


def test_nbgrader_style_ids_give_the_real_solution_cells(tmp_path):
    """Ids without the check_/sol_ naming (nbgrader's own `cell-...`): the manifest and the
    gradebook use the solution cell the notebook has, not a made-up one."""
    from autograder.assignment import manifest_of
    from autograder.gradebook.schema import comment_cells

    paths = _tiny(tmp_path)
    nb_path = paths.source / "01_tiny.ipynb"
    text = nb_path.read_text().replace('"sol_double"', '"cell-8a3f"').replace('"check_double"', '"cell-77b1"')
    nb_path.write_text(text)
    manifest = manifest_of(paths)
    cell = manifest.notebooks[0].cells[0]
    assert (cell.grade_id, cell.solution_cells, cell.functions) == ("cell-77b1", ("cell-8a3f",), ("double",))
    paths.manifest_file.write_text(manifest.to_json())
    (paths.checks / "01_tiny" / "check_double.py").rename(paths.checks / "01_tiny" / "cell-77b1.py")
    _edit(paths.checks / "01_tiny" / "cell-77b1.py", 'check("check_double", points=1, public=True)',
          'check("cell-77b1", points=1, public=True)')
    _edit(paths.checks / "01_tiny" / "cell-77b1.py", 'check("check_double", points=1)', 'check("cell-77b1", points=1)')
    config = load_assignment(paths)
    assert comment_cells(config) == {"cell-77b1": "cell-8a3f", "q1_shape": "q1_shape"}
    assert lint_assignment(paths).problems == []


def test_a_budget_for_no_graded_function_is_refused_by_lint(tmp_path):
    """`[limits] call_budgets_s = { trian = 3 }` would never apply: lint names it and the functions."""
    from autograder.assignment import manifest_of

    paths = _tiny(tmp_path)
    config = paths.config_file.read_text()
    for budgets, wrong in (("{ double = 3 }", None), ("{ trian = 3, double = 2 }", "trian")):
        paths.config_file.write_text(config + f"\n[limits]\ncall_budgets_s = {budgets}\n")
        paths.manifest_file.write_text(manifest_of(paths).to_json())
        problems = lint_assignment(paths).problems
        if wrong is None:
            assert problems == []
        else:
            assert problems == [f"{paths.config_file}: [limits] call_budgets_s names 'trian', which is no graded "
                                "function of the notebooks (they are: double); a budget applies to those only"], problems


def test_settings_are_declared_once_and_unknown_keys_name_the_known_ones(tmp_path):
    from autograder.lint import all_settings_help

    text = all_settings_help()
    for section in ("[limits]", "[worker_builds]", "[results]", "[short_answer_feedback]", "[release]", "[deadline]",
                    "[settings]"):
        assert section in text
    for key in ("cell_timeout_s", "layers", "optimizers", "hidden_check_visibility", "score_decimals", "before_due",
                "public_files", "review_band", "languages", "percent_per_day"):
        assert f"  {key} = " in text, key
    paths = _tiny(tmp_path)
    paths.config_file.write_text(paths.config_file.read_text() + "\n[limits]\ncell_timeout = 5\n")
    with pytest.raises(ConfigError, match=r"assignment.toml: \[limits\] unknown sandbox limit\(s\) \['cell_timeout'\]; "
                                          r"known: .*'cell_timeout_s'"):
        load_assignment(paths)
    paths.config_file.write_text(paths.config_file.read_text().replace("cell_timeout = 5", "cell_timeout_s = 5"))
    with pytest.raises(ConfigError, match=r"the assignment.s settings changed in grading/assignment.toml"):
        load_assignment(paths)  # a setting changed since the release: the student's copy would differ

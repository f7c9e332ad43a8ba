"""An assignment's check files: one per grade cell, imported under a package of their own.

Two assignments graded in one process must not share a helper module: before, check modules
imported their helpers as a top-level `reference` through sys.path, and the second assignment
got the first one's. The tiny assignment under tests/data/tiny_course has helper and fixture
modules named like pytorch_basics's on purpose.
"""
from __future__ import annotations

import multiprocessing as mp
import shutil
import sys
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.course import AssignmentPaths
from autograder.engine.content import check_layout
from autograder.engine.run import GraderFault, collect_checks

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "tests" / "data" / "tiny_course"


def _grade(course: str, assignment: str, submission: str) -> dict:
    from autograder.grading import GradeRequest, grade_submission

    result = grade_submission(GradeRequest(submission=Path(submission)), AssignmentPaths(Path(course), assignment))
    points: dict[str, tuple[float, float]] = {}
    for c in result.checks:
        got, most = points.get(c.grade_id, (0.0, 0.0))
        points[c.grade_id] = (got + c.points, most + c.max_points)
    return {"points": points,
            "grader_errors": result.grader_errors, "messages": [c.message for c in result.checks if c.points < c.max_points],
            "notebooks": sorted({c.notebook for c in result.checks})}


def _grade_in_turn(jobs: list[tuple[str, str, str]]) -> list[dict]:
    """Grade one submission after the other, in this process (a fresh child of the test run)."""
    return [_grade(*job) for job in jobs]


def _key_of_nb01(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(REPO / "source" / "pytorch_basics" / "01_tensor_ops.ipynb", folder)
    return folder


def test_two_assignments_grade_in_one_process_with_their_own_helpers(tmp_path):
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    shutil.copy(TINY / "source" / "tiny" / "01_tiny.ipynb", tiny)
    basics = _key_of_nb01(tmp_path / "basics")
    jobs = [(str(TINY), "tiny", str(tiny)), (str(REPO), "pytorch_basics", str(basics)), (str(TINY), "tiny", str(tiny))]
    with mp.get_context("spawn").Pool(1) as pool:  # a fresh process: nothing imported before
        first, second, third = pool.apply(_grade_in_turn, (jobs,))
    for r in (first, third):
        assert r["grader_errors"] == [], r["grader_errors"]
        assert r["points"] == {"check_double": (2.0, 2.0), "q1_shape": (2.0, 2.0)}, r["messages"]
    assert second["grader_errors"] == [], second["grader_errors"]
    nb01 = {g for nb in load_assignment(AssignmentPaths(REPO, "pytorch_basics")).notebooks
            if nb.stem == "01_tensor_ops" for g in nb.grade_cells}
    assert {g: p for g, p in second["points"].items() if g in nb01 and p[0] < p[1]} == {}, second["messages"]


def test_check_files_are_named_after_grade_cells():
    paths = AssignmentPaths(REPO, "pytorch_basics")
    config = load_assignment(paths.config_file)
    layout = check_layout(paths.checks, config)
    assert layout.missing() == [] and layout.strays() == []
    for nb in config.notebooks:
        for gid in nb.grade_cells:
            assert layout.files[gid] == paths.checks / nb.stem / f"{gid}.py"
    assert layout.package.startswith("autograder_assignment_pytorch_basics_")
    assert layout.package != check_layout(TINY / "source/tiny/grading/checks", load_assignment(
        AssignmentPaths(TINY, "tiny"))).package
    assert str(paths.checks) not in sys.path


def _tiny_copy(tmp_path: Path) -> AssignmentPaths:
    root = tmp_path / "course"
    shutil.copytree(TINY, root)
    return AssignmentPaths(root, "tiny")


def test_a_check_in_another_cells_file_or_a_stray_file_is_refused(tmp_path):
    paths = _tiny_copy(tmp_path)
    config = load_assignment(paths.config_file)
    stray = paths.checks / "01_tiny" / "check_dobule.py"
    stray.write_text("")
    with pytest.raises(GraderFault, match="check_dobule.py is not named after a grade cell"):
        collect_checks(check_layout(paths.checks, config))
    stray.unlink()
    (paths.checks / "01_tiny" / "check_double.py").unlink()
    with pytest.raises(GraderFault, match=r"grade cell check_double of 01_tiny has no check file"):
        collect_checks(check_layout(paths.checks, config))


def test_a_check_marked_for_another_grade_cell_is_a_grader_error(tmp_path):
    paths = _tiny_copy(tmp_path)
    check_file = paths.checks / "01_tiny" / "check_double.py"
    check_file.write_text(check_file.read_text() + '''

@check("check_other", points=1)
def test_misplaced(nb):
    "double: a check of another cell"
''')
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy(paths.source / "01_tiny.ipynb", sub)
    r = _grade(str(paths.course_root), "tiny", str(sub))
    assert any("check_other" in e for e in r["grader_errors"]), r["grader_errors"]


def _unreachable(tree) -> list[int]:
    """Lines of statements that follow a return, raise, break or continue in the same block."""
    import ast

    lines = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for before, after in zip(block, block[1:]):
                if isinstance(before, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
                    lines.append(after.lineno)
    return lines


def test_no_check_or_engine_code_is_unreachable():
    """A judgement left after a `return` never runs, and the check then passes replies it was written
    to fail (the in-place collapse_linear kept its points that way once). Every check file, content
    helper and engine module is read for statements after a return/raise/break/continue."""
    import ast

    root = Path(__file__).resolve().parent.parent
    files = [*root.glob("source/*/grading/**/*.py"), *root.glob("autograder/**/*.py"),
             *root.glob("tests/data/**/grading/**/*.py")]
    assert len(files) > 100
    found = [f"{f.relative_to(root)}:{n}" for f in files for n in _unreachable(ast.parse(f.read_text(), str(f)))]
    assert found == [], "statements that never run: " + ", ".join(found)


def test_the_unreachable_finder_finds_them():
    import ast

    code = "def f(x):\n    return x\n    assert x\n\nfor i in []:\n    continue\n    print(i)\n"
    assert _unreachable(ast.parse(code)) == [3, 7]

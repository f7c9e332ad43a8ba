"""`autograder release`: instructor notebooks -> student release + answer key.

Most tests use a tiny course written here (two small notebooks, seconds to release); the
`slow` ones check the real pytorch_basics assignment end to end.
"""
from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.course import AssignmentPaths
from autograder.release import CODE_STUB, TEXT_STUB, ReleaseError, release_assignment

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{3,}\b")
REGIONS = {
    "solution": ("BEGIN SOLUTION", "END SOLUTION"),
    "hidden": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    "mark": ("BEGIN MARK SCHEME", "END MARK SCHEME"),
}


# --------------------------------------------------------------------------- helpers


def nbg(gid, *, grade=False, solution=False, locked=False, task=False, points=None) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": locked, "task": task, "grade_id": gid, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def tiny_notebooks() -> dict[str, nbformat.NotebookNode]:
    one = new_notebook(
        cells=[
            new_markdown_cell("# Tiny / 小作业\n\nImplement `double(x)` below. 请实现下面的 `double(x)`。"),
            new_code_cell(
                'def double(x):\n    """Twice x."""\n    ### BEGIN SOLUTION\n'
                "    doubled = x + x  # SECRET-CODE-LINE\n    return doubled\n    ### END SOLUTION",
                metadata=nbg("sol_double", solution=True),
            ),
            new_code_cell(
                "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6  # HIDDEN-TEST-LINE\n"
                '### END HIDDEN TESTS\nprint("double: public checks passed")',
                metadata=nbg("check_double", grade=True, locked=True, points=2),
            ),
            new_code_cell("LOCKED_SETUP = 'read-only cell'", metadata=nbg("setup_locked", locked=True)),
            new_markdown_cell("Define the constant `ANSWER`. 定义常量 `ANSWER`。"),
            new_code_cell("ANSWER = 42  # SECRET-WHOLE-CELL", metadata=nbg("sol_answer", solution=True)),
            new_code_cell('assert isinstance(ANSWER, int)\nprint("answer: public checks passed")', metadata=nbg("check_answer", grade=True, locked=True, points=1)),
            new_markdown_cell("**Q1.** Why is the sky blue? 天空为什么是蓝色的？"),
            new_markdown_cell(
                "Rayleigh scattering SECRET-MARKDOWN-ANSWER: shorter wavelengths scatter more. 瑞利散射。",
                metadata=nbg("q1_sky", grade=True, solution=True, points=3),
            ),
            new_markdown_cell(
                "Rubric for Q1.\n=== BEGIN MARK SCHEME ===\nMARK-SCHEME-LINE: mentions wavelength (1 point)\n"
                "=== END MARK SCHEME ===",
                metadata=nbg("task_q1", task=True, points=1),
            ),
            new_code_cell(
                "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(2, 2))\nax.plot([1, 2, 3])\n"
                "print(double, open('data.txt').read().strip())"
            ),
        ],
        metadata={"kernelspec": {"name": "my-laptop-env", "display_name": "Torch (laptop)", "language": "python"},
                  "language_info": {"name": "python", "version": "3.9.1"},
                  "widgets": {"state": {}}, "papermill": {"duration": 1.0}},
    )
    two = new_notebook(
        cells=[
            new_markdown_cell("Implement `triple(x)`. 实现 `triple(x)`。"),
            new_code_cell(
                "def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x  # SECRET-TRIPLE\n    ### END SOLUTION",
                metadata=nbg("sol_triple", solution=True),
            ),
            new_code_cell('assert triple(1) == 3\nprint("triple: public checks passed")',
                          metadata=nbg("check_triple", grade=True, locked=True, points=5)),
        ]
    )
    two.cells[1].metadata["execution"] = {"iopub.execute_input": "2024-01-01T00:00:00Z"}
    two.cells[1].metadata["ExecuteTime"] = {"end_time": "2024-01-01T00:00:00Z"}
    return {"01_tiny": one, "02_more": two}


def write_course(root: Path, notebooks: dict[str, nbformat.NotebookNode] | None = None, name="tiny") -> AssignmentPaths:
    src = root / "source" / name
    (src / "grading" / "checks").mkdir(parents=True)
    (src / "grading" / "assignment.toml").write_text("SECRET-GRADING-CONFIG = 1\n")
    (src / "grading" / "checks" / "checks_tiny.py").write_text("# SECRET-HIDDEN-CHECK\n")
    (src / "data.txt").write_text("supporting data\n")
    (src / ".ipynb_checkpoints").mkdir()
    (src / ".ipynb_checkpoints" / "01_tiny-checkpoint.ipynb").write_text("{}")
    for stem, nb in (notebooks or tiny_notebooks()).items():
        nbformat.write(nb, src / f"{stem}.ipynb")
        write_checks(src / "grading" / "checks" / stem, nb)
    return AssignmentPaths(root, name)


CHECK_FILE = """from autograder.checks import check


@check("{gid}", points={half}, public=True)
def test_public(nb):
    "{fn}: the notebook's example"


@check("{gid}", points={half})
def test_hidden(nb):
    "{fn}: another input"
    assert True  # SECRET-HIDDEN-CHECK
"""


def write_checks(folder: Path, nb: nbformat.NotebookNode) -> None:
    """A check file per code grade cell (checks/<notebook>/<grade id>.py: the release cuts its
    public checks from it), a public and a hidden check each."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            folder.mkdir(parents=True, exist_ok=True)
            gid = meta["grade_id"]
            (folder / f"{gid}.py").write_text(CHECK_FILE.format(gid=gid, half=meta.get("points", 2) / 2,
                                                                fn=gid.removeprefix("check_")))


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def all_text(root: Path) -> str:
    """Every file under root as text, plus each notebook's cell sources and outputs decoded from
    JSON (so that quotes and non-ASCII text compare as written)."""
    parts = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        raw = path.read_text(encoding="utf-8", errors="replace")
        parts.append(raw)
        if path.suffix == ".ipynb":
            nb = json.loads(raw)
            for cell in nb["cells"]:
                parts.append("".join(cell["source"]))
                for out in cell.get("outputs", []):
                    parts.append(json.dumps(out, ensure_ascii=False))
                    parts.append("".join(out.get("text", [])))
    return "\n".join(parts)


def region_lines(source: str, kind: str) -> list[str]:
    begin, end = REGIONS[kind]
    inside, lines = False, []
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def secret_lines(source_dir: Path) -> dict[str, set[str]]:
    """Lines students must not see, by kind: solution bodies (regions, or whole solution cells)
    and markdown answers; hidden tests; mark schemes. Lines that also occur in the public part of
    the notebooks (prompts, checks, stubs), even inside a longer line, are left out, as are very
    short ones."""
    secrets: dict[str, set[str]] = {"solution": set(), "hidden": set(), "mark": set()}
    public: list[str] = []
    for path in sorted(source_dir.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            src = cell.source
            found = {kind: region_lines(src, kind) for kind in REGIONS}
            if meta.get("solution") and not any(REGIONS["solution"][0] in l for l in src.split("\n")):
                found["solution"] = src.split("\n")  # the whole cell is the answer
            for kind, lines in found.items():
                secrets[kind].update(l.strip() for l in lines)
            hidden_anywhere = {l for ls in found.values() for l in ls}
            public += [l.strip() for l in src.split("\n") if l not in hidden_anywhere]
    # text already public in the source (a prompt that names `loss.backward()`) may appear
    public_text = "\n".join(public + [CODE_STUB, TEXT_STUB])
    return {k: {l for l in v if len(l) >= 6 and l not in public_text and not re.fullmatch(r"[#=\s]*", l)} for k, v in secrets.items()}


def grade_cells(nb) -> list:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


# --------------------------------------------------------------------------- the tiny course


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    paths = write_course(root)
    report = release_assignment(paths, jobs=2)
    return paths, report


def test_report_lists_the_files_written(tiny):
    paths, report = tiny
    assert report.release_dir == paths.release.resolve()
    released = ["01_tiny.ipynb", "02_more.ipynb", "checks/01_tiny/check_answer.py", "checks/01_tiny/check_double.py",
                "checks/02_more/check_triple.py", "data.txt", "manifest.json"]  # with the manifest and public checks
    assert [p.as_posix() for p in report.release_files] == released
    assert [p.as_posix() for p in report.solution_files] == ["01_tiny.ipynb", "02_more.ipynb", "data.txt"]
    assert sorted(files_under(paths.release)) == released
    assert "01_tiny.ipynb" in report.describe()


def test_grading_material_checkpoints_and_gradebook_stay_out(tiny):
    paths, _ = tiny
    for out in (paths.release, paths.solutions):
        assert "SECRET-GRADING-CONFIG" not in all_text(out)
        assert "SECRET-HIDDEN-CHECK" not in all_text(out)
        assert not list(out.rglob("*checkpoint*"))
    assert not list(paths.course_root.rglob("gradebook.db"))
    assert not [p for p in paths.course_root.rglob("*") if ".new-" in p.name or ".old-" in p.name]


def test_stub_raises_not_implemented_with_a_bilingual_message(tiny):
    paths, _ = tiny
    nb = nbformat.read(paths.release / "01_tiny.ipynb", as_version=4)
    sol = {c.metadata.nbgrader.grade_id: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    assert "# YOUR CODE HERE" in sol["sol_double"].source
    assert sol["q1_sky"].source == "YOUR ANSWER HERE"

    namespace: dict = {}
    exec(sol["sol_double"].source, namespace)  # defining the function works
    with pytest.raises(NotImplementedError) as err:
        namespace["double"](2)
    message = str(err.value)
    assert "Replace this line with your code" in message and CJK.search(message)

    with pytest.raises(NotImplementedError):  # a whole solution cell is replaced by the stub
        exec(sol["sol_answer"].source, {})


def test_release_contains_no_solution_hidden_test_or_rubric_text(tiny):
    paths, _ = tiny
    secrets = secret_lines(paths.source)
    # the helper finds what this course hides (so the test below is not vacuous)
    assert any("SECRET-CODE-LINE" in l for l in secrets["solution"])
    assert any("SECRET-WHOLE-CELL" in l for l in secrets["solution"])
    assert any("SECRET-MARKDOWN-ANSWER" in l for l in secrets["solution"])
    assert any("HIDDEN-TEST-LINE" in l for l in secrets["hidden"])
    assert any("MARK-SCHEME-LINE" in l for l in secrets["mark"])

    released = all_text(paths.release)
    for kind in ("solution", "hidden", "mark"):
        leaked = sorted(l for l in secrets[kind] if l in released)
        assert not leaked, f"{kind} text in the release: {leaked}"


def test_answer_key_keeps_solutions_and_drops_hidden_tests_and_rubrics(tiny):
    paths, _ = tiny
    key = all_text(paths.solutions)
    secrets = secret_lines(paths.source)
    assert all(l in key for l in secrets["solution"])
    assert not [l for l in secrets["hidden"] | secrets["mark"] if l in key]
    assert "BEGIN HIDDEN TESTS" not in key and "BEGIN MARK SCHEME" not in key


def test_answer_key_is_executed_and_its_public_checks_pass(tiny):
    paths, _ = tiny
    for path in sorted(paths.solutions.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count == i for i, c in enumerate(code, 1)), path.name
        assert not [o for c in code for o in c.outputs if o.output_type == "error"], path.name
        for cell in grade_cells(nb):
            if cell.cell_type == "code":
                printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
                assert "public checks passed" in printed, (path.name, cell.metadata.nbgrader.grade_id)
    last = nbformat.read(paths.solutions / "01_tiny.ipynb", as_version=4).cells[-1]
    assert any("image/png" in o.get("data", {}) for o in last.outputs)  # the figure is there
    text = "".join(o.get("text", "") for o in last.outputs)
    assert "supporting data" in text  # ran next to the supporting files
    assert "<function double at 0x...>" in text  # no memory address


def test_grade_cells_are_locked_and_checksummed(tiny):
    from nbgrader.utils import compute_checksum

    paths, _ = tiny
    nb = nbformat.read(paths.release / "01_tiny.ipynb", as_version=4)
    by_id = {c.metadata.nbgrader.grade_id: c for c in nb.cells if "nbgrader" in c.metadata}
    check = by_id["check_double"]
    assert check.metadata.editable is False and check.metadata.deletable is False
    assert check.metadata.nbgrader.checksum == compute_checksum(check)
    assert by_id["setup_locked"].metadata.editable is False
    assert by_id["setup_locked"].metadata.nbgrader.checksum == compute_checksum(by_id["setup_locked"])
    # an unanswered solution cell still has its stub's checksum: nbgrader scores it 0
    assert by_id["sol_double"].metadata.nbgrader.checksum == compute_checksum(by_id["sol_double"])


def test_notebooks_are_normalised(tiny):
    paths, _ = tiny
    for out in (paths.release, paths.solutions):
        for path in sorted(out.glob("*.ipynb")):
            raw = path.read_text(encoding="utf-8")
            assert raw.endswith("}\n") and raw.startswith("{\n \"cells\": [\n")
            nb = json.loads(raw)
            assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
            assert nb["metadata"]["kernelspec"] == {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
            assert "version" not in nb["metadata"]["language_info"]
            assert set(nb["metadata"]) == {"kernelspec", "language_info"}
            ids = [c["id"] for c in nb["cells"]]
            assert len(set(ids)) == len(ids)
            for cell in nb["cells"]:
                assert not {"execution", "ExecuteTime", "trusted"} & set(cell["metadata"])
                gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
                if gid:
                    assert cell["id"] == gid
            for bad in (str(paths.course_root), "/tmp/", str(Path.home()), "ipykernel_"):
                assert bad not in raw, (path.name, bad)


def test_two_runs_are_byte_identical(tiny, tmp_path):
    paths, _ = tiny
    again = release_assignment(paths, tmp_path / "release", tmp_path / "solutions", jobs=1)
    assert files_under(tmp_path / "release") == files_under(paths.release)
    assert files_under(tmp_path / "solutions") == files_under(paths.solutions)
    assert again.release_dir == (tmp_path / "release").resolve()


def test_nbgrader_validator_flags_unanswered_and_edited_grade_cells(tiny, tmp_path):
    from nbgrader.validator import Validator

    paths, _ = tiny
    results = Validator().validate(str(paths.release / "02_more.ipynb"))
    assert set(results) == {"failed"}  # nothing changed; the unanswered check fails
    assert [f["source"] for f in results["failed"]] == ['assert triple(1) == 3\nprint("triple: public checks passed")']
    assert "NotImplementedError" in results["failed"][0]["raw_error"]

    tampered = nbformat.read(paths.release / "02_more.ipynb", as_version=4)
    tampered.cells[2].source = "pass  # a student removed the check"
    nbformat.write(tampered, tmp_path / "02_more.ipynb")
    results = Validator().validate(str(tmp_path / "02_more.ipynb"))
    assert [c["source"] for c in results["changed"]] == ["pass  # a student removed the check"]


# --------------------------------------------------------------------------- the same release on another CPU


def _png(width: int = 4, height: int = 3, pixel: tuple[int, int, int] = (255, 0, 0)) -> str:
    import base64
    import io

    from PIL import Image

    im = Image.new("RGB", (width, height), (255, 255, 255))
    im.putpixel((0, 0), pixel)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _key(text: str = "loss 0.86, accuracy 0.96\n", png: str | None = None, source: str = "train()") -> bytes:
    from nbformat.v4 import new_output

    cell = new_code_cell(source, execution_count=1, outputs=[
        new_output("stream", name="stdout", text=text),
        new_output("display_data", data={"image/png": png or _png(), "text/plain": "<Figure size 400x300 with 1 Axes>"}),
    ])
    cell["id"] = "cell-0"
    return nbformat.writes(new_notebook(cells=[cell])).encode()


def test_only_cpu_dependent_output_may_differ():
    from autograder.release.reproducible import differences

    key = _key()
    assert differences(key, key) == []
    assert differences(key, _key(png=_png(pixel=(0, 0, 255)))) == []  # other pixels, same picture size
    assert differences(key, _key("loss 0.85, accuracy 0.97\n")) == []  # a last digit rounded the other way
    # everything else is drift, named where it is
    for other, said in [(_key(png=_png(5, 3)), "images differ"),
                        (_key(png="bm90IGFuIGltYWdl"), "not valid"),
                        (_key("loss 0.86, accuracy 0.98\n"), "output text differs"),  # two units off
                        (_key("loss 0.86, accuracy 0.965\n"), "output text differs"),  # another precision
                        (_key("loss 0.86, accuracy 0.96, 1523 points\n"), "output text differs"),
                        (_key("loss 0.86, accuracy 0.96\nsecret = 42\n"), "output text differs"),  # a leaked line
                        (_key(source="train(epochs=10)"), "cells[0].source")]:
        found = differences(key, other)
        assert found and said in found[0], (said, found)
    assert differences(b"a,b\n", b"a,c\n") == ["the bytes differ"]


def test_release_keeps_committed_bytes_that_differ_only_by_cpu(tiny, tmp_path):
    """The committed answer key's picture was rendered on another CPU (other pixels, same size):
    the release keeps those bytes; a committed notebook that really differs is replaced."""
    import base64
    import io
    import shutil

    from PIL import Image

    paths, _ = tiny
    committed = tmp_path / "committed"
    shutil.copytree(paths.solutions, committed)
    one = json.loads((committed / "01_tiny.ipynb").read_text())
    out = next(o for c in one["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    im = Image.open(io.BytesIO(base64.b64decode(out["data"]["image/png"]))).convert("RGB")
    im.putpixel((5, 5), (1, 2, 3))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    out["data"]["image/png"] = base64.b64encode(buf.getvalue()).decode()
    (committed / "01_tiny.ipynb").write_text(json.dumps(one, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    (committed / "02_more.ipynb").write_text((committed / "02_more.ipynb").read_text().replace("3 * x", "x + x + x"))
    report = release_assignment(paths, tmp_path / "release", tmp_path / "solutions", jobs=2,
                                committed=(paths.release, committed))
    assert (tmp_path / "solutions" / "01_tiny.ipynb").read_bytes() == (committed / "01_tiny.ipynb").read_bytes()
    assert (tmp_path / "solutions" / "02_more.ipynb").read_bytes() == (paths.solutions / "02_more.ipynb").read_bytes()
    assert report.kept == ("solutions/tiny/01_tiny.ipynb",) and "kept the committed bytes" in report.describe()


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def committed(tmp_path):
    """A course whose release/ and solutions/ already hold committed files."""
    paths = write_course(tmp_path)
    for out in (paths.release, paths.solutions):
        out.mkdir(parents=True)
        (out / "01_tiny.ipynb").write_text("committed\n")
    return paths


def assert_untouched(paths: AssignmentPaths) -> None:
    for out in (paths.release, paths.solutions):
        assert files_under(out) == {"01_tiny.ipynb": b"committed\n"}
        assert sorted(p.name for p in out.parent.iterdir()) == [paths.name]  # no staging folders left


def test_unknown_assignment(committed):
    with pytest.raises(ReleaseError, match=r"unknown assignment 'tinny'.*known assignments: tiny"):
        release_assignment(AssignmentPaths(committed.course_root, "tinny"))
    assert_untouched(committed)


def test_notebook_that_is_not_json(committed):
    (committed.source / "02_more.ipynb").write_text('{"cells": [\n  oops\n')
    with pytest.raises(ReleaseError, match=r"source/tiny/02_more.ipynb is not valid JSON \(line 2, column 3.*git checkout"):
        release_assignment(committed)
    assert_untouched(committed)


def test_json_that_is_not_a_notebook(committed):
    (committed.source / "02_more.ipynb").write_text('{"hello": 1}')
    with pytest.raises(ReleaseError, match=r"02_more.ipynb is JSON but not a valid Jupyter notebook"):
        release_assignment(committed)
    assert_untouched(committed)


@pytest.mark.parametrize("where", ["same notebook", "other notebook"])
def test_duplicate_grade_ids(tmp_path, where):
    notebooks = tiny_notebooks()
    target = notebooks["01_tiny"] if where == "same notebook" else notebooks["02_more"]
    target.cells.append(new_code_cell("print('public checks passed')", metadata=nbg("check_double", grade=True, locked=True, points=1)))
    paths = write_course(tmp_path, notebooks)
    with pytest.raises(ReleaseError, match=r"duplicate grade id 'check_double': used by source/tiny/01_tiny.ipynb, cell 2 and by source/tiny/0\d_\w+.ipynb, cell \d+.*rename"):
        release_assignment(paths)
    assert not paths.release.exists() and not paths.solutions.exists()


def test_grade_cell_without_points(committed):
    nb = nbformat.read(committed.source / "02_more.ipynb", as_version=4)
    del nb.cells[2].metadata.nbgrader["points"]
    nbformat.write(nb, committed.source / "02_more.ipynb")
    with pytest.raises(ReleaseError, match=r"02_more.ipynb, cell 2 \(grade id 'check_triple'\): a grade cell without points.*Add \"points\""):
        release_assignment(committed)
    assert_untouched(committed)


def test_unclosed_solution_region(committed):
    nb = nbformat.read(committed.source / "02_more.ipynb", as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("### END SOLUTION", "")
    nbformat.write(nb, committed.source / "02_more.ipynb")
    with pytest.raises(ReleaseError, match=r"02_more.ipynb, cell 1, line 2: 'BEGIN SOLUTION' is never closed"):
        release_assignment(committed)
    assert_untouched(committed)


def test_source_notebook_that_fails_to_execute(committed):
    nb = nbformat.read(committed.source / "02_more.ipynb", as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("return 3 * x", "return 3 * x + 1")
    nbformat.write(nb, committed.source / "02_more.ipynb")
    with pytest.raises(ReleaseError) as err:
        release_assignment(committed, jobs=1)
    message = str(err.value)
    assert "source/tiny/02_more.ipynb failed to execute at cell 2 (grade id 'check_triple')" in message
    assert "AssertionError" in message
    assert_untouched(committed)


def test_no_notebooks(tmp_path):
    (tmp_path / "source" / "empty").mkdir(parents=True)
    with pytest.raises(ReleaseError, match=r"assignment 'empty' has no notebooks"):
        release_assignment(AssignmentPaths(tmp_path, "empty"))


# --------------------------------------------------------------------------- the real assignment

EXPECTED_POINTS = {"01_tensor_ops": 25, "02_spiral_classification": 40, "03_activations_and_optimizers": 35}


@pytest.fixture(scope="module")
def real(pytorch_basics_paths, tmp_path_factory):
    paths = pytorch_basics_paths
    out = tmp_path_factory.mktemp("pytorch_basics")
    report = release_assignment(paths, out / "release", out / "solutions", committed=(paths.release, paths.solutions))
    return paths, report


@pytest.mark.slow
def test_real_points_add_up(pytorch_basics_paths):
    paths = pytorch_basics_paths
    found = {}
    for path in sorted(paths.source.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found[path.stem] = sum(c.metadata.nbgrader["points"] for c in grade_cells(nb))
    assert found == EXPECTED_POINTS
    assert sum(found.values()) == 100


def _stale(committed: Path, generated: Path) -> str:
    """What differs, file by file, for the failure message."""
    from autograder.release.reproducible import differences

    old, new = files_under(committed), files_under(generated)
    lines = [f"{name}: {'; '.join(differences(old.get(name, b''), new.get(name, b'')))}"
             for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
    return ("\n".join(lines) + "\nThis differs beyond image pixels and last-digit rounding (the part of an answer key "
            "that depends on the CPU). If you changed source/, run `autograder release pytorch_basics` and commit "
            "release/ and solutions/; if not, this environment is not requirements.lock (run ./scripts/bootstrap.sh).")


@pytest.mark.slow
def test_real_regeneration_matches_committed_release_and_answer_key(real):
    """On any CPU: `autograder release` regenerates the committed bytes (git status stays clean),
    because where this machine's answer key differs only in what its CPU decides (pixels, a last
    printed digit) the committed bytes are kept; any other difference is real drift."""
    paths, report = real
    released = [p.as_posix() for p in report.release_files]
    assert [p for p in released if p.endswith(".ipynb")] == [f"{s}.ipynb" for s in EXPECTED_POINTS]
    # beside the notebooks: the manifest, and the public checks with the helpers they use
    assert sorted(p for p in released if not p.endswith(".ipynb")) == sorted(
        ["manifest.json", "checks/public.py", "checks/public_spirals.pt"]
        + [f"checks/{stem}/{p.name}" for stem in EXPECTED_POINTS
           for p in sorted((paths.checks / stem).glob("check_*.py"))])
    assert files_under(report.release_dir) == files_under(paths.release), _stale(paths.release, report.release_dir)
    assert files_under(report.solutions_dir) == files_under(paths.solutions), _stale(paths.solutions, report.solutions_dir)


@pytest.mark.slow
def test_real_release_hides_solutions_hidden_tests_and_rubrics(real):
    paths, report = real
    secrets = secret_lines(paths.source)
    assert secrets["solution"]
    released = all_text(report.release_dir)
    for kind in ("solution", "hidden", "mark"):
        leaked = sorted(l for l in secrets[kind] if l in released)
        assert not leaked, f"{kind} text in the release: {leaked[:5]}"
    key = all_text(report.solutions_dir)
    assert not sorted(l for l in secrets["hidden"] | secrets["mark"] if l in key)


@pytest.mark.slow
def test_real_answer_key_runs_clean_and_passes_every_public_check(real):
    """The answer key is the source notebooks (minus hidden tests) run top to bottom: no cell
    raised, and every check cell printed its "public checks passed" line."""
    _, report = real
    for path in sorted(report.solutions_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        errors = [(i, o.ename) for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, (path.name, errors)
        checks = [c for c in grade_cells(nb) if c.cell_type == "code"]
        assert checks, path.name
        for cell in checks:
            printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert "public checks passed" in printed, (path.name, cell.metadata.nbgrader.grade_id, printed[-300:])


@pytest.mark.slow
def test_real_source_notebooks_execute_with_hidden_tests(pytorch_basics_paths, tmp_path):
    """The instructor notebooks themselves, hidden tests included, run without error."""
    from autograder.release.answer_key import ExecuteNotebook, kernel_env
    from autograder.release.steps import normalise_kernelspec

    sources = sorted(pytorch_basics_paths.source.glob("*.ipynb"))
    assert sources, "no source notebooks under source/pytorch_basics"
    run = ExecuteNotebook(tmp_path, kernel_env(tmp_path), cell_timeout=300)

    def execute(path: Path) -> None:
        nb = normalise_kernelspec(nbformat.read(path, as_version=4), path.name)
        run(nb, path.name)  # raises ReleaseError naming the cell

    with ThreadPoolExecutor(len(sources)) as pool:  # one kernel (one thread) per notebook
        list(pool.map(execute, sources))


@pytest.mark.slow
def test_real_release_validates_as_unanswered_with_nbgrader(real):
    """nbgrader's validator finds no changed locked cell, and fails every grade cell of the
    unanswered release: each check cell because the graded function it calls raises
    NotImplementedError, each short answer because it is still the stub."""
    from nbgrader.validator import Validator

    _, report = real
    for path in sorted(report.release_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        checks = {c.source.strip() for c in grade_cells(nb) if c.cell_type == "code"}
        answers = [c.source.strip() for c in grade_cells(nb) if c.cell_type == "markdown"]
        assert all(a == TEXT_STUB for a in answers), path.name
        results = Validator().validate(str(path))
        assert set(results) == {"failed"}, (path.name, results)  # no "changed" / "type_changed"
        failed = results["failed"]
        assert sorted(f["source"] for f in failed if f["source"] in checks) == sorted(checks), path.name
        assert [f["source"] for f in failed if f["source"] not in checks] == answers, path.name
        for f in failed:
            if f["source"] in checks:
                assert "NotImplementedError" in f["raw_error"], (path.name, f["source"][:80], f["raw_error"][-400:])
            else:
                assert f["raw_error"] == "You did not provide a response.", (path.name, f["raw_error"])


@pytest.mark.slow
def test_real_prompts_are_in_english_and_chinese(real):
    _, report = real
    for path in sorted(report.release_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        prompt: list[str] = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                text = "\n".join(prompt)
                where = (path.name, meta["grade_id"])
                assert CJK.search(text), (*where, "no Chinese in the prompt", text[:200])
                assert len(ENGLISH_WORDS.findall(CJK.sub(" ", text))) >= 3, (*where, "no English in the prompt", text[:200])
                prompt = []
            elif meta.get("grade") or meta.get("locked"):
                prompt = []
            elif cell.cell_type == "markdown":
                prompt.append(cell.source)

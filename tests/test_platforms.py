"""Gradescope, PrairieLearn and CI: the bundle, and the runners against temporary roots.

Each runner is run against a temporary folder laid out like the platform's (`<tmp>/autograder/...`,
`<tmp>/grade/...`, a student repository), and its results file is validated with the reporters'
JSON schemas. The bundle's contents are checked on pytorch_basics (its hidden material must stay in
its grading folder); the runners grade the tiny fixture assignment (tests/data/tiny_course): what
they do does not depend on the assignment, and its answer key grades in seconds where
pytorch_basics' trains spirals for a minute. It is graded once per module all the same:
`grade_submission` is wrapped by a module-scoped memo that grades each distinct
(notebooks, grading material) pair once and records every call (to check the hidden paths each
runner passes); the Gradescope runner grades for real, PrairieLearn and CI reuse the record. The
`run_autograder` script from the zip, the PrairieLearn per-notebook question, and every fault
case grade for real.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from helpers import solution_lines
import yaml

import autograder.grading
from autograder.assignment import load_assignment
from autograder.manifest import Cell, Manifest, Notebook
from autograder.platforms import bundle as bundle_mod
from autograder.platforms.ci import run_ci
from autograder.platforms.common import PYTHON_VERSION
from autograder.platforms.environment import read_lock
from autograder.platforms.gradescope import cmd_bundle_gradescope, run_gradescope
from autograder.platforms.paths import PlatformPaths
from autograder.results import SubmissionResult
from autograder.platforms.prairielearn import run_prairielearn

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "pytorch_basics"  # the bundle's contents
GRADING = REPO / "source" / ASSIGNMENT / "grading"
TINY = REPO / "tests" / "data" / "tiny_course"
RUN = "tiny"  # what the runners grade
RUN_GRADING = TINY / "source" / RUN / "grading"
SCHEMAS = REPO / "autograder" / "reporters" / "schemas"
TEMPLATES = REPO / "autograder" / "platforms" / "templates"
CONFIG = load_assignment(RUN_GRADING / "assignment.toml")
CODE_CELLS = {g: nb.cell_points[g] for nb in CONFIG.notebooks for g in nb.grade_cells}
CODE_POINTS = sum(CODE_CELLS.values())
SECRET = "SECRET-SEED-314159"


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def _notebooks(kind: str, course: Path = TINY, name: str = RUN) -> Path:
    folder = course / kind / name
    assert sorted(folder.glob("*.ipynb")), f"{folder} holds no notebooks: run `autograder release {name}`"
    return folder


def _copy_notebooks(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for nb in sorted(src.glob("*.ipynb")):
        shutil.copyfile(nb, dst / nb.name)
    return dst


def _copy_grading(course: Path, name: str = RUN, src: Path = RUN_GRADING) -> Path:
    """The grading material, and the manifest it is graded with (grade cells and points)."""
    shutil.copytree(src, course / "source" / name / "grading", ignore=shutil.ignore_patterns("__pycache__"))
    (course / "release" / name).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src.parent.parent.parent / "release" / name / "manifest.json", course / "release" / name / "manifest.json")
    return course


def _digest(folder: Path, pattern: str) -> str:
    h = hashlib.sha256()
    files = [folder] if folder.is_file() else sorted(p for p in folder.rglob(pattern) if "__pycache__" not in p.parts)
    for p in files:
        if p.is_file():
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _forget_check_modules() -> None:
    """Drop check modules (checks_*, their `reference` helpers) imported from any grading folder.
    pytest imports check modules by their base name, so one process that grades against two
    copies of a course (here: temporary platform roots, and the repository in other test modules)
    would otherwise get "import file mismatch" or, worse, the other copy's helpers."""
    for name, mod in list(sys.modules.items()):
        f = getattr(mod, "__file__", None) or ""
        if f"{os.sep}grading{os.sep}checks{os.sep}" in f:
            del sys.modules[name]


class Memo:
    """grade_submission, once per distinct (notebooks, grading material, device); every call kept."""

    def __init__(self, real):
        self.real = real
        self.cache: dict[tuple, object] = {}
        self.calls: list[dict] = []
        self.graded = 0

    def __call__(self, request, paths, extra_hidden=()):
        key = (_digest(request.submission, "*.ipynb"), _digest(paths.grading, "*"), request.device, paths.name)
        self.calls.append({"submission": request.submission, "course": paths.course_root,
                           "hidden": [Path(p) for p in extra_hidden]})
        if key not in self.cache:
            self.graded += 1
            _forget_check_modules()
            try:
                self.cache[key] = self.real(request, paths, extra_hidden)
            finally:
                _forget_check_modules()
        return SubmissionResult.from_dict(json.loads(self.cache[key].dumps()))  # a fresh copy each time


@pytest.fixture(scope="module", autouse=True)
def memo():
    m = Memo(autograder.grading.grade_submission)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(autograder.grading, "grade_submission", m)
        for var in ("AUTOGRADER_COURSE", "AUTOGRADER_ASSIGNMENT", "AUTOGRADER_NOTEBOOK", "AUTOGRADER_DEVICE",
                    "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
            mp.delenv(var, raising=False)
        yield m


@pytest.fixture(scope="module")
def bundle_zip(tmp_path_factory) -> Path:
    return cmd_bundle_gradescope(tmp_path_factory.mktemp("bundle") / "autograder.zip", REPO)


@pytest.fixture(scope="module")
def runner_zip(tmp_path_factory) -> Path:
    """The bundle of the assignment the runners grade."""
    return cmd_bundle_gradescope(tmp_path_factory.mktemp("runner-bundle") / "autograder.zip", TINY)


def _gradescope_root(tmp: Path, bundle_zip: Path, notebooks: Path | None) -> Path:
    root = tmp / "gs"
    source = root / "autograder" / "source"
    source.mkdir(parents=True)
    with zipfile.ZipFile(bundle_zip) as zf:
        zf.extractall(source)
    for name in ("setup.sh", "run_autograder"):
        (source / name).chmod(0o755)
    (root / "autograder" / "submission").mkdir()
    (root / "autograder" / "results").mkdir()
    if notebooks is not None:
        _copy_notebooks(notebooks, root / "autograder" / "submission")
    (root / "autograder" / "submission_metadata.json").write_text(json.dumps({"id": 4242, "users": []}))
    return root


def _pl_root(tmp: Path, notebooks: Path | None, params: dict | None = None, name: str = RUN,
             grading: Path = RUN_GRADING) -> Path:
    root = tmp / "pl"
    _copy_grading(root / "grade" / "serverFilesCourse" / "autograder", name, grading)
    student = root / "grade" / "student"
    student.mkdir(parents=True)
    if notebooks is not None:
        _copy_notebooks(notebooks, student)
    (root / "grade" / "data").mkdir()
    (root / "grade" / "data" / "data.json").write_text(json.dumps({"params": params or {}, "submitted_answers": {}}))
    return root


def _gs_results(root: Path) -> dict:
    doc = json.loads(PlatformPaths.gradescope(root).results_file.read_text(encoding="utf-8"))
    jsonschema.validate(doc, _schema("gradescope.schema.json"))
    return doc


def _pl_results(root: Path) -> dict:
    doc = json.loads(PlatformPaths.prairielearn(root).results_file.read_text(encoding="utf-8"))
    jsonschema.validate(doc, _schema("prairielearn.schema.json"))
    return doc


def _code_marks_gradescope(doc: dict) -> dict[str, float]:
    got: dict[str, float] = {}
    for t in doc["tests"]:
        gid = t["tags"][0]
        if gid in CODE_CELLS:
            got[gid] = got.get(gid, 0.0) + t["score"]
    return got


# -- the Gradescope bundle ------------------------------------------------------------------------
def test_bundle_holds_the_engine_the_lock_and_only_the_grading_material(bundle_zip):
    with zipfile.ZipFile(bundle_zip) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        names = set(infos)
        for top in ("setup.sh", "run_autograder", "requirements.lock", "pyproject.toml", "bundle.json",
                    "autograder/cli.py", "autograder/platforms/gradescope.py",
                    "autograder/reporters/schemas/gradescope.schema.json",
                    f"course/source/{ASSIGNMENT}/grading/assignment.toml"):
            assert top in names, f"{top} missing from the bundle"
        assert (zf.read("requirements.lock") == (REPO / "requirements.lock").read_bytes())
        for script in ("setup.sh", "run_autograder"):
            assert (infos[script].external_attr >> 16) & 0o777 == 0o755, f"{script} must be executable"
            text = zf.read(script).decode()
            assert not re.search(r"@[A-Z_]+@", text), f"{script}: unfilled placeholder"
        manifest = json.loads(zf.read("bundle.json"))
        for name, sha in manifest["files"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == sha
        assert set(manifest["files"]) == names - {"bundle.json"}
    # Nothing but engine, environment and this assignment's grading folder.
    assert not [n for n in names if n.endswith(".ipynb")], "no notebook may be in the bundle"
    for forbidden in ("solutions/", "release/", "source/", "tests/", "docs/", "scripts/", ".git"):
        assert not [n for n in names if n.startswith(forbidden)], forbidden
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    for part in bundle_mod.ENGINE_EXCLUDE:
        assert not [n for n in names if n.startswith(f"autograder/{part}/")], part
    course = {n for n in names if n.startswith("course/")}
    expected = {f"course/source/{ASSIGNMENT}/grading/{p.relative_to(GRADING).as_posix()}"
                for p in GRADING.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
                and not any(part.startswith(".") for part in p.relative_to(GRADING).parts)}
    assert course == expected | {f"course/release/{ASSIGNMENT}/manifest.json"}  # grade cells and points
    assert names <= ({"setup.sh", "run_autograder", "requirements.lock", "pyproject.toml", "README.md", "bundle.json"}
                     | course | {n for n in names if n.startswith("autograder/")})


def test_bundle_is_byte_identical_when_built_twice(bundle_zip, tmp_path):
    again = cmd_bundle_gradescope(tmp_path / "again.zip", REPO)
    assert again.read_bytes() == bundle_zip.read_bytes()


def _rubric_patterns() -> list[str]:
    """The rubric's regular expressions (`patterns`, `unless`): what students must never see."""
    import tomllib

    found: list[str] = []

    def walk(x, key=""):
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, k)
        elif isinstance(x, list):
            for v in x:
                walk(v, key)
        elif isinstance(x, str) and key in {"patterns", "unless"} and len(x) >= 12:
            found.append(x)

    walk(tomllib.loads((GRADING / "rubrics.toml").read_text(encoding="utf-8")))
    return found


def test_no_rubric_text_or_solution_code_outside_the_grading_folder(bundle_zip):
    """Rubric patterns and model answers may only be where grading reads them (the grading folder)."""
    rubric, solutions = _rubric_patterns(), solution_lines()
    assert rubric and solutions, "nothing to look for: rubrics.toml or the source notebooks changed shape"
    grading_prefix = f"course/source/{ASSIGNMENT}/grading/"
    with zipfile.ZipFile(bundle_zip) as zf:
        for name in zf.namelist():
            if name.startswith(grading_prefix) or name == "bundle.json":
                continue
            text = zf.read(name).decode("utf-8", "replace")
            leaked = [s for s in rubric if s in text] + [s for s in solutions if s in text]
            assert not leaked, f"{name} carries grading material: {leaked[:2]}"


def test_bundle_refuses_a_notebook_in_the_grading_folder(tmp_path):
    course = _copy_grading(tmp_path / "course", ASSIGNMENT, GRADING)
    (course / "source" / ASSIGNMENT / "grading" / "answer_key.ipynb").write_text("{}")
    with pytest.raises(bundle_mod.BundleError, match="notebook"):
        cmd_bundle_gradescope(tmp_path / "x.zip", course)
    assert not (tmp_path / "x.zip").exists()


def test_setup_installs_the_lock_and_verifies_it(bundle_zip, tmp_path):
    with zipfile.ZipFile(bundle_zip) as zf:
        setup = zf.read("setup.sh").decode()
    assert "-r requirements.lock" in setup and f'python install "{PYTHON_VERSION}"' in setup
    assert "download.pytorch.org/whl/cpu" in setup and "--no-deps" in setup
    assert "autograder.platforms.gradescope --verify" in setup
    # The verification setup.sh ends with passes against this environment and the extracted bundle.
    root = _gradescope_root(tmp_path, bundle_zip, None)
    r = subprocess.run([sys.executable, "-P", "-m", "autograder.platforms.gradescope", "--verify", "--root", str(root)],
                       capture_output=True, text=True, cwd="/")
    assert r.returncode == 0, r.stdout + r.stderr


# -- Gradescope: run_autograder against a temporary /autograder ---------------------------------
@pytest.fixture(scope="module")
def gs_answer_key(memo, runner_zip, tmp_path_factory):
    root = _gradescope_root(tmp_path_factory.mktemp("gs-key"), runner_zip, _notebooks("solutions"))
    code = run_gradescope(root)
    return root, code


def test_gradescope_answer_key_gets_full_code_marks(gs_answer_key, memo):
    root, code = gs_answer_key
    assert code == 0
    doc = _gs_results(root)
    marks = _code_marks_gradescope(doc)
    assert marks == pytest.approx(CODE_CELLS), "every code grade cell at full marks"
    assert CODE_POINTS <= doc["score"] <= CONFIG.points
    assert doc["stdout_visibility"] == "hidden"
    call = next(c for c in memo.calls if c["submission"] == (root / "autograder" / "submission").resolve())
    assert call["course"] == (root / "autograder" / "source" / "course").resolve()
    for hidden in (root / "autograder" / "results", root / "autograder" / "source"):
        assert hidden in call["hidden"], f"{hidden} must be hidden from the worker"


def test_gradescope_unanswered_release_scores_zero(memo, runner_zip, tmp_path):
    root = _gradescope_root(tmp_path, runner_zip, _notebooks("release"))
    assert run_gradescope(root) == 0  # graded: a zero is a grade, not a failure
    doc = _gs_results(root)
    assert doc["score"] == 0
    assert all(t["status"] == "failed" for t in doc["tests"])


def _unreadable(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "02_spiral_classification.ipynb").write_text('{"cells": [ {"cell_type": "code", ', encoding="utf-8")
    return folder


def test_run_autograder_script_from_the_zip(bundle_zip, tmp_path):
    """The shell script as shipped, with the bundled package: an unreadable notebook scores 0 with
    the reason, and the staff-only log names the code that graded it."""
    root = _gradescope_root(tmp_path, bundle_zip, None)
    _unreadable(root / "autograder" / "submission")
    source = root / "autograder" / "source"
    env = {**os.environ, "AUTOGRADER_PYTHON": sys.executable, "AUTOGRADER_PLATFORM_ROOT": str(root),
           "PYTHONPATH": str(source)}
    for var in ("AUTOGRADER_COURSE", "AUTOGRADER_ASSIGNMENT", "AUTOGRADER_DEVICE"):
        env.pop(var, None)
    r = subprocess.run(["bash", str(source / "run_autograder")], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert f"autograder from {source / 'autograder'}" in r.stdout, "the bundle's own copy of the engine ran"
    doc = _gs_results(root)
    assert doc["score"] == 0
    assert "not a valid notebook" in doc["output"] and "02_spiral_classification.ipynb" in doc["output"]


def _broken_course(course: Path) -> Path:
    """An assignment whose hidden check is broken (a grader fault) and names a secret."""
    grading = course / "source" / "tiny" / "grading"
    (grading / "checks" / "nb").mkdir(parents=True)
    (grading / "assignment.toml").write_text('[assignment]\nname = "tiny"\n', encoding="utf-8")
    (course / "release" / "tiny").mkdir(parents=True)
    (course / "release" / "tiny" / "manifest.json").write_text(Manifest(
        "tiny", "tiny", (Notebook("nb", 1.0, (Cell("check_f", "code", 1.0, ("sol_f",), ("f",)),)),)).to_json())
    (grading / "checks" / "nb" / "check_f.py").write_text(  # checks/<notebook>/<grade id>.py
        "from autograder.checks import check\n\n\n"
        '@check("check_f", points=0.5, public=True)\n'
        "def test_f_public():\n"
        '    "f: a sound public check"\n\n\n'
        '@check("check_f", points=0.5)\n'
        "def test_f():\n"
        '    "f: a check whose own code is broken"\n'
        f'    raise RuntimeError("{SECRET} is in the grader\'s traceback only")\n', encoding="utf-8")
    return course


def _tiny_submission(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nb = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "sol_f"}}, "source": "def f():\n    return 1\n",
                     "outputs": [], "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "nb.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return folder


def test_gradescope_grader_fault_still_writes_results(tmp_path, capsys):
    root = tmp_path / "gs"
    _broken_course(root / "autograder" / "source" / "course")
    _tiny_submission(root / "autograder" / "submission")
    assert run_gradescope(root) == 3
    doc = _gs_results(root)
    assert SECRET not in json.dumps(doc), "the student's results never show the grader's traceback"
    assert SECRET in capsys.readouterr().out  # the staff-only log has it


def test_gradescope_without_grading_material_is_a_setup_fault(tmp_path):
    root = tmp_path / "gs"
    _tiny_submission(root / "autograder" / "submission")
    (root / "autograder" / "source").mkdir(parents=True)
    assert run_gradescope(root) == 2
    assert "not set up correctly" in _gs_results(root)["output"]


# -- PrairieLearn: the external grader against a temporary /grade --------------------------------
def test_prairielearn_answer_key(gs_answer_key, memo, tmp_path):
    graded = memo.graded
    root = _pl_root(tmp_path, _notebooks("solutions"))
    assert run_prairielearn(root) == 0
    assert memo.graded == graded, "reused the answer key's grading"
    doc = _pl_results(root)
    assert doc["gradable"] is True
    code = [t for t in doc["tests"] if t["description"].split(" / ")[1] in CODE_CELLS]
    assert sum(t["points"] for t in code) == pytest.approx(CODE_POINTS)
    assert doc["score"] >= CODE_POINTS / CONFIG.points - 1e-9 and doc["score"] <= 1
    call = memo.calls[-1]
    assert call["course"] == (root / "grade" / "serverFilesCourse" / "autograder").resolve()
    for hidden in ("results", "serverFilesCourse", "tests", "data"):
        assert root / "grade" / hidden in call["hidden"] or any(
            (root / "grade" / hidden).is_relative_to(h) for h in call["hidden"]), hidden


def test_prairielearn_unanswered_release_scores_zero(memo, tmp_path):
    root = _pl_root(tmp_path, _notebooks("release"))
    assert run_prairielearn(root) == 0
    doc = _pl_results(root)
    assert doc["gradable"] is True and doc["score"] == 0


def test_prairielearn_unreadable_notebook_is_not_gradable(memo, tmp_path):
    root = _pl_root(tmp_path, None)
    _unreadable(root / "grade" / "student")
    assert run_prairielearn(root) == 0
    doc = _pl_results(root)
    assert doc["gradable"] is False
    assert any("not a valid notebook" in e for e in doc["format_errors"])


def test_prairielearn_question_about_one_notebook(tmp_path):
    """A question that grades 01_tensor_ops only (params.notebook), graded for real; without
    that notebook the submission is not gradable (the attempt does not count)."""
    basics = {"name": ASSIGNMENT, "grading": GRADING}  # an assignment of several notebooks
    root = _pl_root(tmp_path / "one", None, {"notebook": "01_tensor_ops"}, **basics)
    shutil.copyfile(_notebooks("solutions", REPO, ASSIGNMENT) / "01_tensor_ops.ipynb",
                    root / "grade" / "student" / "tensors.ipynb")
    assert run_prairielearn(root) == 0
    doc = _pl_results(root)
    assert doc["gradable"] and doc["score"] == pytest.approx(1.0)
    assert {t["description"].split(" / ")[0] for t in doc["tests"]} == {"01_tensor_ops"}
    other = _pl_root(tmp_path / "other", None, {"notebook": "01_tensor_ops"}, **basics)
    shutil.copyfile(_notebooks("release", REPO, ASSIGNMENT) / "03_activations_and_optimizers.ipynb",
                    other / "grade" / "student" / "x.ipynb")
    assert run_prairielearn(other) == 0
    doc = _pl_results(other)
    assert doc["gradable"] is False and "01_tensor_ops" in doc["format_errors"][0]


def test_prairielearn_grader_fault(tmp_path, capsys):
    root = tmp_path / "pl"
    _broken_course(root / "grade" / "serverFilesCourse" / "autograder")
    _tiny_submission(root / "grade" / "student")
    assert run_prairielearn(root) == 3
    doc = _pl_results(root)
    assert SECRET not in json.dumps(doc)
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err, "PrairieLearn may show the job's output to the student"
    assert "grader error" in out.out


# -- CI: the script the workflow runs ------------------------------------------------------------
def _student_repo(tmp: Path, notebooks: Path) -> Path:
    repo = tmp / "student-repo"
    _copy_notebooks(notebooks, repo)
    (repo / "README.md").write_text("# my homework\n")
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copyfile(TEMPLATES / "github-classroom.yml", repo / ".github" / "workflows" / "autograde.yml")
    return repo


@pytest.fixture
def github_env(tmp_path, monkeypatch):
    summary, output = tmp_path / "step_summary.md", tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    return summary, output


def test_ci_answer_key(gs_answer_key, memo, tmp_path, github_env):
    summary, output = github_env
    repo = _student_repo(tmp_path, _notebooks("solutions"))
    course = _copy_grading(tmp_path / "grader")
    graded = memo.graded
    assert run_ci(repo, tmp_path / "feedback", course_root=course) == 0
    assert memo.graded == graded, "reused the answer key's grading"
    text = summary.read_text(encoding="utf-8")
    score = json.loads((tmp_path / "feedback" / "results.json").read_text())["score"]
    assert f"Score: {score:g} / {CONFIG.points:g} points" in text and score >= CODE_POINTS
    assert f"score={score:g}" in output.read_text()
    files = {p.name for p in (tmp_path / "feedback").iterdir()}
    assert {"results.json", "junit.xml", "summary.md"} <= files
    assert "submission_result.json" not in files, "the TA's record stays out of the student's artifact"
    assert (tmp_path / "feedback" / "summary.md").read_text(encoding="utf-8") == text
    assert (tmp_path / "feedback").resolve() in memo.calls[-1]["hidden"], "the feedback folder is hidden"


def test_ci_low_score_does_not_fail_the_job(memo, tmp_path, github_env):
    summary, _ = github_env
    repo = _student_repo(tmp_path, _notebooks("release"))
    course = _copy_grading(tmp_path / "grader")
    assert run_ci(repo, tmp_path / "feedback", course_root=course) == 0
    assert f"Score: 0 / {CONFIG.points:g} points" in summary.read_text(encoding="utf-8")


def test_ci_grader_fault_fails_the_job_and_leaks_nothing(tmp_path, github_env, capfd):
    summary, _ = github_env
    repo = _student_repo(tmp_path, _notebooks("release"))
    for nb in repo.glob("*.ipynb"):
        nb.unlink()
    _tiny_submission(repo)
    course = _broken_course(tmp_path / "grader")
    assert run_ci(repo, tmp_path / "feedback", course_root=course) == 3
    out, err = capfd.readouterr()
    assert SECRET not in out + err, "the CI log is the student's to read"
    assert SECRET not in summary.read_text(encoding="utf-8")
    for f in (tmp_path / "feedback").iterdir():
        assert SECRET not in f.read_text(encoding="utf-8"), f.name
    assert "not your fault" in summary.read_text(encoding="utf-8")


def test_ci_refuses_grading_material_from_the_student_repository(tmp_path, github_env):
    repo = _student_repo(tmp_path, _notebooks("release"))
    _copy_grading(repo / "grader")  # a student could write any checks there
    assert run_ci(repo, tmp_path / "feedback", course_root=repo / "grader") == 2
    assert run_ci(repo, tmp_path / "feedback") == 2  # no course given at all


def test_workflow_template():
    wf = yaml.safe_load((TEMPLATES / "github-classroom.yml").read_text(encoding="utf-8"))
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in on
    assert wf["permissions"] == {"contents": "read"}
    assert wf["env"]["PYTHON_VERSION"] == PYTHON_VERSION
    steps = wf["jobs"]["grade"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert sum(u.startswith("actions/checkout@") for u in uses) == 2
    grader = next(s for s in steps if s.get("with", {}).get("path") == "grader")
    assert grader["with"]["token"] == "${{ secrets.AUTOGRADER_TOKEN }}"
    assert grader["with"]["ref"] == "${{ vars.AUTOGRADER_REF }}", "the grader comes at a pinned ref"
    sparse = [line.strip() for line in grader["with"]["sparse-checkout"].splitlines() if line.strip()]
    assert grader["with"]["sparse-checkout-cone-mode"] is False
    assert not [p for p in sparse if re.search(r"solutions|release|ipynb", p)]
    for part in bundle_mod.ENGINE_EXCLUDE:
        assert f"!/autograder/{part}/" in sparse, f"autograder/{part} must not reach the runner"
    assert "/source/${{ env.ASSIGNMENT }}/grading/" in sparse
    install = next(s for s in steps if "requirements.lock" in s.get("run", ""))
    assert "-r grader/requirements.lock" in install["run"] and "autograder.platforms.environment" in install["run"]
    grade = next(s for s in steps if "autograder.platforms.ci" in s.get("run", ""))
    assert "continue-on-error" not in grade and grade["env"]["AUTOGRADER_COURSE"].endswith("/grader")
    assert "GITHUB_STEP_SUMMARY" in grade["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert not any(re.search(r"\bcat\b|\bls\b|tree", s.get("run", "")) for s in steps), "no step lists the material"


def test_every_platform_installs_the_one_lock():
    lock = read_lock(REPO / "requirements.lock")
    assert lock["torch"] == "2.13.0"
    setup = (TEMPLATES / "gradescope_setup.sh").read_text()
    workflow = (TEMPLATES / "github-classroom.yml").read_text()
    for text in (setup, workflow):
        assert re.search(r"-r \S*requirements\.lock", text)
        assert not re.search(r"pip install (?!.*-r )(?!.*--no-deps)\S", text), "no other pip install"


def test_platform_paths_follow_the_platforms_conventions(tmp_path):
    gs = PlatformPaths.gradescope(tmp_path)
    assert (gs.submission, gs.results_file, gs.source, gs.data_file) == (
        tmp_path / "autograder/submission", tmp_path / "autograder/results/results.json",
        tmp_path / "autograder/source", tmp_path / "autograder/submission_metadata.json")
    pl = PlatformPaths.prairielearn(tmp_path)
    assert (pl.submission, pl.results_file, pl.data_file) == (
        tmp_path / "grade/student", tmp_path / "grade/results/results.json", tmp_path / "grade/data/data.json")
    assert pl.course is None  # nothing mounted yet
    _copy_grading(tmp_path / "grade" / "tests")
    assert pl.course == tmp_path / "grade" / "tests"
    for p in (gs, pl):
        assert p.results in p.hidden and p.source in p.hidden
    assert PlatformPaths.gradescope().results_file == Path("/autograder/results/results.json")
    assert PlatformPaths.prairielearn().submission == Path("/grade/student")

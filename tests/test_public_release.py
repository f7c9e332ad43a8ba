"""The student's path: the checker installed, a folder holding only the release (no source/, no
grading/), the README's commands as written; and nothing hidden in that release.

Before, `autograder check` needed the grader-only folder (hidden seeds, rubrics, hidden checks)
and gave a traceback without it."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import solution_lines

from autograder.assignment import load_assignment
from autograder.course import AssignmentPaths
from autograder.engine.content import check_layout
from autograder.engine.run import collect_checks
from autograder.shortanswers import load_rubric

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PATHS = AssignmentPaths(REPO, "pytorch_basics")
STEMS = ("01_tensor_ops", "02_spiral_classification", "03_activations_and_optimizers")


def readme_commands() -> list[str]:
    """The students' commands of the README (the block after `<!-- students -->`), but the install:
    this environment has the checker installed already (the same package, pinned by the lock)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- students -->", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
    assert lines[0].startswith("pip install "), lines
    return lines[1:]


def release_only(tmp_path: Path, answers: str) -> Path:
    """A folder holding only release/pytorch_basics/, its notebooks answered from `answers`
    ("solutions": the answer key; "release": unanswered)."""
    home = tmp_path / "student"
    shutil.copytree(PATHS.release, home / "release" / "pytorch_basics", ignore=shutil.ignore_patterns("__pycache__"))
    for stem in STEMS:
        shutil.copyfile(REPO / answers / "pytorch_basics" / f"{stem}.ipynb", home / "release" / "pytorch_basics" / f"{stem}.ipynb")
    assert sorted(p.name for p in home.iterdir()) == ["release"]
    return home


def run_as_student(home: Path, commands: list[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "PYTHON"))}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["HOME"] = str(home)
    script = " && ".join(commands)
    return subprocess.run(["bash", "-c", script], cwd=home, env=env, capture_output=True, text=True, timeout=900)


def test_the_readme_command_passes_on_the_key_and_fails_usefully_unanswered(tmp_path):
    commands = readme_commands()
    assert commands == ["cd release/pytorch_basics", "autograder check 01_tensor_ops.ipynb"]
    key = release_only(tmp_path / "key", "solutions")
    done = run_as_student(key, commands)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (f"checking 01_tensor_ops.ipynb against the assignment pytorch_basics (the only assignment of {key})"
            in done.stdout), done.stdout  # the student's folder, not this checkout's course
    assert "public checks passed (10)" in done.stdout, done.stdout
    assert "Traceback" not in done.stdout + done.stderr

    blank = release_only(tmp_path / "blank", "release")
    done = run_as_student(blank, commands)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10 of 10 public checks failed." in done.stdout, done.stdout
    fails = [ln for ln in done.stdout.splitlines() if ln.startswith("FAIL ")]
    assert len(fails) == 10 and done.stdout.count("is not implemented yet") == 10, done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_every_public_check_passes_on_the_key_from_the_release_alone(tmp_path):
    key = release_only(tmp_path, "solutions")
    done = run_as_student(key, ["cd release/pytorch_basics", "autograder check ."])
    assert done.returncode == 0, done.stdout + done.stderr
    public = [c for c in collect_checks(check_layout(PATHS.checks, load_assignment(PATHS))) if c.public]
    assert f"public checks passed ({len(public)})" in done.stdout, done.stdout


def _hidden_seeds() -> list[str]:
    import tomllib

    raw = tomllib.loads(PATHS.config_file.read_text(encoding="utf-8"))
    raw.pop("published")
    seeds: list[int] = []

    def walk(table: dict) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value)
            elif "seed" in key:
                seeds.extend(value if isinstance(value, list) else [value])

    walk(raw)
    seeds += [int(s) for s in re.findall(r"manual_seed\((\d+)\)", (PATHS.checks / "fixtures.py").read_text())]
    assert len(seeds) >= 10
    return [str(s) for s in seeds]


def _hidden_checks() -> list[str]:
    checks = collect_checks(check_layout(PATHS.checks, load_assignment(PATHS)))
    hidden = [c for c in checks if not c.public]
    return [c.name for c in hidden] + [c.nodeid.rsplit("::", 1)[1] for c in hidden]


def _rubric_text() -> list[str]:
    rubric = load_rubric(PATHS.rubrics_file)
    out = []
    for q in rubric.questions.values():
        for item in (*q.concepts, *q.misconceptions, *q.aspects):
            out += [item.en, item.zh]
    out += rubric.raw_pattern_texts()
    return [t for t in out if len(t) >= 12]


def test_nothing_hidden_is_in_the_release():
    files = [p for p in PATHS.release.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    names = {p.name for p in files}
    for private in ("assignment.toml", "rubrics.toml", "fixtures.py", "reference.py", "models.py",
                    "measure_reference.py"):
        assert private not in names, private
    text = {p: p.read_bytes().decode("utf-8", "replace") for p in files}
    notebooks = "".join(t for p, t in text.items() if p.suffix == ".ipynb")
    secrets = {"hidden seed": _hidden_seeds(), "hidden check": _hidden_checks(), "rubric text": _rubric_text(),
               # model answers, but for what the notebooks themselves show (their own public check cells)
               "solution line": [ln for ln in solution_lines() if ln not in notebooks]}
    leaks = [f"{kind} {s!r} in {p.relative_to(REPO)}" for kind, found in secrets.items() for s in found
             for p, t in text.items() if s in t]
    assert leaks == []
    # the public checks read the published bars, never the grader's more lenient ones
    manifest = json.loads(PATHS.manifest_file.read_text(encoding="utf-8"))
    published = manifest["published"]["fit_spiral"]
    assert (published["low_bar"], published["high_bar"]) == (published["published_low_bar"], published["published_high_bar"])
    config = load_assignment(PATHS)
    assert config["fit_spiral"]["low_bar"] < published["low_bar"] and config["fit_spiral"]["high_bar"] < published["high_bar"]


def test_the_public_spirals_are_the_graders_spirals():
    """public_spirals.pt (released: the notebook's example spirals as data) holds what the grader's
    own make_spiral draws for those seeds, so a public check gives the same verdict either way."""
    import torch

    from autograder.checks import import_helper

    public = import_helper(PATHS.checks, "pytorch_basics", "public")
    reference = import_helper(PATHS.checks, "pytorch_basics", "reference")
    for n, c, noise, seed in public.PUBLISHED_SPIRALS:
        X, Y = public.spiral(n, c, noise, seed)
        X2, Y2 = reference.make_spiral(n, c, noise, seed=seed)
        assert torch.equal(Y, Y2) and torch.allclose(X, X2, rtol=0, atol=1e-6), (n, c, noise, seed)


def test_the_notebooks_tell_students_the_command():
    for stem in STEMS:
        nb = json.loads((PATHS.release / f"{stem}.ipynb").read_text(encoding="utf-8"))
        intro = "".join(nb["cells"][0]["source"])
        assert f"`autograder check {stem}.ipynb`" in intro, stem
    assert shlex.split(readme_commands()[-1])[:2] == ["autograder", "check"]

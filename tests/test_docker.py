"""The grading images, checked without a Docker engine.

A small parser reads docker/Dockerfile.cpu and docker/Dockerfile.cuda (instructions, continuation
lines, comments, exec form, ARG/ENV expansion); the tests check what the images promise:
exact base image tags, every pip install from requirements.lock (the file scripts/bootstrap.sh
installs), only the engine copied in, a non-root default user, `autograder` as entry point. Then
the commands the images run (the environment check, `autograder --help`, the grade command of
docs/deploy.md) are run here against a temporary layout of the container's folders, and the
documented capability set is tried with setpriv: root with only those capabilities, as in
`docker run --user root --cap-drop ALL --cap-add ...`.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest
from helpers import solution_lines

REPO = Path(__file__).resolve().parent.parent
DOCKERFILES = {"cpu": REPO / "docker" / "Dockerfile.cpu", "cuda": REPO / "docker" / "Dockerfile.cuda"}
DEPLOY_DOC = REPO / "docs" / "deploy.md"
VENV_BIN = Path(sys.executable).parent
SCHEMAS = REPO / "autograder" / "reporters" / "schemas"
KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
         "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER"}
ENGINE_FILES = {"requirements.lock", "pyproject.toml", "README.md", "autograder"}


# -- a small Dockerfile parser ------------------------------------------------------------------
class DockerfileError(Exception):
    pass


@dataclass
class Instruction:
    cmd: str
    value: str  # the arguments, continuation lines joined, flags removed
    line: int
    flags: dict[str, str] = field(default_factory=dict)

    def exec_form(self) -> list[str] | None:
        if self.value.startswith("["):
            form = json.loads(self.value)
            if not (isinstance(form, list) and all(isinstance(x, str) for x in form)):
                raise DockerfileError(f"line {self.line}: exec form must be a JSON list of strings")
            return form
        return None


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions of a Dockerfile: comments and blank lines dropped, `\\` continuations joined
    (comment lines inside a continuation are dropped, as Docker does), leading --flags split off."""
    out: list[Instruction] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        i += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        start = i
        parts = [raw.rstrip()]
        while parts[-1].endswith("\\"):
            parts[-1] = parts[-1][:-1]
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1
            if i >= len(lines):
                raise DockerfileError(f"line {start}: continuation at the end of the file")
            parts.append(lines[i].rstrip())
            i += 1
        joined = " ".join(p.strip() for p in parts)
        cmd, _, rest = joined.partition(" ")
        cmd = cmd.upper()
        if cmd not in KNOWN:
            raise DockerfileError(f"line {start}: unknown instruction {cmd!r}")
        if "<<" in rest and cmd in {"RUN", "COPY", "ADD"}:
            raise DockerfileError(f"line {start}: heredocs are not used in these Dockerfiles")
        flags = {}
        rest = rest.strip()
        while rest.startswith("--") and cmd in {"FROM", "COPY", "ADD", "RUN"}:
            flag, _, rest = rest.partition(" ")
            key, _, val = flag[2:].partition("=")
            flags[key] = val
            rest = rest.strip()
        out.append(Instruction(cmd, rest, start, flags))
    if not out or out[0].cmd not in {"FROM", "ARG"}:
        raise DockerfileError("a Dockerfile begins with FROM (or ARG)")
    return out


def expand(text: str, env: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1) or m.group(3)
        default = m.group(2)
        return env.get(name, default if default is not None else "")
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)", sub, text)


def env_pairs(value: str) -> dict[str, str]:
    out = {}
    for token in shlex.split(value):
        key, eq, val = token.partition("=")
        if not eq:
            raise DockerfileError(f"ENV {value!r}: use KEY=VALUE")
        out[key] = val
    return out


@dataclass
class Image:
    instructions: list[Instruction]
    stages: list[str]  # stage names (FROM ... AS name)
    bases: list[str]  # image references of every FROM
    args: dict[str, str]  # ARG defaults of the final stage
    env: dict[str, str]  # ENV of the final stage (ARG defaults expanded)
    user: str | None
    entrypoint: list[str] | None
    cmd: list[str] | None

    def last_stage(self) -> list[Instruction]:
        idx = max(i for i, ins in enumerate(self.instructions) if ins.cmd == "FROM")
        return self.instructions[idx:]


def load(kind: str) -> Image:
    ins = parse_dockerfile(DOCKERFILES[kind].read_text(encoding="utf-8"))
    stages, bases = [], []
    args: dict[str, str] = {}
    env: dict[str, str] = {}
    user = entrypoint = cmd = None
    for x in ins:
        if x.cmd == "FROM":
            words = x.value.split()
            bases.append(words[0])
            if len(words) == 3 and words[1].upper() == "AS":
                stages.append(words[2])
            args, env, user = {}, {}, None
        elif x.cmd == "ARG":
            k, _, v = x.value.partition("=")
            args[k] = v
        elif x.cmd == "ENV":
            for k, v in env_pairs(x.value).items():
                env[k] = expand(v, {**args, **env, "PATH": "$PATH"})
        elif x.cmd == "USER":
            user = expand(x.value, {**args, **env})
        elif x.cmd == "ENTRYPOINT":
            entrypoint = x.exec_form()
        elif x.cmd == "CMD":
            cmd = x.exec_form()
    return Image(ins, stages, bases, args, env, user, entrypoint, cmd)


def run_commands(image: Image) -> list[list[str]]:
    """Every simple command of every RUN (split at && and ;), ARG/ENV expanded, as argv lists."""
    out = []
    vars_ = {**image.args, **image.env}
    for x in image.instructions:
        if x.cmd != "RUN":
            continue
        if x.exec_form() is not None:
            out.append(x.exec_form())
            continue
        for part in re.split(r"&&|;|\|\|", x.value):
            if part.strip():
                out.append(shlex.split(expand(part, vars_)))
    return out


def pip_installs(image: Image) -> list[list[str]]:
    cmds = []
    for argv in run_commands(image):
        words = [os.path.basename(w) for w in argv]
        for i, w in enumerate(words):
            if w in {"pip", "pip3"} or (w == "python" and argv[i + 1:i + 3] == ["-m", "pip"]):
                rest = argv[i + 1:] if w != "python" else argv[i + 3:]
                if rest[:1] == ["install"]:
                    cmds.append(rest[1:])
                break
    return cmds


@pytest.fixture(scope="module", params=sorted(DOCKERFILES))
def image(request) -> Image:
    return load(request.param)


# -- the parser itself --------------------------------------------------------------------------
def test_parser_joins_continuations_and_drops_comments():
    text = ("# syntax=docker/dockerfile:1\nFROM python:3.11.7-slim-bookworm AS base\nARG X=1\n"
            "RUN a \\\n  # a comment inside\n  && b \\\n\n  && c\nCOPY --from=base --chown=1:1 /a /b\n"
            'ENTRYPOINT ["autograder"]\n')
    ins = parse_dockerfile(text)
    assert [i.cmd for i in ins] == ["FROM", "ARG", "RUN", "COPY", "ENTRYPOINT"]
    assert ins[2].value == "a    && b    && c" or ins[2].value.split() == ["a", "&&", "b", "&&", "c"]
    assert ins[3].flags == {"from": "base", "chown": "1:1"} and ins[3].value == "/a /b"
    assert ins[4].exec_form() == ["autograder"]
    with pytest.raises(DockerfileError):
        parse_dockerfile("FROM x:1.2.3\nRUNN echo\n")
    with pytest.raises(DockerfileError):
        parse_dockerfile("FROM x:1.2.3\nRUN a \\\n")
    assert expand("${A}/$B/${C:-d}", {"A": "1", "B": "2"}) == "1/2/d"


def test_both_dockerfiles_parse(image):
    assert image.instructions[0].cmd == "FROM" or image.instructions[0].cmd == "ARG"
    assert image.bases, "no FROM"


# -- what the images promise -------------------------------------------------------------------
def _pinned(ref: str) -> bool:
    name, _, tag = ref.rpartition(":")
    return bool(name) and "/" not in tag and tag != "latest" and "$" not in ref \
        and re.search(r"\d+\.\d+\.\d+", tag) is not None


def test_every_base_image_has_an_exact_version_tag(image):
    refs = list(image.bases)
    refs += [x.flags["from"] for x in image.instructions if x.cmd in {"COPY", "ADD"} and "from" in x.flags
             and x.flags["from"] not in image.stages]
    for ref in refs:
        assert _pinned(ref), f"{ref}: name an exact version (x.y.z) in the tag, never latest or a variable"


def test_every_pip_install_reads_requirements_lock_or_names_exact_versions(image):
    lock_dest = {x.value.split()[-1] for x in image.instructions
                 if x.cmd == "COPY" and x.value.split()[0] == "requirements.lock"}
    assert len(lock_dest) == 1, "requirements.lock is copied once"
    installs = pip_installs(image)
    assert installs, "the image installs nothing with pip?"
    reads_lock = 0
    for args in installs:
        if "-r" in args:
            assert args[args.index("-r") + 1] in lock_dest, f"pip install -r reads another file: {args}"
            reads_lock += 1
            continue
        targets = [a for a in args if not a.startswith("-")]
        if "--no-deps" in args and all(t.startswith("/opt/autograder") for t in targets):
            continue  # the engine itself, from the copied source, adding no dependency
        assert targets and all("==" in t for t in targets), f"unpinned pip install: {args}"
    assert reads_lock == 1


def test_images_install_the_same_lock_as_bootstrap(image):
    bootstrap = (REPO / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    assert re.search(r"pip install .*-r requirements\.lock", bootstrap), "bootstrap.sh installs requirements.lock"
    sources = [x.value.split()[0] for x in image.instructions if x.cmd == "COPY" and "from" not in x.flags]
    assert "requirements.lock" in sources  # the repository's own file, the one bootstrap.sh reads
    assert not list((REPO / "docker").glob("*requirements*")), "no second list of versions under docker/"


def test_torch_comes_from_the_matching_wheel_index():
    cpu, cuda = load("cpu"), load("cuda")
    assert cpu.args["TORCH_INDEX"].endswith("/whl/cpu")
    m = re.fullmatch(r"nvidia/cuda:(\d+)\.(\d+)\.\d+-(base|runtime|cudnn-runtime)-ubuntu\d+\.\d+", cuda.bases[-1])
    assert m, cuda.bases[-1]
    assert cuda.args["TORCH_INDEX"].endswith(f"/whl/cu{m.group(1)}{m.group(2)}"), \
        "the CUDA wheels must match the base image's CUDA version"
    for img in (cpu, cuda):
        args = pip_installs(img)[0]
        assert "--extra-index-url" in args and "$TORCH_INDEX" not in " ".join(args)


def test_one_python_version_everywhere():
    from autograder.platforms.common import PYTHON_VERSION

    cpu, cuda = load("cpu"), load("cuda")
    assert cpu.bases[-1] == f"python:{PYTHON_VERSION}-slim-bookworm"
    assert cuda.args["PYTHON_VERSION"] == PYTHON_VERSION
    for img in (cpu, cuda):
        verify = [a for a in run_commands(img) if "autograder.platforms.environment" in a]
        assert verify and verify[0][verify[0].index("--python") + 1] == PYTHON_VERSION, \
            "the build checks the installed environment against the lock"


def test_the_grader_is_not_root_by_default(image):
    assert image.user and image.user not in {"root", "0"} and not image.user.startswith("0:"), image.user
    useradd = [a for a in run_commands(image) if a and a[0] == "useradd"]
    assert useradd and useradd[0][-1] == image.user
    assert int(useradd[0][useradd[0].index("--uid") + 1]) >= 1000
    # The recommended way to grade (root with a reduced capability set) is documented.
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    assert "--user root" in doc and "--cap-drop ALL" in doc and "GRADER_USER=root" in doc


def test_entrypoint_is_the_autograder_command(image):
    assert image.entrypoint == ["autograder"]
    assert image.cmd == ["--help"]
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^autograder = "autograder\.cli:main"', pyproject, re.M)


def test_only_the_engine_enters_the_image(image):
    for x in image.instructions:
        if x.cmd == "ADD":
            pytest.fail(f"line {x.line}: ADD can fetch URLs and unpack archives; use COPY")
        if x.cmd == "COPY" and "from" not in x.flags:
            srcs = x.value.split()[:-1]
            assert set(srcs) <= ENGINE_FILES, f"line {x.line}: copies {srcs}: only the engine may enter the image"
    for key in (*image.args, *image.env):
        assert not re.search(r"SECRET|TOKEN|PASSWORD|SEED|RUBRIC", key, re.I), f"{key} looks like a secret"
    assert image.env["AUTOGRADER_COURSE"] == "/course"  # mounted at run time, never baked in
    for kind, path in DOCKERFILES.items():
        rules = [r for r in (path.parent / f"{path.name}.dockerignore").read_text().splitlines()
                 if r and not r.startswith("#")]
        assert rules[0] == "*", f"{kind}: the build context starts from nothing"
        allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
        assert allowed <= ENGINE_FILES


def test_the_cuda_image_asks_for_the_gpu_driver():
    cuda = load("cuda")
    assert cuda.env["NVIDIA_VISIBLE_DEVICES"] == "all"
    assert "compute" in cuda.env["NVIDIA_DRIVER_CAPABILITIES"]


# -- what the images run, run here ---------------------------------------------------------------
def test_the_build_time_environment_check_passes_here():
    r = subprocess.run([sys.executable, "-P", "-m", "autograder.platforms.environment",
                        str(REPO / "requirements.lock"), "--python", load("cpu").bases[-1].split(":")[1].split("-")[0]],
                       capture_output=True, text=True, cwd="/")
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_entrypoint_runs_here():
    image = load("cpu")
    exe = shutil.which(image.entrypoint[0], path=str(VENV_BIN))
    assert exe, f"{image.entrypoint[0]} is not installed in {VENV_BIN} (run scripts/bootstrap.sh)"
    r = subprocess.run([exe, *image.cmd], capture_output=True, text=True)
    assert r.returncode == 0 and "grade" in r.stdout, r.stderr


def _documented_run() -> tuple[dict[str, str], list[str], list[str]]:
    """The `docker run ... grade` example of docs/deploy.md: container mounts and the arguments."""
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    block = re.search(r"```bash\n(docker run [^`]*?autograder:[\w.-]+-cpu grade [^\n]*)\n", text)
    assert block, "docs/deploy.md shows a `docker run ... autograder:<version>-cpu grade ...` command"
    words = shlex.split(block.group(1).replace("\\\n", " "))
    mounts = {}
    for i, w in enumerate(words):
        if w in {"-v", "--volume"}:
            host, container, *_ = words[i + 1].split(":")
            mounts[container] = host
    image_at = next(i for i, w in enumerate(words) if re.fullmatch(r"autograder:[\w.-]+-cpu", w))
    return mounts, words[image_at + 1:], words[:image_at]


def test_docs_command_mounts_course_read_only_and_no_network():
    mounts, args, options = _documented_run()
    assert "--network" in options and options[options.index("--network") + 1] == "none"
    assert set(mounts) == {"/course/source/pytorch_basics/grading", "/submissions", "/out"}
    specs = [options[i + 1] for i, w in enumerate(options) if w in {"-v", "--volume"}]
    course = [v for v in specs if ":/course/" in v]
    assert len(course) == 1 and course[0].endswith(":ro"), "only the grading folder, read-only"
    assert course[0].split(":")[0].endswith("source/pytorch_basics/grading")
    assert any(v.endswith(":/submissions:ro") for v in specs)
    assert args[0] == "grade" and "--out" in args


@pytest.fixture(scope="module")
def release_notebooks() -> Path:
    """The committed student release (README: release/ and solutions/ are committed)."""
    folder = REPO / "release" / "pytorch_basics"
    assert sorted(folder.glob("*.ipynb")), f"{folder} holds no notebooks: run `autograder release pytorch_basics`"
    return folder


def _layout(tmp: Path, notebooks: Path) -> dict[str, Path]:
    """The container's folders, laid out in `tmp`: /course holds ONLY the grading material."""
    course = tmp / "course"
    shutil.copytree(REPO / "source" / "pytorch_basics" / "grading", course / "source" / "pytorch_basics" / "grading",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "release" / "pytorch_basics").mkdir(parents=True)  # the manifest: grade cells and points
    shutil.copyfile(REPO / "release" / "pytorch_basics" / "manifest.json",
                    course / "release" / "pytorch_basics" / "manifest.json")
    sub = tmp / "submissions" / "alice"
    shutil.copytree(notebooks, sub)
    (tmp / "out").mkdir()
    return {"/course": course, "/submissions": tmp / "submissions", "/out": tmp / "out"}


def _container_argv(args: list[str], layout: dict[str, Path]) -> list[str]:
    out = []
    for a in args:
        for cpath, hpath in layout.items():
            if a == cpath or a.startswith(cpath + "/"):
                a = str(hpath) + a[len(cpath):]
        out.append(a)
    return out


def _container_env(layout: dict[str, Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
    for k, v in load("cpu").env.items():
        if k in {"PATH", "VIRTUAL_ENV"}:
            continue
        env[k] = str(layout[v]) if v in layout else v
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    return env


def _check_results(out: Path, expect_score: float) -> dict:
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, json.loads((SCHEMAS / "gradescope.schema.json").read_text()))
    assert doc["score"] == pytest.approx(expect_score)
    return doc


def _documented_caps() -> list[str]:
    _, _, options = _documented_run()
    assert options[options.index("--user") + 1] == "root"
    assert options[options.index("--cap-drop") + 1] == "ALL"
    assert "no-new-privileges" in options
    return [options[i + 1] for i, w in enumerate(options) if w == "--cap-add"]


def _as_container_root(argv: list[str]) -> list[str]:
    """Root with only the documented capabilities and no_new_privs, as `docker run --user root
    --cap-drop ALL --cap-add ... --security-opt no-new-privileges` gives. Where this process is
    not root (nothing to drop), the command runs as it is."""
    if os.geteuid() != 0:
        return argv
    assert shutil.which("setpriv"), "setpriv (util-linux) is needed to simulate the container's capabilities"
    bounding = "-all," + ",".join("+" + c.lower() for c in _documented_caps())
    return ["setpriv", "--no-new-privs", "--inh-caps=-all", f"--bounding-set={bounding}", "--", *argv]


def test_the_documented_grade_command_runs_here(tmp_path, release_notebooks):
    """docs/deploy.md's `docker run ... grade` with the container's folders mapped to a temporary
    layout, its environment from the Dockerfile, and (as root) only its capabilities."""
    mounts, args, _ = _documented_run()
    layout = _layout(tmp_path, release_notebooks)
    assert all(any(m == root or m.startswith(root + "/") for root in layout) for m in mounts)
    argv = _as_container_root([str(VENV_BIN / "autograder"), *_container_argv(args, layout)])
    r = subprocess.run(argv, capture_output=True, text=True, env=_container_env(layout), cwd="/tmp", timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out_dir = Path(_container_argv([args[args.index("--out") + 1]], layout)[0])
    _check_results(out_dir, 0.0)  # the unanswered release scores 0, and that is not a failure
    record = json.loads((out_dir / "submission_result.json").read_text(encoding="utf-8"))
    assert not record["grader_errors"], record["grader_errors"][:1]


PROBE = r"""
import json, sys
from autograder.sandbox import Limits, Sandbox
secret = sys.argv[1]
cell = (
    "import os\n"
    "def probe():\n"
    "    try:\n"
    "        text = open(%r).read()\n"
    "    except OSError as e:\n"
    "        text = 'unreadable: ' + type(e).__name__\n"
    "    return text, os.getuid()\n" % secret)
with Sandbox(Limits(), hide=[sys.argv[2]]) as box:
    box.run_cells([(0, cell)])
    text, uid = box.call("probe")
    print(json.dumps({"isolation": box.isolation, "text": text, "uid": uid}))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the documented capability set is a root setup; this process is not root")
def test_the_documented_capability_set_is_enough_for_the_sandbox(tmp_path):
    """Under exactly the documented capabilities the sandbox still gets its namespaces, hides the
    course and runs the worker as its own uid: a cell cannot read the grading material."""
    course = tmp_path / "course" / "source" / "a" / "grading"
    course.mkdir(parents=True)
    secret = course / "assignment.toml"
    secret.write_text("seed = 271828  # hidden\n")
    secret.chmod(0o644)  # readable by anyone: only the sandbox can keep it from the worker
    for d in (tmp_path, tmp_path / "course"):
        d.chmod(0o755)
    argv = _as_container_root([sys.executable, "-c", PROBE, str(secret), str(tmp_path / "course")])
    r = subprocess.run(argv, capture_output=True, text=True, cwd="/tmp", timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    iso = got["isolation"]
    assert iso.get("namespaces") and iso.get("user_switched"), iso
    assert not iso.get("notes"), iso["notes"]
    assert got["uid"] != 0 and "271828" not in got["text"], got


def test_no_model_answer_enters_the_image():
    """What the build context lets into the image (autograder/ minus the dockerignore's
    exclusions) holds no line of the answer key: the installed package is readable by workers."""
    from autograder.platforms.bundle import ENGINE_EXCLUDE

    for path in DOCKERFILES.values():
        rules = (path.parent / f"{path.name}.dockerignore").read_text().splitlines()
        for part in ENGINE_EXCLUDE:
            assert f"autograder/{part}/" in rules, f"{path.name}.dockerignore must keep out autograder/{part}/"
    answers = solution_lines()
    assert answers, "the source notebooks have no solution regions?"
    for p in sorted((REPO / "autograder").rglob("*")):
        rel = p.relative_to(REPO / "autograder")
        if not p.is_file() or rel.parts[0] in ENGINE_EXCLUDE or "__pycache__" in rel.parts:
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        leaked = [line for line in answers if line in text]
        assert not leaked, f"autograder/{rel} (copied into the image) holds model answers: {leaked[:2]}"

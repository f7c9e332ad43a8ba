"""Feedback pages and the class summary: what they show, what they never show, and that they
render in headless Chromium with no console error and no network request.

Chromium comes from the set-up (`scripts/bootstrap.sh --tests` runs scripts/ensure_chromium.sh);
a test run never installs it, and a test that cannot find it fails with the set-up command
rather than being skipped. Screenshots go to
out/screenshots/ (or $AUTOGRADER_SCREENSHOTS) for a person to look at.
"""
from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.batch.outputs import build_class_outputs
from autograder.batch.records import GRADED, UNGRADABLE, StudentRecord, ungradable_result
from autograder.reporters.html import (ClassSummary, ReviewItem, StudentLine, boundary_details,
                                       decision_boundary_png, grid_points, render_feedback, render_summary)
from autograder.reporters.html.plots import data_uri
from autograder.results import CheckResult, Status, SubmissionResult, Visibility

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent


# -- hidden material: what a student page must never contain ----------------------------------------

def _seeds(table, out: list[str]) -> None:
    if isinstance(table, dict):
        for key, value in table.items():
            if "seed" in key:
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, int) and v >= 1000:
                        out.append(str(v))
            _seeds(value, out)
    elif isinstance(table, list):
        for v in table:
            _seeds(v, out)


def hidden_material(paths) -> list[str]:
    """Hidden seeds of assignment.toml, rubric patterns of rubrics.toml, and lines of the check
    modules' code: none of these may reach a student."""
    out: list[str] = []
    _seeds(tomllib.loads(paths.config_file.read_text(encoding="utf-8")), out)
    rubric = tomllib.loads(paths.rubrics_file.read_text(encoding="utf-8"))
    for q in rubric.get("questions", {}).values():
        for item in (*q.get("concepts", []), *q.get("misconceptions", [])):
            out += [p for p in (*item.get("patterns", []), *item.get("unless", [])) if len(p) >= 12]
    for f in sorted(paths.checks.glob("*.py")):
        for line in f.read_text(encoding="utf-8").splitlines():
            s = line.strip()
            if len(s) >= 40 and not s.startswith(("#", '"', "'", "f\"", "f'")) and ('"' not in s and "'" not in s):
                out.append(s)
            if s.startswith("def test_"):
                out.append(s.split("(")[0])
    assert len(out) > 30, "the hidden material list is suspiciously short"
    return out


def leaks(page: str, material: list[str]) -> list[str]:
    import html

    text = html.unescape(page)
    return [m for m in material if m in text]


# -- synthetic results --------------------------------------------------------------------------------

def _boundary_details() -> dict:
    import torch

    g = torch.Generator().manual_seed(0)
    X = torch.randn(300, 2, generator=g)
    Y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
    grid, extent = grid_points(X, steps=60)
    t = torch.tensor(grid)
    logits = torch.stack([t[:, 0], t[:, 1], -t[:, 0] - t[:, 1]], dim=1)
    return boundary_details(logits, -logits, X, Y, extent, "your model and the reference on a held-out spiral")


def synthetic_result(material: list[str], student: str = "alice") -> SubmissionResult:
    secret = "\n".join(material[:200])
    checks = [
        CheckResult('products: m @ v, with a comma, and "quotes" <b>bold?</b>', "check_products", "01_tensor_ops",
                    1.5, 1.5, Status.PASSED, public=True, tags=("public",)),
        CheckResult("products: int64 vector promoted", "check_products", "01_tensor_ops", 0.0, 1.5, Status.FAILED,
                    "expected a float result for an int64 vector; got torch.int64\n<script>alert(1)</script>",
                    tags=("hidden",)),
        CheckResult("fit_spiral: held-out accuracy", "check_fit_spiral", "02_spiral_classification", 4.0, 8.0,
                    Status.FAILED, "median held-out accuracy 0.77; full marks from 0.93",
                    details={**_boundary_details(), "heldout_seeds": material[:3], "reference_logits": secret}),
        CheckResult("train: losses", "check_train", "02_spiral_classification", 0.0, 6.0, Status.ERROR,
                    "The grader could not judge this check (a fault in the grader, not in your code)."),
        CheckResult("secret: hidden from students", "check_train", "02_spiral_classification", 0.0, 0.0,
                    Status.FAILED, secret, visibility=Visibility.HIDDEN),
        CheckResult("q3_vanishing_gradient: what is it?", "q3_vanishing_gradient", "03_activations_and_optimizers",
                    1.5, 3.0, Status.FAILED, "1.5/3 points. Covered: gradients become small.", tags=("short_answer",),
                    flagged=True,
                    details={"feedback": {"level": "aspects", "covered": [],
                                          "missing": [{"en": "why it happens", "zh": "为什么会发生"}]},
                             "concepts_matched": [{"id": "small", "en": "gradients become very small", "zh": "梯度变小",
                                                   "points": 1.0, "patterns": material[-5:]}],
                             "concepts_missed": [{"id": "chain", "en": "the chain rule multiplies derivatives",
                                                  "zh": "链式法则连乘", "points": 1.0}],
                             "flag_reasons": ["the score 1.5/3 is in the middle band 1-2"],
                             "answer_excerpt": "Gradients <b>shrink</b> in early layers.",
                             "patterns": material[-20:], "rubric": secret}),
    ]
    return SubmissionResult("pytorch_basics", student, checks,
                            notes=["02_spiral_classification.ipynb, cell 12, line 3: ValueError: shapes do not match"],
                            grader_errors=[f"Traceback (most recent call last):\n{secret}"], execution_time_s=12.5)


# -- the pages ------------------------------------------------------------------------------------------

def test_feedback_page_shows_scores_verdicts_errors_plots_and_concepts(pytorch_basics_paths):
    page = render_feedback(synthetic_result(hidden_material(pytorch_basics_paths)))
    assert 'id="total">5.5 <small>/ 16.5' not in page  # a hidden check: no total shown
    assert "Your total is shown when all checks are released" in page
    assert "Passed · 通过" in page and "Not passed · 未通过" in page and "Partial credit · 部分得分" in page
    assert "Not judged (grader fault)" in page
    assert "expected a float result for an int64 vector" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page  # escaped
    assert "&lt;b&gt;bold?&lt;/b&gt;" in page
    assert "cell 12, line 3: ValueError: shapes do not match" in page
    assert page.count('src="data:image/png;base64,') == 2  # the student's and the reference boundary
    # short answers: the student view at the course's feedback level (here: aspects), never the
    # TA-facing concept labels kept in the same details
    assert "Not yet answered · 尚未回答的部分" in page and "why it happens" in page and "为什么会发生" in page
    assert "gradients become very small" not in page and "梯度变小" not in page
    assert "the chain rule multiplies derivatives" not in page and "a TA will review this" in page
    assert "public · 公开" in page and "hidden inputs · 隐藏输入" in page
    assert "http://" not in page and "https://" not in page


def test_feedback_page_shows_rubric_labels_only_at_the_rubric_level():
    view = {"level": "rubric", "covered": [{"en": "gradients become very small", "zh": "梯度变小"}],
            "missing": [{"en": "the chain rule multiplies derivatives", "zh": "链式法则连乘"}]}
    details = {"concepts_matched": [{"id": "small", "en": "TA-only label", "zh": "助教用"}]}
    check = CheckResult("q3: what is it?", "q3", "nb", 1.5, 3.0, Status.FAILED, "1.5/3", tags=("short_answer",),
                        details={**details, "feedback": view})
    page = render_feedback(SubmissionResult("a", "s", [check]))
    assert "Concepts found · 已答到的要点" in page and "gradients become very small" in page
    assert "the chain rule multiplies derivatives" in page and "链式法则连乘" in page
    assert "TA-only label" not in page
    for level in ("score", None):
        hidden = CheckResult("q3: what is it?", "q3", "nb", 1.5, 3.0, Status.FAILED, "1.5/3", tags=("short_answer",),
                             details={**details, "feedback": {**view, "level": level}})
        page = render_feedback(SubmissionResult("a", "s", [hidden]))
        assert "gradients become very small" not in page and "TA-only label" not in page and "Concepts" not in page


def test_feedback_page_never_shows_hidden_material(pytorch_basics_paths):
    material = hidden_material(pytorch_basics_paths)
    result = synthetic_result(material)
    page = render_feedback(result)
    assert leaks(page, material) == []
    assert "Traceback" not in page and "secret: hidden from students" not in page
    # the total shows once every check is visible
    visible = SubmissionResult(result.assignment, result.student,
                               [c for c in result.checks if c.visibility is not Visibility.HIDDEN])
    assert 'id="total">7 <small>/ 20 points' in render_feedback(visible)


def test_a_missing_notebook_is_said_once(pytorch_basics_paths):
    msg = "notebook 02_spiral_classification was not found in your submission"
    checks = [CheckResult(f"train: {i}", "check_train", "02_spiral_classification", 0, 1, Status.FAILED, msg)
              for i in range(5)]
    page = render_feedback(SubmissionResult("pytorch_basics", "x", checks))
    assert page.count(msg) == 1


def _record(result: SubmissionResult, status=GRADED, reason="", wall=1.0) -> StudentRecord:
    return StudentRecord(result.student, status, result, fingerprint="f", source=f"{result.student}.ipynb",
                         reason=reason, wall_s=wall)


def test_class_outputs_summary_lists_the_review_queue_and_ta_material(pytorch_basics_paths, tmp_path):
    from autograder.assignment import load_assignment

    config = load_assignment(pytorch_basics_paths.config_file)
    material = hidden_material(pytorch_basics_paths)
    records = {
        "alice": _record(synthetic_result(material, "alice"), wall=30.5),
        "bob": _record(ungradable_result(config, "bob", "bob.ipynb is not a valid notebook"), UNGRADABLE,
                       "bob.ipynb is not a valid notebook"),
    }
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    outputs = build_class_outputs(tmp_path, config, ["alice", "bob"], records, url, roster=["carol"])
    summary = outputs.summary.read_text()
    assert 'id="review-queue"' in summary
    queue = summary.split('id="review-queue"')[1].split("</section>")[0]
    assert "q3_vanishing_gradient" in queue and "alice" in queue
    assert "autograder review set pytorch_basics alice q3_vanishing_gradient 1.5" in queue
    assert "the score 1.5/3 is in the middle band 1-2" in queue
    # the TA reads the answer to settle it, escaped (a student's text is never markup)
    assert "Gradients &lt;b&gt;shrink&lt;/b&gt; in early layers." in queue
    assert "bob.ipynb is not a valid notebook" in summary.split('id="ungradable"')[1]
    assert "Traceback (most recent call last)" in summary.split('id="grader-errors"')[1]  # TA-only page
    assert leaks(summary, material)  # the detector sees material where it is (the TA page's tracebacks)
    assert "carol" in summary.split('id="students"')[1] and outputs.missing == ["carol"]
    assert "30.5" in summary.split('id="slowest"')[1]
    for s in ("alice", "bob"):
        assert leaks((tmp_path / "students" / s / "feedback.html").read_text(), material) == []
    # A TA settles the answer: it leaves the queue, and the page and CSV show the TA's score.
    from autograder.gradebook import set_override

    set_override(url, "pytorch_basics", "alice", "q3_vanishing_gradient", 3.0, "fine")
    outputs = build_class_outputs(tmp_path, config, ["alice", "bob"], records, url, roster=["carol"])
    assert outputs.review == 0
    assert "q3_vanishing_gradient" not in outputs.summary.read_text().split('id="review-queue"')[1].split("</section>")[0]
    page = (tmp_path / "students" / "alice" / "feedback.html").read_text()
    assert "Score set by a TA" in page and ">TA</span>" in page
    assert "q3_vanishing_gradient" in (tmp_path / "grades.csv").read_text().splitlines()[1]


def test_decision_boundary_png_and_data_uris():
    import numpy as np

    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    Y = np.array([0, 1, 2])
    grid, extent = grid_points(X, steps=20)
    png = decision_boundary_png(np.eye(3)[np.arange(400) % 3], X, Y, extent, title="t")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    b64 = base64.b64encode(png).decode()
    assert data_uri(b64) == "data:image/png;base64," + b64
    assert data_uri(base64.b64encode(b"<svg onload=alert(1)>").decode()) is None
    assert data_uri("javascript:alert(1)") is None and data_uri(None) is None
    with pytest.raises(ValueError, match="square grid"):
        decision_boundary_png(np.zeros((7, 3)), X, Y)


# -- headless Chromium ---------------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
SETUP = "./scripts/bootstrap.sh --tests"


def find_chromium() -> str | None:
    import shutil

    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium, as the set-up installed it. A test run never installs anything: when
    it is missing, the test fails and says which set-up command installs it."""
    path = find_chromium()
    if path is None:
        pytest.fail(f"headless Chromium is needed to check the HTML pages and is not installed; the set-up "
                    f"installs it: {SETUP} (or: apt-get install chromium)")
    return path


class DevTools:
    """A page in headless Chromium driven through the DevTools protocol (websocket-client)."""

    def __init__(self, binary: str, profile: Path, width: int = 1280, height: int = 2000) -> None:
        import websocket

        self.log = (profile.parent / "chromium.log").open("wb")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.fail(f"chromium did not start: {(profile.parent / 'chromium.log').read_text()[-2000:]}")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            self.call(method)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method: str, params: dict | None = None) -> dict:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            self.events.append(json.loads(self.ws.recv()))
        self.ws.settimeout(0.5)  # late console messages
        try:
            while True:
                self.events.append(json.loads(self.ws.recv()))
        except Exception:  # noqa: BLE001 - a quiet half second: done
            pass
        self.ws.settimeout(60)

    def open(self, path: Path, screenshot: Path) -> dict[str, list[str]]:
        self.events.clear()
        self.call("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_for("Page.loadEventFired")
        shot = self.call("Page.captureScreenshot", {"format": "png"})
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        errors, network = [], []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif m == "Runtime.exceptionThrown":
                errors.append("exception: " + p["exceptionDetails"].get("text", ""))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                errors.append("log: " + p["entry"].get("text", ""))
            elif m == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    network.append(url)
        return {"errors": errors, "network": network}

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.log.close()


def _screenshot_dir() -> Path:
    return Path(os.environ.get("AUTOGRADER_SCREENSHOTS", REPO / "out" / "screenshots"))


def _fake_system(tmp_path: Path) -> tuple[Path, Path]:
    """A PATH with no Chromium, whose apt-get records every call and "installs" chromium."""
    import shutil

    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("bash", "id", "head", "env"):
        os.symlink(shutil.which(tool), bin_ / tool)
    log = tmp_path / "apt-get.log"
    browser = tmp_path / "chromium-package"
    browser.write_text("#!/bin/sh\nexit 0\n")
    browser.chmod(0o755)
    (bin_ / "apt-get").write_text(f"#!{shutil.which('bash')}\necho \"$@\" >> {log}\n"
                                  f"if [ \"$1\" = install ]; then {shutil.which('cp')} -p {browser} {bin_}/chromium; fi\n")
    (bin_ / "apt-get").chmod(0o755)
    return bin_, log


def test_a_test_run_never_installs_system_packages(tmp_path):
    """Without Chromium, the Chromium test fails and names the set-up command; nothing is
    installed, even as root with apt-get at hand."""
    bin_, log = _fake_system(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
                           f"{__file__}::test_pages_render_in_chromium_without_errors"],
                          capture_output=True, text=True, cwd=REPO, timeout=600,
                          env={**os.environ, "PATH": str(bin_)})
    assert done.returncode == 1, done.stdout[-2000:]
    assert f"the set-up installs it: {SETUP}" in done.stdout
    assert not log.exists(), log.read_text()


def test_the_setup_ci_runs_installs_chromium(tmp_path):
    """CI runs the README's test command on a fresh machine; its set-up installs Chromium, so the
    Chromium tests run there (they are never skipped)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci == f"{SETUP} && .venv/bin/python -m pytest"
    assert ci in readme
    bootstrap = (REPO / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    assert "./scripts/ensure_chromium.sh" in bootstrap.split('if [ "$TESTS" = 1 ]; then', 1)[1]
    bin_, log = _fake_system(tmp_path)
    done = subprocess.run(["bash", str(REPO / "scripts" / "ensure_chromium.sh")], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PATH": str(bin_)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(bin_ / "chromium")
    assert "install -y -qq --no-install-recommends chromium" in log.read_text()


def test_pages_render_in_chromium_without_errors(chromium, pytorch_basics_paths, tmp_path):
    from autograder.assignment import load_assignment

    config = load_assignment(pytorch_basics_paths.config_file)
    material = hidden_material(pytorch_basics_paths)
    records = {"alice": _record(synthetic_result(material, "alice")),
               "bob": _record(ungradable_result(config, "bob", "not a notebook"), UNGRADABLE, "not a notebook")}
    out = tmp_path / "results"
    outputs = build_class_outputs(out, config, ["alice", "bob"], records, f"sqlite:///{tmp_path / 'gb.db'}",
                                  roster=["carol"])
    bad = tmp_path / "bad.html"  # the harness itself must see errors and requests
    bad.write_text('<html><body><img src="http://example.invalid/x.png"><script>console.error("boom")</script></body></html>')
    shots = _screenshot_dir()
    browser = DevTools(chromium, tmp_path / "profile")
    try:
        control = browser.open(bad, tmp_path / "bad.png")
        assert any("boom" in e for e in control["errors"]) and control["network"], control
        for name, page in [("feedback-alice", outputs.feedback["alice"]), ("feedback-bob", outputs.feedback["bob"]),
                           ("summary", outputs.summary)]:
            seen = browser.open(page, shots / f"{name}.png")
            assert seen == {"errors": [], "network": []}, f"{name}: {seen}"
            png = (shots / f"{name}.png").read_bytes()
            assert png.startswith(b"\x89PNG") and len(png) > 10_000
    finally:
        browser.close()


def test_summary_page_renders_alone():
    s = ClassSummary("pytorch_basics", 100.0,
                     [StudentLine("a", "graded", 80.0, wall_s=3.0, feedback="a/feedback.html"),
                      StudentLine("b", "missing", reason="no submission")],
                     review=[ReviewItem("a", "q1_alexnet", 1.5, 3.0, "low confidence", "autograder review set ...")])
    page = render_summary(s)
    assert "autograder review set ..." in page and re.search(r"1 <small>graded", page)

"""The staff similarity report (autograder.similarity) on a planted class built from the answer
key (tests/samples/similar.py): copies with renamed variables, reordered and moved functions,
added comments and lightly reworded answers must rank above every pair of independent students;
the key's own lines, shared by everyone, and the release's starter code must not count; hostile
files are not read and hostile text is escaped; the page is self-contained and renders in
headless Chromium; nothing is written outside the staff folder.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

from autograder.similarity import SimilarityConfig, SimilarityError, SimilaritySummary, similarity_report
from autograder.similarity.answers import shingles
from autograder.similarity.cli import main as similarity_main
from autograder.similarity.code import compare, fingerprint
from autograder.similarity.index import shared_counts
from autograder.similarity.safe_read import UnsafeFile, read_regular_file
from samples import planted as P
from samples import similar as S
from test_html import DevTools, chromium  # noqa: F401 - the fixture, and the harness the HTML tests use

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "release" / "pytorch_basics"
KEY = REPO / "solutions" / "pytorch_basics"


def _pair(report, a: str, b: str):
    for p in report.pairs:
        if {p.a, p.b} == {a, b}:
            return p
    return None


def _score(report, a: str, b: str) -> float:
    p = _pair(report, a, b)
    return p.score if p else 0.0


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The planted class (eight students) as a folder of <student>/ folders."""
    root = tmp_path_factory.mktemp("similar") / "submissions"
    for spec in S.planted_class():
        S.build_student(spec, root / spec.name)
    return root


@pytest.fixture(scope="module")
def report(planted):
    out = planted.parent / "staff"
    subs = {p.name: p for p in sorted(planted.iterdir())}
    return similarity_report(subs, RELEASE, out, key_dir=KEY, jobs=1)


# -- ranking --------------------------------------------------------------------------------------

def test_disguised_copies_rank_above_every_independent_pair(report):
    independent = [_score(report, a, b) for a, b in combinations(S.INDEPENDENT, 2)]
    copies = {pair: _score(report, *pair) for pair in S.COPIES}
    assert max(independent) < 0.3, [(p.a, p.b, p.score) for p in report.pairs if p.score >= 0.3]
    assert min(copies.values()) > max(independent) + 0.5, copies
    # The copies are the top of the ranking, and each direction of their code says so.
    assert {frozenset((p.a, p.b)) for p in report.pairs[:len(S.COPIES)]} == {frozenset(p) for p in S.COPIES}
    for a, b in S.COPIES:
        p = _pair(report, a, b)
        assert p.a_in_b > 0.8 and p.b_in_a > 0.8, (a, b, p.a_in_b, p.b_in_a)
    # A copy's relatives other than its source (a copy of ind2 against ind3, ...) stay low.
    for copy, source in S.COPIES:
        for other in S.INDEPENDENT:
            if other != source and (copy, other) not in S.COPIES:
                assert _score(report, copy, other) < 0.3, (copy, other)


def test_clusters_join_three_or_more_and_nothing_else(report):
    assert [set(c.students) for c in report.clusters] == [{"ind2", "copy2", "copy2b"}]
    assert report.clusters[0].pairs == 3


def test_reworded_answers_match_in_english_and_chinese_and_independent_ones_do_not(report):
    def jaccard(a, b, gid):
        p = _pair(report, a, b)
        return next((m.jaccard for m in p.answers if m.grade_id == gid), 0.0) if p else 0.0

    assert jaccard("copy1", "ind1", "q2_activation_functions") > 0.4  # reworded, English
    assert jaccard("copy1", "ind1", "q5_softmax") > 0.4
    assert jaccard("copy2", "ind2", "q3_vanishing_gradient") > 0.5  # reworded, Chinese
    for a, b in combinations(S.INDEPENDENT, 2):
        for gid in ("q2_activation_functions", "q3_vanishing_gradient", "q5_softmax"):
            assert jaccard(a, b, gid) < 0.15, (a, b, gid)
    # copy2b kept the key's answers and ind2 wrote their own: the key's text is not a match.
    assert not _pair(report, "copy2b", "key") and not (_pair(report, "copy2b", "ind2").answers)


def test_shingles_normalise_width_case_and_markdown():
    assert shingles("**Softmax** ＴＵＲＮＳ scores into ＰＲＯＢＡＢＩＬＩＴＩＥＳ。", 3) == \
        shingles("softmax turns scores into probabilities.", 3)
    assert shingles("梯度消失", 3) == {"梯 度 消", "度 消 失"}


# -- what does not count --------------------------------------------------------------------------

def test_the_keys_lines_shared_by_everyone_do_not_count(planted, report, tmp_path):
    # Every planted student keeps the key's code in the cells they did not rewrite (more than
    # half of their own code): still, independent pairs score low (above), and the key scores
    # nothing against anyone on code.
    for s in report.students:
        if s.student in ("ind1", "ind2", "ind3", "ind4"):
            assert 0.35 < s.given_share < 0.8, s
    assert next(s for s in report.students if s.student == "key").given_share == 1.0
    assert all(p.code.chars == 0 for p in report.pairs if "key" in (p.a, p.b))
    # Without the key discounted, the same class ranks independent pairs as copies: the
    # discount is what keeps them apart.
    subs = {p.name: p for p in sorted(planted.iterdir())}
    bare = similarity_report(subs, RELEASE, tmp_path / "nokey", jobs=1)
    assert max(_score(bare, a, b) for a, b in combinations(S.INDEPENDENT, 2)) > 0.5


def test_two_unchanged_keys_and_two_untouched_releases_share_nothing(tmp_path):
    subs = {}
    for name in ("k1", "k2"):
        subs[name] = P.build_key(tmp_path / "class" / name)
    for name in ("r1", "r2"):
        subs[name] = P.build_unanswered(tmp_path / "class" / name)
    r = similarity_report(subs, RELEASE, tmp_path / "staff", key_dir=KEY, jobs=1)
    assert r.pairs == [] and r.clusters == []
    assert r.histogram[0] == r.pairs_total == 6
    own = {s.student: s.own_chars for s in r.students}
    assert own["r1"] == own["r2"] == 0 and own["k1"] > 5000  # the starter code is not theirs


def test_idioms_common_in_the_class_are_discounted(planted, tmp_path):
    # ind2, copy2 and copy2b share their code: with "common" meaning more than two students,
    # it is an idiom of this class and the trio drops out; copy1 and ind1 (two) stay.
    subs = {p.name: p for p in sorted(planted.iterdir())}
    r = similarity_report(subs, RELEASE, tmp_path / "staff", SimilarityConfig(common_min=2), key_dir=KEY, jobs=1)
    assert _pair(r, "copy2", "ind2") is None or _pair(r, "copy2", "ind2").code_score < 0.2
    assert _pair(r, "copy1", "ind1").code_score > 0.8


def test_renamed_reordered_commented_code_keeps_its_fingerprints():
    rng = __import__("random").Random(3)
    cell = S.fill_stubs(S._release_cell(S.NB3, "sol_activations"),
                        {f: S.IND["ind3"][f] for f in S.IND["ind3"] if S.FUNCTION_CELLS[f][1] == "sol_activations"})
    copy = S.disguise(S.reorder_functions(cell, rng), rng)
    assert copy != cell and "# " in copy
    other = S.fill_stubs(S._release_cell(S.NB3, "sol_activations"),
                         {f: S.IND["ind1"][f] for f in S.IND["ind1"] if S.FUNCTION_CELLS[f][1] == "sol_activations"})
    a, b, c = (fingerprint(n, [src], 25, 6) for n, src in (("a", cell), ("b", copy), ("c", other)))
    assert compare(a, b).a_in_b > 0.9 and compare(a, b).b_in_a > 0.9
    assert compare(a, c).a_in_b < 0.5


def test_fingerprinting_in_worker_processes_gives_the_same_fingerprints(planted):
    from autograder.similarity import read_and_fingerprint
    from autograder.similarity.work import load_template

    template = load_template(RELEASE, KEY)
    subs = {p.name: p for p in sorted(planted.iterdir())}
    one = read_and_fingerprint(subs, template, SimilarityConfig(), jobs=1)
    two = read_and_fingerprint(subs, template, SimilarityConfig(), jobs=2)
    assert [w.blocks for w in one[0]] == [w.blocks for w in two[0]]
    assert [f.selected.tolist() for f in one[1]] == [f.selected.tolist() for f in two[1]]
    assert all(len(f.selected) > 50 for f, w in zip(one[1], one[0]) if w.student != "key")


def test_pairs_come_from_an_inverted_index_of_what_they_share():
    sets = [{1, 2, 3}, {3, 4}, {5}, {1, 2, 3, 9}]
    assert shared_counts(sets, 1) == {(0, 1): 1, (0, 3): 3, (1, 3): 1}
    assert shared_counts(sets, 2) == {(0, 3): 3}


def test_the_same_class_gives_the_same_figures_in_every_process(planted, tmp_path):
    # copydetect hashes with Python's salted hash(): its figures change from run to run. Ours
    # must not (a TA rerunning the report sees the same numbers).
    code = ("import json, sys\nfrom pathlib import Path\nfrom autograder.similarity import similarity_report\n"
            "subs = {p.name: p for p in sorted(Path(sys.argv[1]).iterdir())}\n"
            "r = similarity_report(subs, Path(sys.argv[2]), Path(sys.argv[3]), key_dir=Path(sys.argv[4]), jobs=1)\n"
            "print(json.dumps([p.to_dict() for p in r.pairs]))\n")
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", code, str(planted), str(RELEASE), str(tmp_path / seed), str(KEY)],
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        outs.append(done.stdout)
    assert outs[0] == outs[1]


# -- hostile submissions --------------------------------------------------------------------------

HOSTILE_CODE = 'x = "</pre><script>alert(1)</script>"  # \u202e evil \x1b[31m\nreturn torch.zeros(3) * 2 + 1'


def _hostile_class(root: Path) -> dict[str, Path]:
    nasty = S.StudentSpec("nasty", {**S.IND["ind4"], "relu": HOSTILE_CODE},
                          {"q5_softmax": "<img src=x onerror=alert(1)> <script>alert(2)</script> " + S.ANSWERS["ind1"]["q5_softmax"]})
    copy = S.StudentSpec("nasty2", nasty.functions, nasty.answers, reorder=True, disguised=True)
    subs = {}
    for spec in (nasty, copy, S.StudentSpec("ind1", S.IND["ind1"], S.ANSWERS["ind1"])):
        subs[spec.name] = S.build_student(spec, root / spec.name)
    # A lone surrogate and a NUL, as JSON escapes (what a notebook file can hold).
    path = root / "nasty" / f"{S.NB2}.ipynb"
    text = path.read_text(encoding="utf-8")
    line = "return nn.Sequential(nn.Linear(D, H), nn.Linear(H, C))"
    assert text.count(line) == 1
    path.write_text(text.replace(line, line + "  # \\ud800\\u0000", 1), encoding="utf-8")
    return subs


def test_student_text_is_escaped_and_the_page_is_self_contained(tmp_path):
    subs = _hostile_class(tmp_path / "class")
    r = similarity_report(subs, RELEASE, tmp_path / "staff", key_dir=KEY, jobs=1)
    assert {r.pairs[0].a, r.pairs[0].b} == {"nasty", "nasty2"}
    page = r.html.read_text(encoding="utf-8")
    assert "alert(1)" in page  # the text is shown ...
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page  # ... escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "\u202e" not in page and "\x1b" not in page and "\x00" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//|file:)""", page, re.I)
    assert "<link" not in page.lower() and "@import" not in page
    assert "Similarity, not proof" in page and "<svg" in page
    assert "A's code in B" in page and "B's code in A" in page
    data = json.loads(r.json.read_text(encoding="utf-8"))
    assert data["note"] == "similarity, not proof" and data["pairs"][0]["code"]["a_in_b"] > 0.8


def test_links_fifos_and_oversized_files_are_not_read(tmp_path):
    root = tmp_path / "class"
    subs = {"ind1": S.build_student(S.StudentSpec("ind1", S.IND["ind1"]), root / "ind1")}
    # "thief" hands in links to ind1's notebooks: they must not be read as thief's work.
    thief = root / "thief"
    thief.mkdir()
    for stem in P.STEMS:
        (thief / f"{stem}.ipynb").symlink_to(root / "ind1" / f"{stem}.ipynb")
    os.mkfifo(thief / "pipe.ipynb")
    (thief / "big.ipynb").write_bytes(b" " * 2048)
    (thief / "linked").symlink_to(root / "ind1", target_is_directory=True)
    subs["thief"] = thief
    subs["linked"] = root / "linked-student"
    subs["linked"].symlink_to(root / "ind1", target_is_directory=True)
    r = similarity_report(subs, RELEASE, tmp_path / "staff", key_dir=KEY, jobs=1)
    assert r.pairs == []
    notes = {s.student: " ".join(s.notes) for s in r.students}
    assert "symbolic link" in notes["thief"] and "not a regular file" in notes["thief"]
    assert "symbolic link" in notes["linked"]
    with pytest.raises(UnsafeFile, match="larger than"):
        read_regular_file(thief / "big.ipynb", 1024)
    with pytest.raises(UnsafeFile, match="symbolic link"):
        read_regular_file(thief / f"{P.STEMS[0]}.ipynb", 10**8)


def test_malformed_notebooks_and_a_failing_student_do_not_stop_the_class(planted, tmp_path, monkeypatch):
    import autograder.similarity.analysis as analysis

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": [1, None, "x = 1"], "metadata": {"nbgrader": {"grade_id": "sol_products", "solution": True}}},
        {"cell_type": 7, "source": {"a": 1}, "metadata": "zz"}, "not a cell", None,
        {"cell_type": "markdown", "source": ["an answer", 3], "metadata": {"nbgrader": {"grade_id": "q5_softmax"}}}]}))
    (broken / "b.ipynb").write_text("[" * 100_000)  # deeper than the JSON parser goes
    real = analysis.read_work

    def fails_for_ind3(student, *args):
        if student == "ind3":
            raise RuntimeError("boom")
        return real(student, *args)

    monkeypatch.setattr(analysis, "read_work", fails_for_ind3)
    subs = {**{p.name: p for p in sorted(planted.iterdir())}, "broken": broken}
    r = similarity_report(subs, RELEASE, tmp_path / "staff", key_dir=KEY, jobs=1)
    notes = {s.student: " ".join(s.notes) for s in r.students}
    assert "RuntimeError: boom" in notes["ind3"] and "b.ipynb is not a notebook" in notes["broken"]
    assert _score(r, "copy1", "ind1") > 0.9 and len(r.students) == 9


# -- where it writes ------------------------------------------------------------------------------

def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def test_cli_writes_only_the_staff_folder_and_refuses_one_inside_the_submissions(planted, tmp_path, capsys):
    before = _tree(planted)
    out = tmp_path / "staff"
    rc = similarity_main([str(planted), "--out", str(out), "--course", str(REPO)])
    printed = capsys.readouterr()
    assert rc == 0, printed.err
    assert "similarity, not proof" in printed.out and "8 students, 28 pairs" in printed.out
    assert sorted(p.name for p in out.iterdir()) == ["similarity.html", "similarity.json"]
    assert _tree(planted) == before
    assert (out / "similarity.html").stat().st_mode & 0o007 == 0  # staff only: not world-readable
    rc = similarity_main([str(planted), "--out", str(planted / "reports"), "--course", str(REPO)])
    assert rc == 2 and "inside SUBMISSIONS" in capsys.readouterr().err
    assert _tree(planted) == before
    with pytest.raises(SimilarityError, match="inside a submission"):
        similarity_report({"ind1": planted / "ind1"}, RELEASE, planted / "ind1" / "x")


def test_cli_reads_an_lms_zip_through_the_batch_discovery(planted, tmp_path, capsys):
    import zipfile

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(planted.rglob("*.ipynb")):
            zf.write(p, f"export/{p.relative_to(planted)}")
    rc = similarity_main([str(archive), "--course", str(REPO), "--out", str(tmp_path / "staff")])
    assert rc == 0, capsys.readouterr().err
    data = json.loads((tmp_path / "staff" / "similarity.json").read_text(encoding="utf-8"))
    assert len(data["students"]) == 8 and {data["pairs"][0]["a"], data["pairs"][0]["b"]} <= {"copy1", "copy2", "copy2b", "ind1", "ind2"}


def test_plain_data_for_the_class_summary_page(report):
    summary = report.summary(3)
    assert {frozenset((p.a, p.b)) for p in summary.top} <= {frozenset(p) for p in S.COPIES}
    assert summary.flagged == 4 and summary.students == 8 and summary.note == "similarity, not proof"
    assert [set(c.students) for c in summary.clusters] == [{"ind2", "copy2", "copy2b"}]
    assert SimilaritySummary.read(report.html.parent, 3) == summary  # read back from similarity.json
    assert SimilaritySummary.read(report.html.parent / "nothing") is None


def test_the_json_keeps_the_best_pairs_and_counts_them_all(planted, tmp_path):
    subs = {p.name: p for p in sorted(planted.iterdir())}
    r = similarity_report(subs, RELEASE, tmp_path, SimilarityConfig(pairs_saved=2), key_dir=KEY, jobs=1)
    data = json.loads(r.json.read_text(encoding="utf-8"))
    assert len(data["pairs"]) == 2 and data["pairs_scored"] == len(r.pairs) > 2
    assert SimilaritySummary.read(tmp_path).flagged == 4 and sum(data["histogram"]["counts"]) == 28


def test_histogram_counts_every_pair_once(report):
    assert sum(report.histogram) == report.pairs_total == math.comb(8, 2)
    assert report.histogram[-1] >= len(S.COPIES) - 1


# -- the page in a browser ------------------------------------------------------------------------

def test_report_renders_in_chromium_without_errors_or_requests(chromium, report, tmp_path):  # noqa: F811
    shots = Path(os.environ.get("AUTOGRADER_SCREENSHOTS", REPO / "out" / "screenshots"))
    browser = DevTools(chromium, tmp_path / "profile")
    try:
        seen = browser.open(report.html, shots / "similarity.png")
        assert seen == {"errors": [], "network": []}, seen
        banner = browser.call("Runtime.evaluate", {"expression": "document.getElementById('not-proof').innerText",
                                                   "returnByValue": True})["result"]["value"]
        assert "SIMILARITY, NOT PROOF" in banner.upper()
        rows = browser.call("Runtime.evaluate", {"expression": "document.querySelectorAll('svg rect').length",
                                                 "returnByValue": True})["result"]["value"]
        assert rows == 20
    finally:
        browser.close()
    assert (shots / "similarity.png").read_bytes().startswith(b"\x89PNG")


# -- the planted implementations are correct (else "independent" would mean "wrong") -------------

def test_the_planted_independent_implementations_agree_with_the_key():
    import torch
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = {"torch": torch, "nn": torch.nn, "math": math, "plt": plt}
    mine = {}
    for stem in P.STEMS:
        for cell in P.load_key(stem)["cells"]:
            if cell["cell_type"] == "code" and (cell.get("metadata", {}).get("nbgrader") or {}).get("solution"):
                exec(compile(P._source(cell), stem, "exec"), key)  # noqa: S102 - our own answer key
    key_ns = key
    for name, funcs in S.IND.items():
        ns = {"torch": torch, "nn": torch.nn, "math": math}
        cells = {}
        for func, body in funcs.items():
            cells.setdefault(S.FUNCTION_CELLS[func], {})[func] = body
        for (stem, gid), bodies in cells.items():
            exec(compile(S.fill_stubs(S._release_cell(stem, gid), bodies), name, "exec"), ns)  # noqa: S102
        mine[name] = ns
    torch.manual_seed(0)
    x = torch.linspace(-30, 30, 61)
    m, v = torch.randn(3, 4), torch.arange(1, 5)
    logits, labels = torch.randn(50, 3), torch.randint(0, 3, (50,))
    deep = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Linear(6, 5), torch.nn.Linear(5, 3))
    probe = torch.randn(7, 4)
    for name, ns in mine.items():
        for f in ("sigmoid", "tanh_via_sigmoid", "relu", "leaky_relu", "sigmoid_grad"):
            assert torch.allclose(ns[f](x), key_ns[f](x), atol=1e-6), (name, f)
        for got, want in zip(ns["products"](m, v), key_ns["products"](m, v)):
            assert torch.allclose(got, want, atol=1e-5), (name, "products")
        for got, want in zip(ns["make_spiral"](50, 3, 0.2, 7), key_ns["make_spiral"](50, 3, 0.2, 7)):
            assert got.dtype == want.dtype and torch.allclose(got.float(), want.float(), atol=1e-5), (name, "make_spiral")
        assert abs(ns["accuracy"](logits, labels) - key_ns["accuracy"](logits, labels)) < 1e-6, name
        assert torch.allclose(ns["collapse_linear"](deep)(probe), deep(probe), atol=1e-5), (name, "collapse_linear")
        assert ns["gradient_norms"](4, "sigmoid", 1) == pytest.approx(key_ns["gradient_norms"](4, "sigmoid", 1), rel=1e-5)
        p, g = torch.randn(5), torch.randn(5)
        s1, s2 = {}, {}
        a, b = p, p
        for _ in range(3):
            a = ns["adam_step"](a, g, s1, 0.1, weight_decay=0.01)
            b = key_ns["adam_step"](b, g, s2, 0.1, weight_decay=0.01)
        assert torch.allclose(a, b, atol=1e-6) and s1["step"] == 3, (name, "adam_step")
        losses = []
        for train in (ns["train"], key_ns["train"]):
            torch.manual_seed(1)
            model = torch.nn.Linear(2, 3)
            losses.append(train(model, logits[:, :2], labels, torch.optim.SGD(model.parameters(), lr=0.1), 5))
        assert len(losses[0]) == 5 and losses[0] == pytest.approx(losses[1], rel=1e-6), (name, "train")

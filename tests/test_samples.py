"""Sample submissions through the real grading pipeline (notebook -> sandbox -> checks).

- the answer key scores every code point (82);
- each planted mistake loses points on exactly the grade cells it names and keeps all others;
- each lazy reply (a reply built without the computation the contract asks for, see
  docs/lazy-replies.md) loses the points of its grade cell and nothing else;
- each alternative correct implementation loses nothing;
- the unanswered release scores 0, every message says "not implemented", none shows a traceback;
- hints: a sample's grade cell carries the hint of the known mistake it plants (`Sample.hint`) and
  no other, every other cell none; the key, the alternatives and the release trigger no hint; every
  known mistake of the catalogue (grading/mistakes.toml) has a sample that triggers it.

Samples hold only the notebook they touch, without its ungraded demonstration cells (see
`samples.planted.without_demo_cells`); the key is graded whole. Planted mistakes, lazy replies,
alternatives and the added known mistakes are packed together into submissions of one notebook
whose samples edit different grade cells (`samples.planted.groups`: each check calls only its own
cell's functions, so a sample's effect stays on its cell; a submission must lose exactly the cells
of its samples that lose one, and each cell carries exactly its own sample's hint). With the key
and the unanswered release that is 32 submissions (52 when planted mistakes were graded one
each), 9 of them of notebook 02, whose fit_spiral check trains three times whatever else the
submission holds. Everything is
graded up front, `AUTOGRADER_TEST_JOBS` (default: the number of CPUs, at most 4) submissions at a
time, each in a child process, and the suite time is printed at the end of the run.
"""
from __future__ import annotations

import ast
import concurrent.futures as cf
import multiprocessing as mp
import os
import time
from collections import defaultdict
from pathlib import Path

import pytest
from helpers import report_timing
import torch

from autograder.assignment import load_assignment
from autograder.course import AssignmentPaths
from autograder.mistakes import load_catalogue
from samples import planted as P

pytestmark = pytest.mark.slow

CONFIG = load_assignment(P.SOURCE / "grading" / "assignment.toml")
CODE_IDS = {nb.stem: set(nb.grade_cells) for nb in CONFIG.notebooks}
ALL_CODE_IDS = set().union(*CODE_IDS.values())
# Samples share submissions (one sample per grade cell in each): a submission of a notebook costs
# a worker start, its cells and its checks' trainings whatever it holds, and the fewest
# submissions are as many as the most samples one grade cell has (first fit gives that).
GROUPS = P.groups(P.PLANTED + P.MISTAKES + P.ALTERNATIVES + P.LAZY)
GROUP_OF = {s.name: P.group_name(g) for g in GROUPS for s in g}
CATALOGUE = load_catalogue(AssignmentPaths(P.ROOT, "pytorch_basics").mistakes_file, ALL_CODE_IDS)
TRACEBACK_MARKERS = ("Traceback", 'File "')


def jobs() -> int:
    return int(os.environ.get("AUTOGRADER_TEST_JOBS", min(4, os.cpu_count() or 1)))


def grade_many(folders: dict[str, tuple[Path, str]]) -> dict[str, dict]:
    """name -> result dict; each submission graded in a child process."""
    ctx = mp.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=jobs(), mp_context=ctx) as pool:
        futures = {name: pool.submit(P.grade_folder, str(folder), device) for name, (folder, device) in folders.items()}
        out = {}
        for name, fut in futures.items():
            try:
                out[name] = fut.result()
            except Exception as e:  # reported by the test of that submission
                out[name] = {"error": f"{type(e).__name__}: {e}"}
    return out


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    t0 = time.perf_counter()
    base = tmp_path_factory.mktemp("samples")
    folders: dict[str, tuple[Path, str]] = {"key": (P.build_key(base / "key" / "sub"), "cpu")}
    # the notebook-02 submissions are the slow ones (fit_spiral trains 3 times): start them first
    for group in sorted(GROUPS, key=lambda g: g[0].notebook != P.NB2):
        folders[P.group_name(group)] = (P.build_group(group, base / f"sub{len(folders)}" / "sub"), "cpu")
    folders["unanswered"] = (P.build_unanswered(base / "unanswered" / "sub"), "cpu")
    if torch.cuda.is_available():
        folders["key@cuda"] = (P.build_key(base / "key_cuda" / "sub"), "cuda")
        for s in P.GPU_PLANTED:
            folders[s.name] = (P.build(s, base / s.name / "sub"), "cuda")
    results = grade_many(folders)
    elapsed = time.perf_counter() - t0
    report_timing("test_samples", elapsed, {n: r.get("wall_s", 0) for n, r in results.items()},
                  extra=f" with {jobs()} at a time")
    return results


def points_by_grade_id(result: dict) -> dict[str, tuple[float, float]]:
    assert "error" not in result, f"grading failed: {result['error']}"
    assert not result["grader_errors"], "grader errors:\n" + "\n".join(result["grader_errors"])[:4000]
    got: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for c in result["checks"]:
        got[c["grade_id"]][0] += c["points"]
        got[c["grade_id"]][1] += c["max_points"]
    return {g: (round(p, 6), round(m, 6)) for g, (p, m) in got.items()}


def messages(result: dict, grade_ids) -> list[str]:
    return [c["message"] for c in result["checks"] if c["grade_id"] in grade_ids and c["points"] < c["max_points"]]


def test_key_scores_every_code_point(graded):
    assert mistakes_by_cell(graded["key"], ALL_CODE_IDS) == {}
    pts = points_by_grade_id(graded["key"])
    lost = {g: pts[g] for g in ALL_CODE_IDS if pts[g][0] < pts[g][1]}
    assert lost == {}, "\n".join(messages(graded["key"], lost))
    code_points = sum(nb.cell_points[g] for nb in CONFIG.notebooks for g in nb.grade_cells)
    assert code_points == 82  # 25 + 40 + 17: every point but the six short answers
    assert sum(pts[g][0] for g in ALL_CODE_IDS) == code_points


@pytest.mark.gpu
def test_key_scores_every_code_point_on_cuda(graded):
    assert torch.cuda.is_available(), "the gpu tests need a CUDA GPU (run them with -m gpu on a GPU machine)"
    assert mistakes_by_cell(graded["key@cuda"], ALL_CODE_IDS) == {}
    pts = points_by_grade_id(graded["key@cuda"])
    lost = {g: pts[g] for g in ALL_CODE_IDS if pts[g][0] < pts[g][1]}
    assert lost == {}, "\n".join(messages(graded["key@cuda"], lost))


def _judge_sample(sample: P.Sample, result: dict, together: list[P.Sample] = ()) -> None:
    """The sample loses exactly its cells; graded in one submission with others (`together`),
    the submission loses exactly the cells of them all, and the sample's own cell is lost if
    and only if the sample should lose it."""
    pts = points_by_grade_id(result)
    ids = CODE_IDS[sample.notebook]
    lost = {g for g in ids if pts[g][0] < pts[g][1] - 1e-9}
    expected = set().union(*(s.loses for s in together)) if together else set(sample.loses)
    own = sample.grade_cell if together else None
    assert lost == expected and (own is None or (own in lost) == bool(sample.loses)), (
        f"{sample.name} ({sample.why}): lost points on {sorted(lost)}, expected {sorted(expected)}"
        + (f" (graded together with {', '.join(s.name for s in together if s is not sample)})" if together else "")
        + "\n" + "\n".join(messages(result, lost ^ expected)))
    for m in messages(result, ids):
        assert m.strip(), f"{sample.name}: a check lost points without a message"
        assert not any(t in m for t in TRACEBACK_MARKERS), f"{sample.name}: traceback text in a message: {m}"
    _judge_hints(sample, result, together or [sample])


def mistakes_by_cell(result: dict, grade_ids) -> dict[str, set[str]]:
    """grade id -> the known mistakes its checks named (only cells that named one)."""
    out: dict[str, set[str]] = defaultdict(set)
    for c in result["checks"]:
        if c["grade_id"] in grade_ids and c.get("mistake"):
            assert c["status"] != "passed", f"{c['name']}: a passed check names a mistake"
            assert "Hint:" in c["hint"] and "提示：" in c["hint"], f"{c['name']}: the hint is not bilingual: {c['hint']!r}"
            out[c["grade_id"]].add(c["mistake"])
    return dict(out)


def _judge_hints(sample: P.Sample, result: dict, together: list[P.Sample]) -> None:
    """Exactly the planted hints, each on its own cell: a wrong hint is worse than none."""
    got = mistakes_by_cell(result, CODE_IDS[sample.notebook])
    want = {s.grade_cell: {s.hint} for s in together if s.hint}
    assert got == want, f"{sample.name} ({sample.why}): hints {got}, expected {want}"


@pytest.mark.parametrize("sample", P.PLANTED, ids=lambda s: s.name)
def test_planted_mistake_loses_exactly_its_points(graded, sample):
    _judge_sample(sample, graded[GROUP_OF[sample.name]], together=_group(sample))


@pytest.mark.parametrize("sample", P.ALTERNATIVES, ids=lambda s: s.name)
def test_alternative_implementation_loses_nothing(graded, sample):
    _judge_sample(sample, graded[GROUP_OF[sample.name]], together=_group(sample))


@pytest.mark.parametrize("sample", P.LAZY, ids=lambda s: s.name)
def test_lazy_reply_loses_its_grade_cell_and_nothing_else(graded, sample):
    _judge_sample(sample, graded[GROUP_OF[sample.name]], together=_group(sample))


@pytest.mark.parametrize("sample", P.MISTAKES, ids=lambda s: s.name)
def test_known_mistake_loses_its_grade_cell_with_its_hint(graded, sample):
    _judge_sample(sample, graded[GROUP_OF[sample.name]], together=_group(sample))


def _group(sample: P.Sample) -> list[P.Sample]:
    return next(g for g in GROUPS if sample in g)


@pytest.mark.gpu
@pytest.mark.parametrize("sample", P.GPU_PLANTED, ids=lambda s: s.name)
def test_gpu_planted_mistake_loses_exactly_its_points(graded, sample):
    assert torch.cuda.is_available(), "the gpu tests need a CUDA GPU (run them with -m gpu on a GPU machine)"
    _judge_sample(sample, graded[sample.name])


def test_there_are_enough_samples():
    assert len(P.PLANTED) >= 15 and len(P.ALTERNATIVES) >= 3
    touched = {g for s in P.PLANTED for g in s.loses}
    assert len(touched) >= 15, "planted mistakes should cover most grade cells"
    lazy = {g for s in P.LAZY for g in s.loses}
    # make_basic_tensors takes no input: by the contract its reply is a constant
    assert ALL_CODE_IDS - lazy == {"check_make_basic_tensors"}, "a grade cell without lazy replies"
    assert all(len(s.loses) == 1 and s.cell in ("", next(iter(s.loses))) for s in P.LAZY)
    assert all(s.cell in ALL_CODE_IDS for s in P.ALTERNATIVES), "every alternative names the grade cell it edits"
    assert all(len(s.loses) == 1 and s.hint for s in P.MISTAKES)
    assert not any(s.hint for s in P.ALTERNATIVES), "an alternative correct implementation triggers no hint"


def test_every_known_mistake_has_a_planted_sample():
    """At least 20 known mistakes across the three notebooks, each triggered by a sample (the ones
    only a GPU shows by a GPU sample), and every sample's hint is in the catalogue for its cell."""
    samples = P.PLANTED + P.LAZY + P.MISTAKES + P.GPU_PLANTED
    assert len(CATALOGUE) >= 20
    assert {nb.stem for nb in CONFIG.notebooks for m in CATALOGUE.mistakes.values()
            if set(m.cells) & set(nb.grade_cells)} == set(P.STEMS)
    for s in samples:
        if s.hint:
            assert s.hint in CATALOGUE and s.grade_cell in CATALOGUE.get(s.hint).cells, s.name
            assert CATALOGUE.get(s.hint).gpu_only == s.gpu_only, f"{s.name}: gpu_only differs from its mistake's"
    assert set(CATALOGUE.mistakes) == {s.hint for s in samples if s.hint}, "a known mistake without a planted sample"


def test_no_hint_gives_the_solution_code():
    """Hints name the mistake and the concept, never a line of the answer key."""
    from helpers import solution_lines

    lines = solution_lines(min_length=12)
    for m in CATALOGUE.mistakes.values():
        text = m.text()
        assert not [line for line in lines if line in text], m.id


def test_every_sample_leaves_valid_python():
    """A sample whose edit broke the cell's syntax would lose its points for that, not for its idea."""
    for sample in P.PLANTED + P.GPU_PLANTED + P.LAZY + P.ALTERNATIVES:
        nb = P.load_key(sample.notebook)
        for old, new in sample.edits:
            nb = P.apply(nb, old, new)
        for cell in nb["cells"]:
            source = P._source(cell)
            if cell.get("cell_type") == "code" and not source.lstrip().startswith("%%"):
                ast.parse(source, f"{sample.name}")


def test_unanswered_release_scores_zero_with_not_implemented(graded):
    result = graded["unanswered"]
    pts = points_by_grade_id(result)
    assert {g: pts[g][0] for g in ALL_CODE_IDS if pts[g][0] > 0} == {}
    assert mistakes_by_cell(result, ALL_CODE_IDS) == {}
    for c in result["checks"]:
        if c["grade_id"] not in ALL_CODE_IDS:
            continue
        assert "not implemented" in c["message"], f"{c['name']}: {c['message']}"
        assert not any(t in c["message"] for t in TRACEBACK_MARKERS), f"{c['name']}: {c['message']}"


def test_each_model_the_grader_judges_is_trained_once(graded):
    """fit_spiral's three trainings: the public example's model is also one of the held-out
    check's three (it was trained a fourth time before)."""
    calls = {t["part"]: t for t in graded["key"]["timings"] if t["phase"] == "student calls"}
    assert calls["02_spiral_classification: fit_spiral"]["count"] == 3

"""The class comparison: read every student's work, fingerprint it, compare the pairs that share
something, rank them, find clusters, count the histogram, and write the staff report."""
from __future__ import annotations

import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Mapping

from .answers import compare_answers
from .code import CodeMatch, Fingerprint, boilerplate_hashes, common_hashes, compare, discount, fingerprint
from .config import SimilarityConfig
from .index import shared_counts
from .model import HISTOGRAM_BINS, REPORT_HTML, REPORT_JSON, Cluster, PairResult, SimilarityReport, StudentSummary
from .work import StudentWork, Template, load_template, read_work

NO_CODE = CodeMatch(0.0, 0.0, 0, (), ())
MIN_PER_PROCESS = 20  # below this many students per process, starting processes costs more than it saves

SubmissionSource = Path  # a folder of notebooks or one .ipynb, as batch.discover finds them


class SimilarityError(Exception):
    """The report cannot be made as asked (no release, an output folder inside the submissions)."""


def similarity_report(submissions: Mapping[str, SubmissionSource], release_dir: Path, out_dir: Path,
                      config: SimilarityConfig | None = None, *, key_dir: Path | None = None,
                      assignment: str = "", jobs: int | None = None) -> SimilarityReport:
    """Compare every pair of students and write `similarity.html` and `similarity.json` to
    `out_dir` (a staff folder: nothing is written anywhere else, nothing goes to students).

    submissions: student id -> their submission. release_dir: the student release (what everyone
    was given). key_dir: the published answer key, discounted like the starter code. jobs:
    processes reading and fingerprinting submissions (default: one per CPU core, for 20 students or
    more each)."""
    from .page import render_page

    config = config or SimilarityConfig()
    _check_out_dir(out_dir, submissions.values())
    t0 = time.perf_counter()
    template = load_template(Path(release_dir), Path(key_dir) if key_dir else None)
    works, fps = read_and_fingerprint(submissions, template, config, jobs)
    t1 = time.perf_counter()
    report = compare_class(works, fps, template, config, assignment or Path(release_dir).name)
    report.timings = {"read and fingerprint": t1 - t0, **report.timings}
    t2 = time.perf_counter()
    report.elapsed_s = t2 - t0  # what the page says: the comparison, not the page itself
    out_dir.mkdir(parents=True, exist_ok=True)
    page = render_page(report, works, config)
    report.timings["page"] = time.perf_counter() - t2
    report.elapsed_s = time.perf_counter() - t0
    report.html = _atomic_write(out_dir / REPORT_HTML, page)
    report.json = _atomic_write(out_dir / REPORT_JSON, json.dumps(report.to_dict(config.pairs_saved), ensure_ascii=False,
                                                                   separators=(",", ":")))
    return report


def _one(args: tuple[str, Path, Template, SimilarityConfig]) -> tuple[StudentWork, Fingerprint]:
    student, path, template, config = args
    try:
        work = read_work(student, Path(path), template, config.max_code_chars)
        return work, fingerprint(student, work.blocks, config.noise_tokens, config.window)
    except Exception as e:  # noqa: BLE001 - one student's malformed notebook never stops the class
        work = StudentWork(student, [], {}, (), [f"could not be compared ({type(e).__name__}: {str(e)[:200]})"])
        return work, fingerprint(student, [], config.noise_tokens, config.window)


def read_and_fingerprint(submissions: Mapping[str, SubmissionSource], template: Template, config: SimilarityConfig,
                         jobs: int | None = None) -> tuple[list[StudentWork], list[Fingerprint]]:
    """Each student's work and fingerprints, in student order; tokenising is most of the time
    and each student is independent, so it runs in `jobs` processes."""
    tasks = [(s, p, template, config) for s, p in sorted(submissions.items())]
    if jobs is None:
        jobs = min(os.cpu_count() or 1, len(tasks) // MIN_PER_PROCESS)
    jobs = max(1, min(jobs, len(tasks)))
    if jobs == 1:
        done = [_one(t) for t in tasks]
    else:
        with ProcessPoolExecutor(jobs) as pool:
            done = list(pool.map(_one, tasks, chunksize=max(1, len(tasks) // (4 * jobs))))
    return [w for w, _ in done], [f for _, f in done]


def compare_class(works: list[StudentWork], fps: list[Fingerprint], template: Template, config: SimilarityConfig,
                  assignment: str) -> SimilarityReport:
    n = len(works)
    k, w = config.noise_tokens, config.window
    t0 = time.perf_counter()
    given = boilerplate_hashes(template.boilerplate_code, k, w)
    ignore = given | common_hashes(fps, config.max_df(n))
    given_shares = []
    for fp in fps:
        unique = fp.unique
        given_shares.append(len(unique & given) / len(unique) if unique else 0.0)
        discount(fp, ignore)

    candidates = shared_counts([fp.hashes for fp in fps], config.min_shared)
    code = {}
    for (i, j) in candidates:
        m = compare(fps[i], fps[j])
        if m.chars >= config.min_match_chars:
            code[(i, j)] = m
    t1 = time.perf_counter()
    answers = compare_answers([s.answers for s in works], template.prompts, template.key_answers,
                              config.answer_shingle, config.min_answer_shingles, config.max_df(n))
    t2 = time.perf_counter()
    pairs = []
    for (i, j) in sorted(set(code) | set(answers)):
        m, a = code.get((i, j), NO_CODE), tuple(answers.get((i, j), ()))
        code_score = max(m.a_in_b, m.b_in_a) * min(1.0, m.chars / config.full_match_chars)
        score = max(code_score, max((x.jaccard for x in a), default=0.0))
        if score > 0:
            pairs.append(PairResult(works[i].student, works[j].student, score, code_score, m, a))
    pairs.sort(key=lambda p: (-p.score, -p.code.chars, p.a, p.b))

    students = [StudentSummary(s.student, s.notebooks, len(s.code), int(fp.token_coverage), round(g, 4),
                               len(s.answers), tuple(s.notes)) for s, fp, g in zip(works, fps, given_shares)]
    total = n * (n - 1) // 2
    return SimilarityReport(
        assignment=assignment, students=students, pairs=pairs,
        clusters=clusters(pairs, config.cluster_threshold), histogram=histogram(pairs, total),
        pairs_total=total, pairs_compared=len(set(candidates) | set(answers)),
        threshold=config.cluster_threshold, settings=asdict(config),
        timings={"code pairs": t1 - t0, "answer pairs": t2 - t1, "rank": time.perf_counter() - t2})


def histogram(pairs: list[PairResult], total: int, bins: int = HISTOGRAM_BINS) -> list[int]:
    counts = [0] * bins
    for p in pairs:
        counts[min(int(p.score * bins), bins - 1)] += 1
    counts[0] += total - len(pairs)  # pairs sharing nothing score 0
    return counts


def clusters(pairs: list[PairResult], threshold: float) -> list[Cluster]:
    """Connected components of three or more students, joined by pairs scoring >= threshold."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    strong = [p for p in pairs if p.score >= threshold]
    for p in strong:
        parent[root(p.a)] = root(p.b)
    groups: dict[str, list[str]] = {}
    for x in list(parent):
        groups.setdefault(root(x), []).append(x)
    out = []
    for members in groups.values():
        if len(members) >= 3:
            inside = [p for p in strong if p.a in members]
            out.append(Cluster(tuple(sorted(members)), len(inside), max(p.score for p in inside)))
    return sorted(out, key=lambda c: (-len(c.students), -c.max_score, c.students))


def _check_out_dir(out_dir: Path, sources) -> None:
    out = Path(out_dir).resolve()
    for src in sources:
        src = Path(src).resolve()
        folder = src if src.is_dir() else src.parent
        if out == folder or folder in out.parents:
            raise SimilarityError(f"the report folder {out_dir} is inside a submission ({src}); "
                                  "choose a staff folder outside the submissions")


def _atomic_write(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o640)  # staff material: not world-readable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

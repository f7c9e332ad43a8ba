"""The staff page: one self-contained HTML file (inline CSS and SVG, no script, no external
resource); every piece of student text goes through Jinja's autoescaping."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .config import SimilarityConfig
from .model import HISTOGRAM_BINS, PairResult, SimilarityReport
from .work import StudentWork

TEMPLATES = Path(__file__).parent / "templates"
SHARED_SHOWN = 12  # shared runs of words listed under a pair of answers


@dataclass(frozen=True)
class Line:
    number: int | None  # None: an elided stretch of unmatched lines
    segments: tuple[tuple[str, bool], ...]  # (text, part of a match)


@dataclass(frozen=True)
class Side:
    student: str
    share: float  # of their own code found in the other's
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Detail:
    rank: int
    pair: PairResult
    left: Side
    right: Side
    answers: tuple[tuple[str, float, str, str, tuple[str, ...]], ...]  # (grade_id, jaccard, A's, B's, shared runs)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


def excerpt(code: str, slices, context: int) -> tuple[Line, ...]:
    """The code's lines with the matching character ranges marked; unmatched lines further than
    `context` from a match are elided."""
    marked = [False] * len(code)
    for start, end in slices:
        for i in range(max(start, 0), min(end, len(code))):
            marked[i] = True
    lines, pos = [], 0
    for number, text in enumerate(code.split("\n"), start=1):
        segs: list[tuple[str, bool]] = []
        for i, ch in enumerate(text):
            m = marked[pos + i]
            if segs and segs[-1][1] == m:
                segs[-1] = (segs[-1][0] + ch, m)
            else:
                segs.append((ch, m))
        lines.append((number, tuple(segs)))
        pos += len(text) + 1
    hot = [i for i, (_, segs) in enumerate(lines) if any(m for _, m in segs)]
    keep = {j for i in hot for j in range(i - context, i + context + 1)}
    out: list[Line] = []
    for i, (number, segs) in enumerate(lines):
        if i in keep:
            out.append(Line(number, segs))
        elif not out or out[-1].number is not None:
            out.append(Line(None, ()))
    return tuple(out)


def details(report: SimilarityReport, works: list[StudentWork], config: SimilarityConfig) -> list[Detail]:
    by_id = {w.student: w for w in works}
    out = []
    for rank, p in enumerate(report.pairs[:config.pairs_detailed], start=1):
        a, b = by_id[p.a], by_id[p.b]
        answers = tuple((m.grade_id, m.jaccard, a.answers[m.grade_id], b.answers[m.grade_id], m.shared[:SHARED_SHOWN])
                        for m in p.answers)
        out.append(Detail(rank, p, Side(p.a, p.a_in_b, excerpt(a.code, p.code.slices_a, config.context_lines)),
                          Side(p.b, p.b_in_a, excerpt(b.code, p.code.slices_b, config.context_lines)), answers))
    return out


def bars(counts: list[int], width: float = 600, height: float = 160) -> list[Bar]:
    """Histogram bars on a log scale (the bin of unrelated pairs dwarfs the others)."""
    top = math.log10(max(counts + [1]) + 1)
    w = width / len(counts)
    out = []
    for i, c in enumerate(counts):
        h = height * math.log10(c + 1) / top if c else 0.0
        out.append(Bar(round(i * w, 2), round(height - h, 2), round(w - 2, 2), round(h, 2), c,
                       f"{i * 100 // len(counts)}–{(i + 1) * 100 // len(counts)} %"))
    return out


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["pct"] = lambda x: f"{100 * float(x):.0f} %"
    return env


def render_page(report: SimilarityReport, works: list[StudentWork], config: SimilarityConfig) -> str:
    return _environment().get_template("similarity.html.j2").render(
        r=report, shown=report.pairs[:config.pairs_shown], details=details(report, works, config),
        bars=bars(report.histogram), bins=HISTOGRAM_BINS, config=config,
        noted=[s for s in report.students if s.notes])

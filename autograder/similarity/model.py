"""The similarity report as plain data: what the HTML page shows and what the class summary
page (or any other reader) takes. Scores are fractions in [0, 1]."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from .answers import AnswerMatch
from .code import CodeMatch

HISTOGRAM_BINS = 20
REPORT_HTML = "similarity.html"  # the files a report writes to its staff folder
REPORT_JSON = "similarity.json"


@dataclass(frozen=True)
class StudentSummary:
    student: str
    notebooks: tuple[str, ...]  # the assignment's notebooks found in the submission
    own_chars: int  # characters of their own code (starter code taken out)
    compared_chars: int  # normalised characters left after discounting the key and common idioms
    given_share: float  # share of their own code's fingerprints that are the key's or the release's
    answered: int  # short answers given
    notes: tuple[str, ...] = ()  # what could not be read, and why


@dataclass(frozen=True)
class PairResult:
    a: str
    b: str
    score: float  # what pairs are ranked by: the larger of code_score and answer_score
    code_score: float  # the larger direction, scaled down for a short match (SimilarityConfig.full_match_chars)
    code: CodeMatch
    answers: tuple[AnswerMatch, ...] = ()

    @property
    def a_in_b(self) -> float:
        return self.code.a_in_b

    @property
    def b_in_a(self) -> float:
        return self.code.b_in_a

    @property
    def answer_score(self) -> float:
        return max((m.jaccard for m in self.answers), default=0.0)

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "score": round(self.score, 4),
                "code": {"score": round(self.code_score, 4), "a_in_b": round(self.a_in_b, 4), "b_in_a": round(self.b_in_a, 4), "chars": self.code.chars},
                "answers": [{"grade_id": m.grade_id, "jaccard": round(m.jaccard, 4), "a_in_b": round(m.a_in_b, 4),
                             "b_in_a": round(m.b_in_a, 4)} for m in self.answers]}


@dataclass(frozen=True)
class Cluster:
    students: tuple[str, ...]  # three or more, joined by pairs at or above the threshold
    pairs: int  # pairs inside the cluster at or above the threshold
    max_score: float


@dataclass(frozen=True)
class PairLine:
    """One ranked pair, as the class summary shows it (no code, no answers)."""
    a: str
    b: str
    score: float
    a_in_b: float
    b_in_a: float
    answers: tuple[str, ...]  # grade ids of the short answers found alike


@dataclass(frozen=True)
class SimilaritySummary:
    """What a section of the class summary page needs: built from a report, or read back from
    the similarity.json a report wrote (`SimilaritySummary.read(folder)`)."""
    assignment: str
    students: int
    pairs_total: int
    threshold: float
    flagged: int  # pairs at or above the threshold
    top: tuple[PairLine, ...]
    clusters: tuple[Cluster, ...]
    histogram: tuple[int, ...]
    note: str = "similarity, not proof"

    @classmethod
    def from_dict(cls, data: dict, n: int = 10) -> "SimilaritySummary":
        return cls(data["assignment"], len(data["students"]), data["pairs_total"], data["threshold"], data["flagged"],
                   tuple(PairLine(p["a"], p["b"], p["score"], p["code"]["a_in_b"], p["code"]["b_in_a"],
                                  tuple(m["grade_id"] for m in p["answers"])) for p in data["pairs"][:n]),
                   tuple(Cluster(tuple(c["students"]), c["pairs"], c["max_score"]) for c in data["clusters"]),
                   tuple(data["histogram"]["counts"]))

    @classmethod
    def read(cls, folder: Path, n: int = 10) -> "SimilaritySummary | None":
        """The summary of the report in `folder`, or None when there is none."""
        import json

        path = Path(folder) / REPORT_JSON
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")), n) if path.is_file() else None


@dataclass
class SimilarityReport:
    assignment: str
    students: list[StudentSummary]
    pairs: list[PairResult]  # every pair with a score above 0, best first
    clusters: list[Cluster]
    histogram: list[int]  # all n(n-1)/2 pairs by score, HISTOGRAM_BINS equal bins over [0, 1]
    pairs_total: int
    pairs_compared: int  # pairs that shared enough fingerprints or shingles to be compared in detail
    threshold: float
    settings: dict = field(default_factory=dict)
    elapsed_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    html: Path | None = None
    json: Path | None = None

    def top(self, n: int = 10) -> list[PairResult]:
        return self.pairs[:n]

    def flagged(self) -> list[PairResult]:
        return [p for p in self.pairs if p.score >= self.threshold]

    def summary(self, n: int = 10) -> SimilaritySummary:
        return SimilaritySummary.from_dict(self.to_dict(n), n)

    def to_dict(self, max_pairs: int | None = None) -> dict:
        """Plain data; `max_pairs`: only the best pairs (the histogram and counts cover all)."""
        return {"assignment": self.assignment, "note": "similarity, not proof",
                "students": [asdict(s) for s in self.students],
                "pairs_scored": len(self.pairs), "flagged": len(self.flagged()),
                "pairs": [p.to_dict() for p in self.pairs[:max_pairs]],
                "clusters": [asdict(c) for c in self.clusters],
                "histogram": {"bins": HISTOGRAM_BINS, "counts": self.histogram},
                "pairs_total": self.pairs_total, "pairs_compared": self.pairs_compared,
                "threshold": self.threshold, "settings": self.settings}

"""The similarity section of a class's summary page (staff only), from `grade-all --similarity`.

Either the class is compared now (`autograder.similarity`: every pair of students, code and short
answers, the release's starter code and the answer key discounted), into the staff folder
`DIR/similarity/` beside summary.html, or the report a TA already made with `autograder
similarity` is read from its folder. Nothing of it is ever written under `DIR/students/`, the
folders whose files go to students.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SIMILARITY_DIR = "similarity"  # inside DIR, beside summary.html


class SimilaritySectionError(Exception):
    """The report asked for cannot be made or read; the message says why and what to do."""


@dataclass(frozen=True)
class SimilaritySection:
    summary: object  # autograder.similarity.SimilaritySummary
    link: str  # the full report (similarity.html), relative to summary.html


def class_similarity(option: bool | Path, submissions: dict[str, Path], paths, out: Path,
                     notes: list[str]) -> SimilaritySection:
    """The section for the summary page: `option` True compares the class now into
    DIR/similarity/; a folder reads the report found there. Raises SimilaritySectionError."""
    from autograder.similarity import REPORT_HTML, SimilarityError, SimilaritySummary, similarity_report

    if option is True:
        folder = out / SIMILARITY_DIR
        if not paths.release.is_dir():
            raise SimilaritySectionError(f"--similarity needs the student release at {paths.release} (the starter "
                                         f"code it discounts): run `autograder release {paths.name}` first")
        try:
            report = similarity_report(submissions, paths.release, folder,
                                       key_dir=paths.solutions if paths.solutions.is_dir() else None,
                                       assignment=paths.name)
        except (SimilarityError, ValueError) as e:
            raise SimilaritySectionError(f"--similarity: {e}") from None
        notes.append(f"similarity: {len(report.students)} students, {report.pairs_total} pairs compared in "
                     f"{report.elapsed_s:.1f} s (staff only: {folder / REPORT_HTML})")
        summary = report.summary(10)
    else:
        folder = Path(option).resolve()
        summary = SimilaritySummary.read(folder)
        if summary is None:
            raise SimilaritySectionError(f"--similarity {folder}: no similarity report there (make one with "
                                         "`autograder similarity SUBMISSIONS --out FOLDER`)")
    return SimilaritySection(summary, os.path.relpath(folder / REPORT_HTML, out))


__all__ = ["SIMILARITY_DIR", "SimilaritySection", "SimilaritySectionError", "class_similarity"]

"""A class similarity report, for staff only.

    from autograder.similarity import similarity_report
    report = similarity_report({"alice": Path("submitted/alice/pytorch_basics"), ...},
                               paths.release, Path("staff/similarity"), key_dir=paths.solutions)
    report.pairs[0].a, report.pairs[0].b, report.pairs[0].a_in_b, report.clusters, report.html
    report.summary(10)                       # plain data for a section of the class summary page
    SimilaritySummary.read(staff_folder)     # the same, read back from the similarity.json written there

Compares every pair of students on the code they wrote (solution cells and added cells, the
release's starter code taken out; winnowed fingerprints by copydetect) and on their short
answers (word shingles after normalisation, English and Chinese), with the answer key and idioms
common in the class discounted. Writes one self-contained page, `similarity.html`, and its data,
`similarity.json`, to the staff folder given, and nowhere else. `python -m autograder.similarity`
runs it on a class folder (see cli.py).
"""
from .analysis import SimilarityError, SubmissionSource, compare_class, read_and_fingerprint, similarity_report
from .config import SimilarityConfig
from .model import (REPORT_HTML, REPORT_JSON, Cluster, PairLine, PairResult, SimilarityReport, SimilaritySummary,
                    StudentSummary)

__all__ = ["Cluster", "PairLine", "PairResult", "REPORT_HTML", "REPORT_JSON", "SimilarityConfig", "SimilarityError",
           "SimilarityReport", "SimilaritySummary", "StudentSummary", "SubmissionSource", "compare_class",
           "read_and_fingerprint", "similarity_report"]

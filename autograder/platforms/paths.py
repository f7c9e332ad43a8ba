"""Every path a hosted platform gives the grader, in one place.

Production runs use the root `/`; tests pass a temporary folder laid out the same way, so the
code that runs on Gradescope or PrairieLearn is the code the tests run.

Gradescope (https://gradescope-autograders.readthedocs.io/en/latest/specs/):

    /autograder/source/        the unzipped bundle (setup.sh, run_autograder, autograder/, course/)
    /autograder/submission/    the student's files
    /autograder/submission_metadata.json
    /autograder/results/results.json   written by us

PrairieLearn external grader (https://prairielearn.readthedocs.io/en/latest/externalGrading/):

    /grade/student/            the student's files
    /grade/data/data.json      the question's data object (params, submitted answers, ...)
    /grade/serverFilesCourse/  what info.json's externalGradingOptions.serverFilesCourse lists
    /grade/tests/              the question's tests/ folder
    /grade/results/results.json        written by us (the folder is not created for us)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Folder of serverFilesCourse/ (PrairieLearn) and of the Gradescope bundle that holds the course
# layout `source/<assignment>/grading/`; the bundle writes it, the runners read it.
PL_COURSE_DIR = "autograder"
BUNDLE_COURSE_DIR = "course"


@dataclass(frozen=True)
class PlatformPaths:
    platform: str  # "gradescope" or "prairielearn"
    root: Path  # "/" in production
    submission: Path  # the student's files (a folder of notebooks)
    results: Path  # folder of the results file
    results_file: Path  # what the platform reads back
    source: Path  # what the platform mounted for the grader (bundle, serverFilesCourse)
    course_candidates: tuple[Path, ...]  # folders that may hold source/<assignment>/grading/
    data_file: Path  # submission metadata (Gradescope) or the question's data.json (PrairieLearn)

    @classmethod
    def gradescope(cls, root: Path = Path("/")) -> "PlatformPaths":
        base = Path(root) / "autograder"
        return cls(platform="gradescope", root=Path(root), submission=base / "submission",
                   results=base / "results", results_file=base / "results" / "results.json",
                   source=base / "source", course_candidates=(base / "source" / BUNDLE_COURSE_DIR,),
                   data_file=base / "submission_metadata.json")

    @classmethod
    def prairielearn(cls, root: Path = Path("/")) -> "PlatformPaths":
        base = Path(root) / "grade"
        return cls(platform="prairielearn", root=Path(root), submission=base / "student",
                   results=base / "results", results_file=base / "results" / "results.json",
                   source=base / "serverFilesCourse",
                   course_candidates=(base / "serverFilesCourse" / PL_COURSE_DIR, base / "tests"),
                   data_file=base / "data" / "data.json")

    @property
    def course(self) -> Path | None:
        """The first candidate holding an assignment's grading material, or None."""
        for c in self.course_candidates:
            if any((c / "source").glob("*/grading/assignment.toml")):
                return c
        return None

    @property
    def hidden(self) -> tuple[Path, ...]:
        """Paths the sandboxed worker must not read, passed to the grader as `extra_hidden` on top
        of what it hides itself (the course root and the submission's parent folder): the results
        folder (no forged results.json), the platform's grading material and the question's data."""
        extra = (self.results, self.source, *self.course_candidates, self.data_file.parent)
        out: list[Path] = []
        for p in extra:
            if p not in out:
                out.append(p)
        return tuple(out)

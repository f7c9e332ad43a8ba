"""Which gradebook a command uses, found the same way by every command.

`grade-all` records in its results folder which gradebook it wrote (`DIR/gradebook.json`, the
URL with its password masked, and the `--db-file` it was read from). Every later command finds
that gradebook from `--results DIR`, or from an explicit `--db` / `--db-file` /
`$AUTOGRADER_DB_URL`, or from `--course COURSE` (nbgrader's `COURSE/gradebook.db`); with none of
these it refuses, rather than guess from the current folder. Nothing here creates a gradebook.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.files import atomic_write
from autograder.gradebook.url import (DEFAULT_DB_NAME, ENV_VAR, MASK, GradebookError, db_url_of, has_password, masked,
                                      sqlite_path, url_from_options)

RESULTS_RECORD = "gradebook.json"


@dataclass(frozen=True)
class GradebookLocation:
    url: str  # may hold a password: print `shown`, never `url`
    found_by: str  # "--db", "--db-file", AUTOGRADER_DB_URL, "--results", "--course", ...
    options: tuple[str, ...] = ()  # command-line options that find it again, for printed commands

    @property
    def shown(self) -> str:
        return masked(self.url)

    @classmethod
    def of(cls, db: str | Path, found_by: str = "--db") -> "GradebookLocation":
        """A gradebook given directly (a URL or a SQLite path). A URL with a password gets no
        options: printed commands must not carry it."""
        url = db_url_of(db)
        path = sqlite_path(url)
        options = () if has_password(url) else ("--db", str(path) if path is not None else url)
        return cls(url, found_by, options)


def record_location(results_dir: Path, location: GradebookLocation) -> Path:
    """Write `DIR/gradebook.json`: which gradebook grade-all wrote for this results folder (its
    URL masked, and the options that found it, so that a `--db-file` is read again)."""
    record = {"url": location.shown, "found_by": location.found_by, "options": list(location.options)}
    return atomic_write(Path(results_dir) / RESULTS_RECORD, json.dumps(record, indent=1) + "\n")


def _from_results(results: Path) -> GradebookLocation:
    results = Path(results).resolve()
    options = ("--results", str(results))
    if not results.is_dir():
        raise GradebookError(f"--results {results} is not a folder; give the folder grade-all wrote (its --out)")
    record_file = results / RESULTS_RECORD
    if record_file.is_file():
        try:
            record = json.loads(record_file.read_text(encoding="utf-8"))
            url = str(record["url"])
        except (OSError, ValueError, KeyError, TypeError):
            raise GradebookError(f"{record_file} is damaged; run grade-all on the class again to rewrite it") from None
        recorded = list(record.get("options") or [])
        if recorded[:1] == ["--db-file"] and len(recorded) == 2:  # the password lives in that file
            return GradebookLocation(url_from_options(db_file=Path(recorded[1]), environ={})[0], "--results", options)
        if MASK in url:  # its password came from the environment
            raise GradebookError(f"the gradebook of {results} is {url}: give its password the way grade-all got "
                                 f"it (${ENV_VAR}=URL, or --db-file PATH)")
        return GradebookLocation(url, "--results", options)
    beside = results / DEFAULT_DB_NAME
    if beside.is_file():
        return GradebookLocation(db_url_of(beside), "--results", options)
    raise GradebookError(f"{results} holds no gradebook record ({RESULTS_RECORD}): is it the folder grade-all "
                         "wrote? Give that folder, or the gradebook itself (--db PATH)")


def explicit(*, db: str | None = None, db_file: Path | None = None,
             environ: dict[str, str] | None = None) -> GradebookLocation | None:
    """The gradebook the user named (`--db`, `--db-file`, `$AUTOGRADER_DB_URL`), or None.
    Raises GradebookError for a password on the command line or an unreadable file."""
    given = url_from_options(db, db_file, os.environ if environ is None else environ)
    if given is None:
        return None
    url, how = given
    if how == "--db":
        return GradebookLocation.of(url)
    options = ("--db-file", str(Path(db_file).resolve())) if how == "--db-file" and db_file else ()
    return GradebookLocation(url, how, options)


def locate(*, db: str | None = None, db_file: Path | None = None, results: Path | None = None,
           course: Path | None = None, environ: dict[str, str] | None = None) -> GradebookLocation:
    """The gradebook an existing-gradebook command (review, exports) works on. Raises
    GradebookError with what to give when none is found."""
    given = explicit(db=db, db_file=db_file, environ=environ)
    if given is not None:
        return given
    if results is not None:
        return _from_results(results)
    if course is not None:
        course = Path(course).resolve()
        path = course / DEFAULT_DB_NAME
        if path.is_file():
            return GradebookLocation(db_url_of(path), "--course", ("--course", str(course)))
        raise GradebookError(f"no gradebook in the course folder {course} ({DEFAULT_DB_NAME}); give the folder "
                             "grade-all wrote (--results DIR)")
    raise GradebookError("which gradebook? give --results DIR (the folder grade-all wrote), or --course COURSE "
                         f"(its {DEFAULT_DB_NAME}), --db PATH, --db-file PATH, or set ${ENV_VAR}")


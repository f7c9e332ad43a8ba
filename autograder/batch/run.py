"""`autograder grade-all`: grade a whole class in parallel, resumably.

    grade_all(Path("submitted"), assignment_paths("pytorch_basics"), jobs=4)

1. find the submissions (`discover`: nbgrader `submitted/` tree, flat folder, LMS zip);
2. skip every student whose committed record (`DIR/students/<student>/batch.json`) has the fingerprint
   of this run (notebook bytes + grader version, grading material and settings), unless
   `force`; `student` limits the run to one;
3. grade the rest in a pool of warm worker processes (`jobs`, default one per core), each
   grading one submission at a time through `grade_submission` and committing that student's
   results atomically; a crashed or overrunning grading process gets an ungradable record with
   the reason, and the batch goes on;
4. rebuild the class outputs from all records: the nbgrader gradebook, `DIR/grades.csv` (every
   check), `DIR/grades_import.csv` (one column per grade cell, for an LMS or spreadsheet),
   `DIR/students/<student>/feedback.html` and `DIR/summary.html` (TA-only); and copy the submitted
   notebooks to `autograded/<student>/<assignment>/` beside the gradebook, where nbgrader's
   formgrader looks for them.

Killed at any moment, a rerun finishes the class: committed students are skipped, the others
graded, and the outputs rebuilt from scratch; nothing is lost or counted twice.
"""
from __future__ import annotations

import fcntl
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from autograder.assignment import ConfigError, load_assignment
from autograder.batch.deadlines import ExtensionsError, class_deadlines
from autograder.batch.discover import Discovery, SubmissionsError, discover
from autograder.batch.similarity import SimilaritySectionError, class_similarity
from autograder.batch.outputs import ClassOutputs, RosterError, build_class_outputs, read_roster
from autograder.batch.pool import Job, Outcome, PoolBroken, WorkerPool
from autograder.batch.progress import Progress
from autograder.batch.records import (GRADED, UNGRADABLE, StudentRecord, commit, fingerprint, grader_hash,
                                      read_record, student_dir, submission_hash, ungradable_result)
from autograder.course import AssignmentPaths
from autograder.files import OutputError, is_regular, prepare_output_dir, regular_files, regular_size
from autograder.gradebook import (DEFAULT_DB_NAME, GradebookError, GradebookLocation, check_reachable, formgrader_root,
                                  hide_secret, locate, masked, record_location, sqlite_path,
                                  write_formgrader_copies)
from autograder.gradebook.location import RESULTS_RECORD

STATE_DIR = ".batch"  # inside DIR: lock, worker logs, extracted zips


class BatchError(Exception):
    """The batch cannot start (bad SUBMISSIONS, unknown student, another run holds DIR)."""


@dataclass
class BatchReport:
    out_dir: Path
    db_url: str  # may hold a password: print masked(db_url)
    layout: str
    students: list[str]  # every submission found
    graded: list[str] = field(default_factory=list)  # graded by this run
    skipped: list[str] = field(default_factory=list)  # already graded, unchanged
    crashed: list[str] = field(default_factory=list)  # grading process died or overran (this run)
    ungradable: list[str] = field(default_factory=list)  # whole class, records with status ungradable
    grader_errors: list[str] = field(default_factory=list)  # whole class, students with grader errors
    missing: list[str] = field(default_factory=list)  # roster/gradebook students without a submission
    review: int = 0  # answers waiting for a TA
    outputs: ClassOutputs | None = None
    elapsed_s: float = 0.0
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 the class is graded; 3 the grader failed somewhere (a TA must look); 130 interrupted."""
        if self.interrupted:
            return 130
        return 3 if self.grader_errors else 0

    def describe(self) -> str:
        lines = [f"{len(self.students)} submissions ({self.layout} layout): {len(self.graded)} graded now, "
                 f"{len(self.skipped)} unchanged since the last run; {len(self.ungradable)} ungradable, "
                 f"{len(self.missing)} missing, {self.review} short answers to review "
                 f"({self.elapsed_s:.0f} s)"]
        if self.crashed:
            lines.append(f"grading processes that crashed or overran: {', '.join(self.crashed)}")
        if self.grader_errors:
            lines.append(f"grader errors (see the summary page): {', '.join(self.grader_errors)}")
        if self.outputs:
            lines += [f"  grades:    {self.outputs.csv}",
                      f"  summary:   {self.outputs.summary} (TAs only)",
                      f"  import:    {self.outputs.compact_csv} (one column per grade cell)",
                      f"  feedback:  {self.out_dir}/students/<student>/feedback.html",
                      f"  gradebook: {masked(self.db_url)}"]
        return "\n".join(lines)


def default_out_dir(submissions: Path) -> Path:
    submissions = submissions.resolve()
    name = submissions.stem if submissions.is_file() else submissions.name
    return submissions.parent / f"{name}-results"


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _settings_hash_input(device: str, grader: str | None, config) -> dict:
    from dataclasses import asdict

    return {"device": device, "grader": grader or "", "limits": asdict(config.settings.limits)}


def _batch_timeout(config) -> float:
    return float(config.settings.limits.submission_timeout_s) * max(1, len(config.notebooks)) + 300.0


class _Lock:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.f = path.open("a+")
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.f.close()
            raise BatchError(f"another grade-all is running on {path.parent.parent}; wait for it or stop it") from None

    def release(self) -> None:
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def grade_all(submissions: Path, paths: AssignmentPaths, *, out: Path | None = None,
              db: str | GradebookLocation | None = None,
              jobs: int | None = None, student: str | None = None, force: bool = False, device: str = "cpu",
              roster: Path | None = None, grader: str | None = None, timeout_s: float | None = None,
              progress: bool = True, stream: TextIO | None = None, hidden: tuple[Path, ...] = (),
              extensions: Path | None = None, similarity: bool | Path = False) -> BatchReport:
    """Grade every submission under `submissions` into `out` (see the module docstring).

    `device` is already resolved ("cpu" or "cuda"). `db` is a SQLAlchemy URL or a SQLite path
    (or a GradebookLocation, which says how the CLI found it); by default the nbgrader course's `gradebook.db` when `submissions` is (in) an nbgrader
    course's `submitted/` folder (so formgrader shows the scores), else `DIR/gradebook.db`.
    `grader` ("module:function") replaces the grading function (tests, benchmarks). `hidden`
    adds paths the submissions' workers must not see (the results folder, SUBMISSIONS, the
    gradebook and the roster are always hidden, the course by grade_submission). `extensions`: a
    CSV of per-student extensions besides the assignment's own ([deadline]). `similarity`: True
    to compare the class (`DIR/similarity/`), or a folder holding a report a TA already made;
    either becomes a section of the staff-only summary page.
    Raises BatchError for usage errors; otherwise always finishes the class."""
    started = time.monotonic()
    stream = stream or sys.stderr
    config = load_assignment(paths)
    try:  # every output location is checked before anything is graded
        out = prepare_output_dir(out or default_out_dir(submissions))
    except OutputError as e:
        raise BatchError(str(e)) from None
    state = out / STATE_DIR
    lock = _Lock(state / "lock")
    try:
        return _grade_all(submissions, paths, config, out, state, db, jobs, student, force, device, roster,
                          grader, timeout_s, progress, stream, started, hidden, extensions, similarity)
    finally:
        lock.release()


def _grade_all(submissions, paths, config, out, state, db, jobs, student, force, device, roster, grader,
               timeout_s, progress, stream, started, extra_hidden=(), extensions=None, similarity=False) -> BatchReport:
    try:
        found: Discovery = discover(submissions, config.name, state / "extracted", exclude=out)
    except (SubmissionsError, OSError) as e:
        raise BatchError(str(e)) from None
    if db is None and (out / RESULTS_RECORD).is_file():  # a rerun writes the gradebook the first run wrote
        try:
            where = locate(results=out)
        except GradebookError as e:
            raise BatchError(str(e)) from None
    elif db is None:
        where = GradebookLocation.of((found.course_root or out) / DEFAULT_DB_NAME, "default")
    else:
        where = db if isinstance(db, GradebookLocation) else GradebookLocation.of(db)
    url = where.url
    try:
        check_reachable(url)
        roster_ids = read_roster(roster) if roster else []
        deadlines = class_deadlines(config, extensions, url)
        # a report a TA made already is read before anything is graded; one made now, after
        staff = class_similarity(Path(similarity), {}, paths, out, []) if isinstance(similarity, (str, Path)) else None
    except (GradebookError, RosterError, ConfigError, ExtensionsError, SimilaritySectionError) as e:
        raise BatchError(str(e)) from None
    if where.found_by != "--results":  # (a rerun that found it there keeps the record as the first run wrote it)
        record_location(out, where)  # so that `review --results DIR` finds this gradebook
    notes = list(found.notes or [])
    report = BatchReport(out, url, found.layout, [s.student for s in found.submissions], notes=notes)
    if not found.submissions and not roster_ids:
        raise BatchError(f"no submissions found in {submissions} (expected nbgrader's submitted/<student>/"
                         f"{config.name}/, <student>.ipynb files, <student>/ folders, or a zip of these)")
    todo = found.submissions
    if student is not None:
        todo = [s for s in found.submissions if student in (s.student, s.name)]
        if not todo:
            known = ", ".join(s.student for s in found.submissions[:20])
            raise BatchError(f"no submission of student {student!r} in {submissions}; found: {known or 'none'}")

    settings = _settings_hash_input(device, grader, config)
    g_hash = grader_hash(paths.grading, settings)
    jobs_list: list[Job] = []
    now = datetime.now(timezone.utc)
    for i, sub in enumerate(todo):
        # before and after the student's own deadline a grading writes other feedback: crossing it regrades
        fp = fingerprint(submission_hash(sub.path) + deadlines.phase(sub, now), g_hash)
        rec = read_record(student_dir(out, sub.student))
        if rec is not None and rec.fingerprint == fp and not force:
            report.skipped.append(sub.student)
            continue
        jobs_list.append(Job(i, sub.student, sub.path, sub.source, fp))

    # Largest first (longest-processing-time order): a big notebook set tends to take longest,
    # and starting it early keeps every worker busy until the end.
    jobs_list.sort(key=lambda j: (-_size(j.submission), j.student))
    n_jobs = max(1, min(jobs or default_jobs(), len(jobs_list) or 1))
    bar = Progress(len(jobs_list), n_jobs, stream, enabled=progress)
    if progress:
        skipped = f", {len(report.skipped)} unchanged since the last run" if report.skipped else ""
        bar.message(f"grade-all: {len(found.submissions)} submissions in {submissions}{skipped}; "
                    f"grading {len(jobs_list)} with {n_jobs} worker(s) on {device}")
    if jobs_list:
        hidden = {out, Path(submissions).resolve(), found.root.resolve(), *(Path(h).resolve() for h in extra_hidden)}
        if sqlite_path(url) is not None:
            hidden.add(sqlite_path(url))
        hidden.add(formgrader_root(url, out) / "autograded")  # every student's notebooks
        if found.course_root is not None:  # an nbgrader course: its source, release, gradebook
            hidden.add(found.course_root.resolve())
        if roster is not None:
            hidden.add(Path(roster).resolve())
        worker_settings = {
            "course_root": str(paths.course_root), "assignment": config.name, "device": device,
            "out_dir": str(out), "hidden": sorted(str(h) for h in hidden), "grader": grader,
            "threads": 1 if n_jobs > 1 else None,
            "preload": ["autograder.grading", "torch"] if grader is None else [],
            "due": {s.student: d.isoformat() for s in todo if (d := deadlines.due_of(s)[0]) is not None},
        }
        env = dict(os.environ)
        if n_jobs > 1:  # one core per grading worker
            env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        pool = WorkerPool(n_jobs, worker_settings, state / "logs", timeout_s or _batch_timeout(config), env=env)

        def on_start(job: Job) -> None:
            bar.start(job.student)

        def on_done(o: Outcome) -> None:
            if o.reply is None:
                _record_crash(out, config, o, device)
                report.crashed.append(o.job.student)
                bar.finish(o.job.student, f"{o.job.student}: not graded, {o.crash}", ungradable=True)
                return
            r = o.reply
            report.graded.append(o.job.student)
            if r["status"] == GRADED:
                extra = f", {r['grader_errors']} grader error(s)" if r.get("grader_errors") else ""
                bar.finish(o.job.student, f"{o.job.student}: {round(r['score'], 2):g}/{r['max_score']:g} "
                                          f"({r['wall_s']:.1f} s{extra})")
            else:
                bar.finish(o.job.student, f"{o.job.student}: ungradable ({r['wall_s']:.1f} s)", ungradable=True)

        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            pool.run(jobs_list, on_start, on_done)
        except KeyboardInterrupt:
            report.interrupted = True
        except PoolBroken as e:
            bar.close()
            raise BatchError(str(e)) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
            pool.close()
            bar.close()
    if report.interrupted:
        report.elapsed_s = time.monotonic() - started
        stream.write("grade-all: interrupted; finished students are saved. Run the same command again "
                     "to grade the rest and build the class outputs.\n")
        return report

    records = {s.student: rec for s in found.submissions
               if (rec := read_record(student_dir(out, s.student))) is not None}
    if similarity is True:  # staff only: a section of summary.html, the report in DIR/similarity/
        try:
            staff = class_similarity(True, {s.student: s.path for s in found.submissions}, paths, out, notes)
        except SimilaritySectionError as e:  # the grades are not held back for it
            notes.append(f"no similarity section: {e}")
    try:
        outputs = build_class_outputs(out, config, found.submissions, records, where, roster_ids, notes,
                                      deadlines=deadlines, similarity=staff)
        _formgrader_copies(found, records, config, formgrader_root(url, found.course_root or out))
    except Exception as e:  # an unreachable --db, a full disk: the graded records stay
        raise BatchError(f"every submission is graded (records in {out}/students/), but writing the class "
                         f"outputs failed: {type(e).__name__}: {hide_secret(str(e), url)}. Fix that and run the "
                         "same command again: nothing will be regraded") from e
    report.outputs = outputs
    report.missing = outputs.missing
    report.review = outputs.review
    report.ungradable = sorted(s for s, r in records.items() if r.status == UNGRADABLE)
    report.grader_errors = sorted(s for s, r in records.items() if r.result.grader_errors)
    report.elapsed_s = time.monotonic() - started
    return report


def _formgrader_copies(found: Discovery, records: dict[str, StudentRecord], config, root: Path) -> None:
    """The submitted notebooks where nbgrader's formgrader looks for them (autograded/)."""
    from autograder.notebooks import recognise

    for sub in found.submissions:
        rec = records.get(sub.student)
        if rec is None or rec.status != GRADED:
            continue
        try:
            files = {stem: nb.path for stem, nb in recognise(sub.path, config).found.items()}
            write_formgrader_copies(root, config.name, sub.student, files)
        except OSError:
            continue


def _size(path: Path) -> int:
    """Bytes of a submission's notebooks: regular files only, no link followed (files.py)."""
    if is_regular(path):
        return regular_size(path)
    if path.is_dir() and not path.is_symlink():
        return sum(regular_size(p) for p in regular_files(path, ".ipynb"))
    return 0


def _raise_interrupt(signum, frame):  # SIGTERM behaves like Ctrl-C: stop, keep what is committed
    raise KeyboardInterrupt


def _record_crash(out: Path, config, o: Outcome, device: str) -> None:
    reason = ("the grader could not finish grading this submission (its grading process stopped); "
              "your TA has been told")
    detail = f"{o.crash} while grading {o.job.source or o.job.submission}"
    if o.log_tail:
        detail += f"\nlast lines of the grading process's log:\n{o.log_tail}"
    result = ungradable_result(config, o.job.student, reason, device, grader_errors=[detail])
    commit(student_dir(out, o.job.student), StudentRecord(student=o.job.student, status=UNGRADABLE, result=result,
                                              fingerprint=o.job.fingerprint, source=o.job.source,
                                              reason=f"{reason} ({o.crash})", extra={"crash": o.crash}))

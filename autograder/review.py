"""TA review of flagged answers and durable score overrides.

A TA lists the answers the grader flagged (`review_queue` / `cmd_review_list`), reads each one and
sets its score with a comment (`set_override` / `cmd_review_set`). The override is stored in the
nbgrader gradebook as the *manual score* and *manual comment* of that grade cell for that student
(SQLite file by default, any SQLAlchemy URL), exactly where nbgrader's own formgrader keeps a
person's score. `apply_overrides` lays the stored overrides over a fresh automatic result, so an
override wins in every later regrade and report until it is cleared (`clear_override`), which
brings the automatic score back.

The CLI (`autograder review list|set|clear`) calls `cmd_review_list`, `cmd_review_set` and
`cmd_review_clear`; each takes plain arguments and returns the text to print, and raises
`ReviewError` with a message for the user when something is wrong.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import shlex
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from .results import CheckResult, Status, SubmissionResult
from .gradebook import db_url_of, open_gradebook, solution_cell_for, sqlite_path

TA_NOTE = "Score set by a TA"


class ReviewError(ValueError):
    """A review command could not be carried out; the message says why, for the user."""


@dataclass(frozen=True)
class Override:
    grade_id: str
    notebook: str
    score: float
    comment: str | None = None
    max_score: float | None = None


@dataclass(frozen=True)
class QueueEntry:
    assignment: str
    student: str | None
    grade_id: str
    notebook: str
    question: str  # the check's name, e.g. "q3_vanishing_gradient: what is ...?"
    points: float
    max_points: float
    confidence: float | None
    reasons: tuple[str, ...]  # why it was flagged, in plain words
    covered: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    answer: str = ""
    db_url: str | None = None  # the gradebook the queue was read with

    @property
    def command(self) -> str:
        return settle_command(self.assignment, self.student or "STUDENT", self.grade_id, self.points, self.db_url)

    def render(self, number: int | None = None) -> str:
        head = f"[{number}] " if number is not None else ""
        conf = f", confidence {self.confidence:.2f}" if self.confidence is not None else ""
        lines = [
            f"{head}{self.student or '(unknown student)'} - {self.question}",
            f"    automatic score {self.points:g}/{self.max_points:g}{conf}",
            "    flagged because: " + ("; ".join(self.reasons) if self.reasons else "flagged by the grader"),
        ]
        if self.covered:
            lines.append("    covered: " + "; ".join(self.covered))
        if self.missing:
            lines.append("    missing: " + "; ".join(self.missing))
        if self.answer:
            ans = " ".join(self.answer.split())
            if len(ans) > 600:
                ans = ans[:599] + "…"
            lines.append(f"    answer: {ans}")
        lines.append(f"    settle it: {self.command}")
        return "\n".join(lines)


def settle_command(assignment: str, student: str, grade_id: str, score: float | str,
                   db_url: str | None = None) -> str:
    """The one command that settles a flagged answer; it names the gradebook when one is known,
    so that the TA's score lands where the next grade-all reads it."""
    score_s = f"{score:g}" if isinstance(score, (int, float)) else str(score)
    db = f" --db {shlex.quote(db_url)}" if db_url else ""
    return (
        f"autograder review set {shlex.quote(assignment)} {shlex.quote(student)} "
        f"{shlex.quote(grade_id)} {score_s} --comment \"...\"{db}"
    )


# ---------------------------------------------------------------------------------------------
# gradebook


def default_db_url(course_root: str | Path) -> str:
    """nbgrader's default: gradebook.db in the course folder."""
    return db_url_of(Path(course_root) / "gradebook.db")


def _sqlite_missing(url: str) -> bool:
    path = sqlite_path(url)
    return path is not None and not path.exists()


@contextlib.contextmanager
def _gradebook(db: str | Path) -> Iterator[Any]:
    url = db_url_of(db)
    try:
        gb = open_gradebook(url)
    except Exception as e:  # bad URL, unreachable server, not a database
        raise ReviewError(f"cannot open the gradebook {url}: {e}") from None
    try:
        yield gb
    finally:
        gb.close()


def _notebook_of(gb: Any, assignment: str, grade_id: str, notebook: str | None) -> str:
    if notebook:
        return notebook
    from nbgrader.api import Assignment, GradeCell, Notebook

    rows = (
        gb.db.query(Notebook.name)
        .join(GradeCell, GradeCell.notebook_id == Notebook.id)
        .join(Assignment, Assignment.id == Notebook.assignment_id)
        .filter(GradeCell.name == grade_id, Assignment.name == assignment)
        .all()
    )
    names = sorted({r[0] for r in rows})
    if len(names) == 1:
        return names[0]
    if len(names) > 1:
        raise ReviewError(f"{grade_id} is in several notebooks of {assignment} ({', '.join(names)}); name the notebook")
    found = _notebook_from_config(assignment, grade_id)
    if found:
        return found
    raise ReviewError(
        f"no grade cell {grade_id!r} is known for assignment {assignment!r} (not in the gradebook, "
        "not in its assignment.toml); check the grade id or name the notebook"
    )


def _course_paths(assignment: str) -> Any:
    try:
        from .course import assignment_paths

        return assignment_paths(assignment)
    except Exception:
        return None


def _config(assignment: str) -> Any:
    """The assignment's grading config from the course, or None outside a course folder."""
    from .assignment import ConfigError, load_assignment

    paths = _course_paths(assignment)
    if paths is None or not paths.config_file.exists():
        return None
    try:
        return load_assignment(paths.config_file)
    except ConfigError:
        return None


def _solution_name(assignment: str, grade_id: str) -> str:
    """The solution cell a grade cell's comment lives on, named as gradebook.py names it (a
    short answer is its own solution cell; outside a course, assume it is one)."""
    config = _config(assignment)
    answers = [g for nb in config.notebooks for g in nb.answer_cells] if config else [grade_id]
    return solution_cell_for(grade_id, answers)


def _cell_points_from_config(assignment: str, grade_id: str) -> float | None:
    config = _config(assignment)
    for nb in (config.notebooks if config else ()):
        if grade_id in nb.cell_points:
            return nb.cell_points[grade_id]
    return None


def _notebook_from_config(assignment: str, grade_id: str) -> str | None:
    config = _config(assignment)
    for nb in (config.notebooks if config else ()):
        if grade_id in nb.cell_points:
            return nb.stem
    return None


def _ensure_grade(gb: Any, assignment: str, student: str, grade_id: str, notebook: str, max_score: float | None) -> tuple[Any, Any, float]:
    """The Grade and Comment rows of (assignment, notebook, grade_id, student), creating every
    missing row on the way with nbgrader's API. Returns (grade, comment, max_score)."""
    from nbgrader.api import Comment, Grade, MissingEntry, SubmittedNotebook

    gb.update_or_create_assignment(assignment)
    try:
        gb.find_notebook(notebook, assignment)
    except MissingEntry:
        gb.add_notebook(notebook, assignment)
    try:
        cell = gb.find_grade_cell(grade_id, notebook, assignment)
    except MissingEntry:
        if max_score is None:
            max_score = _cell_points_from_config(assignment, grade_id)
        if max_score is None:
            raise ReviewError(
                f"{assignment}/{notebook}/{grade_id} is not in the gradebook and its points are unknown; "
                "grade the assignment first or give the maximum score"
            ) from None
        cell = gb.add_grade_cell(grade_id, notebook, assignment, max_score=max_score, cell_type="markdown")
    sol_name = _solution_name(assignment, grade_id)
    try:
        sol = gb.find_solution_cell(sol_name, notebook, assignment)
    except MissingEntry:
        sol = gb.add_solution_cell(sol_name, notebook, assignment)
    try:
        gb.find_student(student)
    except MissingEntry:
        gb.add_student(student)
    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        with warnings.catch_warnings():  # nbgrader's add_submission trips SQLAlchemy 2 autoflush warnings
            warnings.simplefilter("ignore")
            sub = gb.add_submission(assignment, student)
    try:
        snb = gb.find_submission_notebook(notebook, assignment, student)
    except MissingEntry:
        snb = SubmittedNotebook(notebook=gb.find_notebook(notebook, assignment), assignment=sub)
        gb.db.add(snb)
        gb.db.commit()
    try:
        grade = gb.find_grade(grade_id, notebook, assignment, student)
    except MissingEntry:
        grade = Grade(cell_id=cell.id, notebook=snb)
        gb.db.add(grade)
        gb.db.commit()
    try:
        comment = gb.find_comment(sol_name, notebook, assignment, student)
    except MissingEntry:
        comment = Comment(cell_id=sol.id, notebook=snb)
        gb.db.add(comment)
        gb.db.commit()
    return grade, comment, float(cell.max_score)


def set_override(
    db_url: str | Path, assignment: str, student: str, grade_id: str, score: float, comment: str | None = None,
    *, notebook: str | None = None, max_score: float | None = None,
) -> Override:
    """Store a TA's score (and comment) for one answer; it replaces the automatic score until
    cleared. Missing gradebook rows (assignment, notebook, grade cell, student, submission) are
    created."""
    try:
        score = float(score)
    except (TypeError, ValueError):
        raise ReviewError(f"the score must be a number, got {score!r}") from None
    if score != score or score < 0:
        raise ReviewError(f"the score must be 0 or more, got {score:g}")
    with _gradebook(db_url) as gb:
        nb = _notebook_of(gb, assignment, grade_id, notebook)
        grade, com, mx = _ensure_grade(gb, assignment, student, grade_id, nb, max_score)
        if score > mx + 1e-9:
            raise ReviewError(f"the score {score:g} is above the {mx:g} points of {grade_id}")
        grade.manual_score = score
        grade.needs_manual_grade = False
        com.manual_comment = comment or None
        gb.db.commit()
        return Override(grade_id, nb, score, comment or None, mx)


def clear_override(
    db_url: str | Path, assignment: str, student: str, grade_id: str, *, notebook: str | None = None,
) -> bool:
    """Remove a TA's score and comment so that the automatic score counts again. Returns whether
    there was one."""
    from nbgrader.api import MissingEntry

    url = db_url_of(db_url)
    if _sqlite_missing(url):
        return False
    with _gradebook(url) as gb:
        try:
            nb = _notebook_of(gb, assignment, grade_id, notebook)
            grade = gb.find_grade(grade_id, nb, assignment, student)
        except (MissingEntry, ReviewError):
            return False
        had = grade.manual_score is not None
        grade.manual_score = None
        grade.needs_manual_grade = grade.auto_score is None
        try:
            com = gb.find_comment(_solution_name(assignment, grade_id), nb, assignment, student)
            had = had or com.manual_comment is not None
            com.manual_comment = None
        except MissingEntry:
            pass
        gb.db.commit()
        return had


def get_overrides(db_url: str | Path, assignment: str, student: str) -> dict[str, Override]:
    """Every TA score stored for one student's submission of an assignment, by grade id."""
    from nbgrader.api import MissingEntry

    url = db_url_of(db_url)
    if _sqlite_missing(url):
        return {}
    out: dict[str, Override] = {}
    with _gradebook(url) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        for snb in sub.notebooks:
            comments = {c.name: c.manual_comment for c in snb.comments}
            for g in snb.grades:
                if g.manual_score is None:
                    continue
                out[g.name] = Override(
                    grade_id=g.name,
                    notebook=snb.name,
                    score=float(g.manual_score),
                    comment=comments.get(_solution_name(assignment, g.name)),
                    max_score=float(g.max_score) if g.max_score is not None else None,
                )
    return out


# ---------------------------------------------------------------------------------------------
# applying overrides to results


def _overridden(check: CheckResult, ov: Override, share: float) -> CheckResult:
    pts = round(min(check.max_points, max(0.0, ov.score * share)), 4)
    mx = ov.max_score if ov.max_score is not None else check.max_points
    msg = f"{TA_NOTE}: {ov.score:g}/{mx:g} points. / 助教评分：{ov.score:g}/{mx:g} 分。"
    if ov.comment:
        msg += f"\nTA's comment / 助教评语: {ov.comment}"
    if check.message:
        msg += "\n\nAutomatic feedback (before review) / 自动反馈（复核前）:\n" + check.message
    details = dict(check.details)
    details["override"] = {"score": ov.score, "comment": ov.comment, "automatic_points": check.points}
    return dataclasses.replace(
        check,
        points=pts,
        status=Status.PASSED if pts >= check.max_points - 1e-9 else Status.FAILED,
        message=msg,
        flagged=False,
        details=details,
    )


def apply_overrides(result: SubmissionResult, overrides: Mapping[str, Override]) -> SubmissionResult:
    """A copy of `result` whose checks of overridden grade cells carry the TA's score (split over
    the checks of that grade cell in proportion to their max points), a message saying that a TA
    set it with the comment, and flagged = False. The input is not changed."""
    if not overrides:
        return dataclasses.replace(result, checks=list(result.checks))
    by_gid = result.by_grade_id()
    new_checks: list[CheckResult] = []
    for c in result.checks:
        ov = overrides.get(c.grade_id)
        if ov is None:
            new_checks.append(c)
            continue
        total = sum(x.max_points for x in by_gid[c.grade_id]) or 1.0
        new_checks.append(_overridden(c, ov, c.max_points / total))
    return dataclasses.replace(result, checks=new_checks)


# ---------------------------------------------------------------------------------------------
# the queue


def _labels(items: Iterable[Any]) -> tuple[str, ...]:
    out = []
    for it in items or ():
        if isinstance(it, Mapping):
            out.append(str(it.get("en") or it.get("id")))
        else:
            out.append(str(it))
    return tuple(out)


def review_queue(results: Iterable[SubmissionResult]) -> list[QueueEntry]:
    """The flagged checks of these results, one entry each, sorted question by question (so that a
    TA grades one question across the class consistently), then by student."""
    entries = []
    for r in results:
        for c in r.checks:
            if not c.flagged:
                continue
            d = c.details or {}
            reasons = tuple(d.get("flag_reasons") or ())
            if not reasons:
                reasons = ("the grader could not judge this check",) if c.status == Status.ERROR else ("flagged by the grader",)
            entries.append(QueueEntry(
                assignment=r.assignment,
                student=r.student,
                grade_id=c.grade_id,
                notebook=c.notebook,
                question=c.name,
                points=c.points,
                max_points=c.max_points,
                confidence=d.get("confidence"),
                reasons=reasons,
                covered=_labels(d.get("concepts_matched")),
                missing=_labels(d.get("concepts_missed")),
                answer=str(d.get("answer_excerpt") or ""),
            ))
    entries.sort(key=lambda e: (e.assignment, e.grade_id, e.student or ""))
    return entries


def render_queue(entries: list[QueueEntry], assignment: str | None = None) -> str:
    what = f" of {assignment}" if assignment else ""
    if not entries:
        return f"No answers{what} are waiting for review."
    head = f"{len(entries)} answer(s){what} waiting for review. Settle each with the command shown " \
           "(change the score if you disagree, and say why in the comment):"
    return head + "\n\n" + "\n\n".join(e.render(i) for i, e in enumerate(entries, 1))


def load_results(source: str | Path | Iterable[Any]) -> list[SubmissionResult]:
    """SubmissionResults from a folder (every *.json below it that is a SubmissionResult), a file,
    or an iterable of SubmissionResult / dicts / paths."""
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.exists():
            raise ReviewError(f"no results at {p}")
        files = sorted(p.rglob("*.json")) if p.is_dir() else [p]
        out = []
        for f in files:
            try:
                d = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(d, dict) and "assignment" in d and "checks" in d:
                try:
                    out.append(SubmissionResult.from_dict(d))
                except (KeyError, TypeError, ValueError):
                    continue
        return out
    out = []
    for item in source:
        if isinstance(item, SubmissionResult):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(SubmissionResult.from_dict(dict(item)))
        else:
            out.extend(load_results(item))
    return out


# ---------------------------------------------------------------------------------------------
# CLI commands: plain arguments in, text out


def cmd_review_list(
    assignment: str, results: str | Path | Iterable[Any], db_url: str | Path | None = None,
    *, student: str | None = None, grade_id: str | None = None,
) -> str:
    """The review queue of an assignment: flagged answers not yet settled by a TA."""
    loaded = [r for r in load_results(results) if r.assignment == assignment]
    if student:
        loaded = [r for r in loaded if r.student == student]
    if db_url is not None:
        loaded = [apply_overrides(r, get_overrides(db_url, r.assignment, r.student)) if r.student else r for r in loaded]
    entries = review_queue(loaded)
    if grade_id:
        entries = [e for e in entries if e.grade_id == grade_id]
    if db_url is not None:
        entries = [dataclasses.replace(e, db_url=db_url_of(db_url)) for e in entries]
    return render_queue(entries, assignment)


def cmd_review_set(
    db_url: str | Path, assignment: str, student: str, grade_id: str, score: float | str,
    comment: str | None = None, *, notebook: str | None = None,
) -> str:
    ov = set_override(db_url, assignment, student, grade_id, score, comment, notebook=notebook)
    said = f' with the comment "{ov.comment}"' if ov.comment else " (no comment)"
    return (
        f"{assignment} / {student} / {grade_id}: score set to {ov.score:g}/{ov.max_score:g}{said}.\n"
        f"It replaces the automatic score in every later regrade and report. To undo it:\n"
        f"    autograder review clear {shlex.quote(assignment)} {shlex.quote(student)} {shlex.quote(grade_id)}"
    )


def cmd_review_clear(
    db_url: str | Path, assignment: str, student: str, grade_id: str, *, notebook: str | None = None,
) -> str:
    had = clear_override(db_url, assignment, student, grade_id, notebook=notebook)
    if had:
        return f"{assignment} / {student} / {grade_id}: TA score cleared; the automatic score counts again."
    return f"{assignment} / {student} / {grade_id}: there was no TA score to clear."


__all__ = [
    "Override", "QueueEntry", "ReviewError", "apply_overrides", "clear_override", "cmd_review_clear",
    "cmd_review_list", "cmd_review_set", "db_url_of", "default_db_url", "get_overrides", "load_results",
    "render_queue", "review_queue", "set_override", "settle_command",
]

"""The class outputs of a batch, rebuilt from the per-student records at the end of every run:
the nbgrader gradebook, `grades.csv` (every check), `grades_import.csv` (one column per grade
cell, for a gradebook import), each student's `students/<id>/feedback.html`, and `summary.html`.
With a deadline, each student's late record (autograder.batch.deadlines) is laid over their
result after the TA's overrides: raw score, penalty and final score go apart into every output.

Nothing here accumulates: the gradebook write is an idempotent upsert of every record, and the
files are written whole (atomically), so a rerun after any interruption gives the same outputs.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from autograder.assignment import AssignmentConfig
from autograder.batch.discover import Submission
from autograder.batch.records import GRADED, STUDENTS_DIR, StudentRecord, student_dir
from autograder.files import write_if_changed
from autograder.gradebook import GradebookLocation
from autograder.results import SubmissionResult

CSV_NAME = "grades.csv"
IMPORT_CSV_NAME = "grades_import.csv"
SUMMARY_NAME = "summary.html"
FEEDBACK_NAME = "feedback.html"


class RosterError(Exception):
    """The roster cannot be read; the message says why."""


@dataclass
class ClassOutputs:
    csv: Path
    summary: Path
    feedback: dict[str, Path] = field(default_factory=dict)
    db_url: str = ""
    missing: list[str] = field(default_factory=list)
    review: int = 0
    compact_csv: Path | None = None


def read_roster(path: Path | None) -> list[str]:
    """Student ids from a roster: a CSV with a column `id`, `student_id`, `student` or
    `username` (nbgrader's and most LMS exports), or a plain list, one id a line."""
    if path is None:
        return []
    from autograder.batch.discover import safe_student_id

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise RosterError(f"--roster {path}: cannot read it ({getattr(e, 'strerror', None) or e}); give a CSV with "
                          "an id column, or one student id a line") from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    head = [h.strip().lower() for h in next(csv.reader([lines[0]]))]
    for key in ("id", "student_id", "student", "username", "login"):
        if key in head:
            col = head.index(key)
            ids = [row[col].strip() for row in csv.reader(lines[1:]) if len(row) > col and row[col].strip()]
            return sorted({safe_student_id(i) for i in ids})
    return sorted({safe_student_id(ln.strip()) for ln in lines if not ln.lstrip().startswith("#")})


def cells_of(config: AssignmentConfig):
    from autograder.reporters.csv_export import Cell

    return [Cell(nb.stem, gid, float(nb.cell_points.get(gid, 0.0)))
            for nb in config.notebooks for gid in (*nb.grade_cells, *nb.answer_cells)]


def score_decimals(config: AssignmentConfig) -> int:
    """How many decimals the course shows in imported scores: `[results] score_decimals`."""
    return config.settings.results.score_decimals


def _mistake_counts(config: AssignmentConfig, results: dict[str, SubmissionResult]) -> list:
    """The known mistakes the class made, with their students (the assignment's catalogue)."""
    from autograder.mistakes import CATALOGUE_NAME, class_counts, load_catalogue

    if config.path is None:
        return []
    return class_counts(results.values(), load_catalogue(config.path.parent / CATALOGUE_NAME))


def group_items(groups) -> list:
    """The answer groups the summary page shows: every group a TA must settle, and every other
    group of two or more answers (a TA may still disagree with the grader about it)."""
    from autograder.reporters.html.summary import GroupAnswer, GroupItem

    items = []
    for g in groups:
        if not g.needs_action and g.group.size < 2:
            continue
        scored = dict(g.scored)
        items.append(GroupItem(
            g.group.grade_id, g.group.id, g.question, g.group.points, g.max_points, g.group.representative,
            g.group.representative_text, [GroupAnswer(s, a, s in g.waiting, scored.get(s)) for s, a in g.answers],
            "; ".join(g.reasons), g.command, g.needs_action))
    return items


def build_class_outputs(out_dir: Path, config: AssignmentConfig, submitted: Iterable[Submission | str],
                        records: dict[str, StudentRecord], db: str | GradebookLocation, roster: Iterable[str] = (),
                        notes: Iterable[str] = (), deadlines=None, now: datetime | None = None,
                        similarity=None) -> ClassOutputs:
    """Gradebook, CSVs, feedback pages and summary from the records of the `submitted` students
    (Submissions as discovered, or bare student ids). `deadlines`: the class's
    (batch.deadlines.ClassDeadlines); `now`: when the pages are written (what a student may see
    before their deadline); `similarity`: a batch.similarity.SimilaritySection for the summary
    page (staff only)."""
    from autograder.deadlines import visible_now
    from autograder.gradebook import read_gradebook, write_gradebook, write_lateness
    from autograder.reporters import csv_export, rewrite_platform_results
    from autograder.reporters.html import ClassSummary, StudentLine, render_feedback, render_summary
    from autograder.reporters.html.summary import ReviewItem
    from autograder.review import class_review, reconcile

    where = db if isinstance(db, GradebookLocation) else GradebookLocation.of(db)
    subs = {s.student: s for s in (x if isinstance(x, Submission) else Submission(x, Path(x), "", x) for x in submitted)}
    submitted = sorted(subs)
    roster = sorted(set(roster))
    graded = {s: records[s] for s in submitted if s in records}
    for s, rec in graded.items():
        rec.result.student = s
    automatic = [r.result for r in graded.values()]
    state = write_gradebook(where.url, config, automatic, students=roster)
    groups = reconcile(where.url, config.name, automatic)  # answers that no longer fit a settled group fall out
    if groups.marks:
        state = read_gradebook(where.url, config.name)
    settle = ("--results", str(out_dir))  # review finds this folder's results and gradebook from it
    reviewed = class_review(automatic, state, groups, settle)  # TA scores and settled groups laid over
    effective: dict[str, SubmissionResult] = dict(reviewed.effective)
    active = deadlines is not None and deadlines.active
    if active:  # the raw score is kept; the penalty is taken off in final_score
        from autograder.batch.deadlines import penalties_by_notebook
        from autograder.deadlines.times import parse_time

        for s in effective:
            effective[s] = replace(effective[s], late=deadlines.record(subs[s], effective[s]))
        write_lateness(where.url, config.name, deadlines.policy.due, {
            s: (parse_time(r.late.submitted_at)[0] if r.late and r.late.submitted_at else None,
                penalties_by_notebook(r)) for s, r in effective.items()})
    now = now or datetime.now(timezone.utc)

    rows: list[csv_export.ClassRow] = []
    lines: list[StudentLine] = []
    feedback: dict[str, Path] = {}
    for s in submitted:
        sub, rec = subs[s], graded.get(s)
        who = dict(name=sub.name, lms_id=sub.lms_id, late=sub.late)
        if rec is None:
            rows.append(csv_export.ClassRow(s, csv_export.PENDING, reason="submitted, not graded yet", **who))
            lines.append(StudentLine(s, csv_export.PENDING, reason="submitted, not graded yet", source=sub.source,
                                     **who))
            continue
        result = effective[s]
        status = csv_export.GRADED if rec.status == GRADED else csv_export.UNGRADABLE
        rows.append(csv_export.ClassRow(s, status, result, rec.reason, **who))
        due = deadlines.due_of(sub)[0] if active else None  # checks shown after the student's own deadline
        page = write_if_changed(student_dir(out_dir, s) / FEEDBACK_NAME, render_feedback(visible_now(result, now, due)))
        rewrite_platform_results(result, student_dir(out_dir, s))  # their score: the final one, as the gradebook's
        feedback[s] = page
        overridden = tuple(dict.fromkeys(c.grade_id for c in result.checks if isinstance(c.details.get("override"), dict)))
        lines.append(StudentLine(s, status, result.score, rec.reason, rec.wall_s, f"{STUDENTS_DIR}/{s}/{FEEDBACK_NAME}",
                                 sub.source, overridden, choices=tuple(result.choices), submitted_at=sub.submitted_at,
                                 late_record=result.late, **who))
    missing = sorted((set(roster) | set(state.students)) - set(submitted))
    for s in missing:
        rows.append(csv_export.ClassRow(s, csv_export.MISSING, reason="no submission"))
        lines.append(StudentLine(s, csv_export.MISSING, reason="no submission"))

    cells = cells_of(config)
    csv_path = csv_export.write(out_dir / CSV_NAME, rows, cells, deadline=active)
    compact = csv_export.write_import(out_dir / IMPORT_CSV_NAME, rows, cells, score_decimals(config), deadline=active)
    review = [ReviewItem(q.student or "", q.grade_id, q.points, q.max_points, "; ".join(q.reasons), q.command,
                         answer=q.answer) for q in reviewed.entries]
    outputs = {"grades.csv": CSV_NAME, "grades_import.csv": IMPORT_CSV_NAME}
    summary = ClassSummary(config.name, round(config.points, 4), lines, results=effective, review=review,
                           title=config.title, outputs=outputs, notes=list(notes),
                           mistakes=_mistake_counts(config, effective), deadline=deadlines.policy if active else None,
                           similarity=similarity.summary if similarity else None,
                           similarity_link=similarity.link if similarity else "", groups=group_items(reviewed.groups))
    summary_path = write_if_changed(out_dir / SUMMARY_NAME, render_summary(summary))
    return ClassOutputs(csv_path, summary_path, feedback, where.url, missing, len(review), compact)

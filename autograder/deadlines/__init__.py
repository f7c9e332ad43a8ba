"""Deadlines, extensions and late penalties, declared once per assignment.

- `policy`     `[deadline]` of assignment.toml: the due date and the late policy (`LatePolicy`)
- `times`      when a submission came in, from where it is recorded (`SubmissionTime`): nbgrader's
               timestamp.txt, LMS file names and marks, git and push times in CI; unknown elsewhere
- `extensions` per-student extensions from a CSV, and the student's own deadline
- `assess`     what a submission's time costs (`assess` -> results.LateRecord) and what a student
               may see before their own deadline (`visible_now`)

The gradebook side (nbgrader's duedate, timestamp, extension and late_submission_penalty) is
`autograder.gradebook.deadlines`; the TA's `review extend|waive` is `autograder.review.deadlines`.
"""
from autograder.deadlines.assess import assess, visible_now
from autograder.deadlines.extensions import Extension, ExtensionsError, read_extensions, student_due
from autograder.deadlines.policy import LatePolicy, load_policy
from autograder.deadlines.times import SubmissionTime, parse_time, submission_time

__all__ = ["Extension", "ExtensionsError", "LatePolicy", "SubmissionTime", "assess", "load_policy", "parse_time",
           "read_extensions", "student_due", "submission_time", "visible_now"]

"""Running the grader where courses run it: a container, Gradescope, PrairieLearn, CI.

- `paths.PlatformPaths`: every path a hosted platform gives the grader, from one root.
- `gradescope`: `cmd_bundle_gradescope(out, course_root)` writes the autograder zip;
  `run_gradescope(root)` is what its run_autograder runs.
- `prairielearn`: `run_prairielearn(root)`, the external grader's entry point.
- `ci`: `run_ci(repo, out)`, what the student-repository workflow template runs.
- `environment`: reading and verifying requirements.lock, the one pinned environment.
- `bundle`: which files a bundle may carry (engine, lock, one assignment's grading material).

Each runner returns 0 when the submission was graded (whatever the score), 2 when the platform is
set up wrong, 3 on a grader fault, and always leaves a results file for the student.
See docs/deploy.md.
"""
from __future__ import annotations


def cmd_bundle_gradescope(out, course_root, assignment: str | None = None):
    from autograder.platforms.gradescope import cmd_bundle_gradescope as f

    return f(out, course_root, assignment)


def run_gradescope(root):
    from autograder.platforms.gradescope import run_gradescope as f

    return f(root)


def run_prairielearn(root):
    from autograder.platforms.prairielearn import run_prairielearn as f

    return f(root)


def run_ci(repo, out, **kwargs):
    from autograder.platforms.ci import run_ci as f

    return f(repo, out, **kwargs)

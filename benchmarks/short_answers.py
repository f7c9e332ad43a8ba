"""Agreement of the short-answer grader with the TA-labelled answers.

    .venv/bin/python benchmarks/short_answers.py          # figures
    .venv/bin/python benchmarks/short_answers.py -v       # and one line per answer

labelled.toml: 86 answers labelled before the rubric was written (the rubric was then tuned on
them). holdout.toml: 28 answers labelled before they were ever graded, never tuned on: the
honest estimate for new answers.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder.shortanswers.benchmark import LABELLED, run  # noqa: E402


def main(argv: list[str]) -> int:
    for name, path in (("labelled", LABELLED), ("held-out", LABELLED.with_name("holdout.toml"))):
        b = run(path)
        if "-v" in argv:
            print(b.table())
        print(f"{name}: {b.summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

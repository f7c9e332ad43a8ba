"""Agreement of the short-answer grader with the TA-labelled answers.

    .venv/bin/python benchmarks/short_answers.py          # figures
    .venv/bin/python benchmarks/short_answers.py -v       # and one line per answer
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder.shortanswers.benchmark import run  # noqa: E402


def main(argv: list[str]) -> int:
    b = run()
    if "-v" in argv:
        print(b.table())
    print(b.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

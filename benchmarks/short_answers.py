"""Agreement of the short-answer grader with hand-labelled answers, per split.

    .venv/bin/python benchmarks/short_answers.py          # figures
    .venv/bin/python benchmarks/short_answers.py -v       # and one line per answer
    .venv/bin/python benchmarks/short_answers.py --write-examples   # regenerate the rubric's examples file

Real answers (tests/data/short_answers/real.toml) are split by their source into a held-out part
(never tuned on: the honest estimate) and a tuning part; traps.toml holds denials, keyword lists,
copied prompts and the like; labelled.toml / holdout.toml are the earlier hand-written answers.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder.shortanswers import load_rubric, score_text  # noqa: E402
from autograder.shortanswers.benchmark import (  # noqa: E402
    DATA, EXAMPLES, RUBRIC, cross_validated, examples_toml, load_labelled, real_splits, run, traps,
)


def class_of_200() -> float:
    """Seconds to score a class of 200 answers (the real ones, cycled), in a fresh process state
    except for jieba's dictionary, which loads once per process (about 1 s)."""
    rubric = load_rubric(RUBRIC)
    answers = load_labelled(DATA / "real.toml")
    t = time.perf_counter()
    for i in range(200):
        a = answers[i % len(answers)]
        score_text(f"{a.text} ({i})", rubric.questions[a.grade_id], rubric.settings)
    return time.perf_counter() - t


def main(argv: list[str]) -> int:
    if "--write-examples" in argv:
        EXAMPLES.write_text(examples_toml(), encoding="utf-8")
        print(f"wrote {EXAMPLES}")
        return 0
    t = time.perf_counter()
    for name, b in real_splits().items():
        if "-v" in argv:
            print(b.table())
        print(f"real answers, {name}: {b.summary()}")
    cv = cross_validated()
    if "-v" in argv:
        print(cv.table())
    # the honest figure for the similar-examples signal: no answer is helped by its own write-up
    print(f"real answers, tuning, with the examples' second opinion, leave one source out: {cv.summary()}")
    tr = traps()
    if "-v" in argv:
        for r in tr.rows:
            print(f"  {r.id:28} {r.kind:15} label {r.label:g} auto {r.auto:g}{' F' if r.flagged else ''}")
    print(tr.summary())
    over = tr.over()
    print(f"denials, keyword lists and hidden text above 1 point: {len(over)}" + (f" ({', '.join(r.id for r in over)})" if over else ""))
    for name, path in (("earlier hand-written, tuned on", DATA / "labelled.toml"),
                       ("earlier hand-written, held out", DATA / "holdout.toml")):
        b = run(path)
        if "-v" in argv:
            print(b.table())
        print(f"{name}: {b.summary()}")
    print(f"({time.perf_counter() - t:.1f} s in all; a class of 200 answers scored in {class_of_200():.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

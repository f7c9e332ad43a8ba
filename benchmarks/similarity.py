"""How long the staff similarity report takes for a class, and how it grows.

    .venv/bin/python benchmarks/similarity.py                 # 500 students
    .venv/bin/python benchmarks/similarity.py --n 100 200 500 # growth
    .venv/bin/python benchmarks/similarity.py --worst         # also with the idiom discount off

Synthesises a class from the planted similarity class (tests/samples/similar.py): every student
is the answer key with each of its seven rewritten functions taken from one of the four
independent students' versions (or the key's), at random, then made their own by small random
edits that change the code's shape (operands of + * == swapped, a returned expression given a
name, `a += b` spelled out, an assert added): without them the class would hold only five
versions of each function, each shared by a fifth of the class. Then random renames and comments,
and the functions of multi-function cells in a random order. Each student writes three short
answers picked from the independent students' and drops a few words. Ten students are copies of
ten others (renamed again, reordered, commented): they should be the top ten pairs.
"""
from __future__ import annotations

import argparse
import ast
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from autograder.similarity import SimilarityConfig, similarity_report  # noqa: E402
from samples import similar as S  # noqa: E402

GROUPS = {}  # solution cell -> the functions written in it
for func, (_, cell) in S.FUNCTION_CELLS.items():
    GROUPS.setdefault(cell, []).append(func)
COPIES = 10


class _Edits(ast.NodeTransformer):
    """Random edits that keep the meaning and change the normalised tokens."""

    def __init__(self, rng: random.Random, rate: float) -> None:
        self.rng, self.rate = rng, rate

    def _hit(self) -> bool:
        return self.rng.random() < self.rate

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (ast.Add, ast.Mult)) and self._hit():
            node.left, node.right = node.right, node.left
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)) and self._hit():
            node.left, node.comparators = node.comparators[0], [node.left]
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if isinstance(node.target, ast.Name) and self._hit():
            return ast.Assign([ast.Name(node.target.id, ast.Store())],
                              ast.BinOp(ast.Name(node.target.id, ast.Load()), node.op, node.value))
        return node

    def visit_Return(self, node):
        self.generic_visit(node)
        if node.value is not None and self._hit():
            name = f"answer_{self.rng.randrange(100)}"
            return [ast.Assign([ast.Name(name, ast.Store())], node.value), ast.Return(ast.Name(name, ast.Load()))]
        return node

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        if node.args.args and self._hit():
            arg = self.rng.choice(node.args.args).arg
            check = ast.Assert(ast.Compare(ast.Name(arg, ast.Load()), [ast.IsNot()], [ast.Constant(None)]))
            at = 1 if ast.get_docstring(node) else 0
            node.body.insert(at + self.rng.randrange(len(node.body) - at), check)
        return node


def _own_version(body: str, rng: random.Random, rate: float = 0.35) -> str:
    tree = ast.parse("def _f(*args):\n" + "\n".join("    " + ln for ln in body.splitlines()))
    tree = ast.fix_missing_locations(_Edits(rng, rate).visit(tree))
    return "\n".join(ln[4:] for ln in ast.unparse(tree).splitlines()[1:])


def _reword(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    return " ".join(w for w in words if rng.random() > 0.15) if len(words) > 5 else "".join(
        ch for ch in text if rng.random() > 0.1)


def synthesise(n: int, folder: Path, seed: int = 0) -> list[tuple[str, str]]:
    """n submissions under `folder`; returns the planted (copy, original) pairs."""
    rng = random.Random(seed)
    names = [f"s{i:04d}" for i in range(n)]
    specs = {}
    for name in names:
        functions = {}
        for funcs in GROUPS.values():
            who = rng.choice([None, *sorted(S.IND)])
            if who:
                functions.update({f: _own_version(S.IND[who][f], rng) for f in funcs})
        answers = {q: _reword(S.ANSWERS[rng.choice(sorted(S.ANSWERS))][q], rng)
                   for q in ("q2_activation_functions", "q3_vanishing_gradient", "q5_softmax")}
        specs[name] = S.StudentSpec(name, functions, answers, reorder=True, disguised=True)
    planted = []
    for i, original in enumerate(rng.sample(names[:-COPIES], COPIES)):
        copy = names[-COPIES + i]
        specs[copy] = S.StudentSpec(copy, specs[original].functions, specs[original].answers, reorder=True,
                                    disguised=True)
        planted.append((copy, original))
    for name, spec in specs.items():
        S.build_student(spec, folder / name, random.Random(f"{seed}-{name}"))
    return planted


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the fingerprinting processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(n: int, config: SimilarityConfig, work: Path, jobs: int | None) -> dict:
    cls = work / f"class-{n}"
    if not cls.exists():
        planted = synthesise(n, cls)
        (cls.parent / f"planted-{n}.txt").write_text("\n".join(f"{a} {b}" for a, b in planted))
    planted = {tuple(sorted(line.split())) for line in (cls.parent / f"planted-{n}.txt").read_text().splitlines()}
    subs = {p.name: p for p in sorted(cls.iterdir())}
    t0, cpu0 = time.perf_counter(), _cpu()
    report = similarity_report(subs, S.P.RELEASE, work / f"report-{n}", config,
                               key_dir=ROOT / "solutions" / "pytorch_basics", jobs=jobs)
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    top = {tuple(sorted((p.a, p.b))) for p in report.pairs[:len(planted)]}
    return {"n": n, "wall_s": wall, "cpu_s": cpu, "pairs": report.pairs_total, "compared": report.pairs_compared,
            "nonzero": len(report.pairs), "planted_on_top": len(top & planted), "planted": len(planted),
            "phases": ", ".join(f"{k} {v:.1f}" for k, v in report.timings.items())}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="+", default=[500])
    p.add_argument("--worst", action="store_true", help="also run with the idiom discount off (every pair compared)")
    p.add_argument("--jobs", type=int, help="processes fingerprinting (default: one per CPU core)")
    p.add_argument("--keep", type=Path, help="keep the synthetic classes in this folder")
    args = p.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="similarity-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    runs = [("default", SimilarityConfig())]
    if args.worst:
        runs.append(("no idiom discount", SimilarityConfig(common_share=1.0)))
    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}")
    print("| students | settings | pairs | compared in detail | scored > 0 | planted copies on top | wall | CPU | phases (wall s) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    try:
        for n in args.n:
            for label, config in runs:
                r = measure(n, config, work, args.jobs)
                print(f"| {n} | {label} | {r['pairs']} | {r['compared']} | {r['nonzero']} | "
                      f"{r['planted_on_top']}/{r['planted']} | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s | {r['phases']} |", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

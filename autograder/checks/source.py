"""How a function is written, read from the submitted notebook's source (never by running it).

Some contracts say how a function must be computed, not only what it returns ("written from
tensor arithmetic, not torch.sigmoid"). `forbidden_calls` reads the notebook's code cells with
`ast`, in the grader, and follows a graded function into every notebook function, class or
name it uses, so that an alias (`s = torch.sigmoid`, `from torch import sigmoid as s`,
`import torch.nn.functional as F`), a method call (`x.sigmoid()`), a module class
(`torch.nn.Sigmoid()(x)`), an internal entry point (`torch._C`, `torch.ops.aten`) or a helper
that does it for the function is found. What static reading cannot follow is refused as
unverifiable: a name computed at run time (`getattr` with a computed name, `eval`, `exec`,
`__import__`, `importlib`, `globals()[...]`, dunder attributes) inside the function or its
helpers, and anywhere in the notebook a change of a module (`torch.exp = torch.sigmoid`) or of
the namespace itself (`exec`, `globals()`, `setattr` on a module).
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from autograder.checks.source_model import CallRule, Cell, Finding, NotebookSource
from autograder.checks.source_names import index
from autograder.checks.source_walk import Analysis

__all__ = ["CallRule", "Cell", "Finding", "NotebookSource", "forbidden_calls"]


def forbidden_calls(source: NotebookSource, functions: Sequence[str], rule: CallRule,
                    judged_apart: Sequence[str] = ()) -> list[Finding]:
    """Everything in `functions` (and the notebook helpers they use) that `rule` refuses,
    first finding first. A call to one of `functions` or `judged_apart` from another is not
    followed: each graded function answers for its own code only."""
    nb = index(source)
    out: list[Finding] = []
    for fn in functions:
        found = Analysis(nb, rule, fn, frozenset(functions) | frozenset(judged_apart) - {fn}).run()
        roots = {m.split(".")[0] for m in rule.modules}
        patches = [p for p in nb.patches if not p[3] or p[3].split(".")[0] in roots]
        if not found and patches:
            what, cell, line, _ = patches[0]
            found = [Finding(fn, what, cell, line, "patched")]
        out += [dataclasses.replace(f, place=source.label(f.cell)) if f.cell else f for f in found]
    return out

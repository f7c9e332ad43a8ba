"""What a source rule reads and says: a notebook's code cells, the rule, a finding."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Mapping

@dataclass(frozen=True)
class Cell:
    number: int  # as students count cells: from 1, markdown cells included
    source: str


@dataclass(frozen=True)
class NotebookSource:
    """The code cells of one submitted notebook, as the worker runs them."""

    stem: str
    cells: tuple[Cell, ...]
    labels: Mapping[int, str] = field(default_factory=dict)  # cell number -> how a student finds it

    def label(self, number: int) -> str:
        """"the cell defining `f`", "the cell under '## 2. Models'" (from the grader), else "cell N"."""
        return self.labels.get(number) or f"cell {number}"

    def parsed(self) -> list[tuple[int, ast.Module]]:
        """(cell number, AST) of every cell Python can read; IPython-only lines are dropped
        as the worker drops them (a cell that does not parse defines nothing there either)."""
        out = []
        for cell in self.cells:
            tree = _parse(cell.source)
            if tree is not None:
                out.append((cell.number, tree))
        return out


def _parse(source: str) -> ast.Module | None:
    if source.lstrip().startswith("%%"):
        return None
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    lines = []
    for line in source.splitlines():
        body = line.lstrip()
        lines.append(line[: len(line) - len(body)] + "pass" if body.startswith(("!", "%")) else line)
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


@dataclass(frozen=True)
class CallRule:
    """What a graded function may not use. `names`: function, method and class names refused
    whatever they are reached through (`sigmoid` refuses torch.sigmoid, x.sigmoid(),
    numpy.sigmoid...). `modules`: the modules (exactly these, not their submodules) whose
    attributes may be used; any other module (torch.nn.functional, torch.special, torch._C,
    scipy, a file of the student's ...) is refused. `why`: the contract's words, for messages."""

    names: frozenset[str]
    modules: frozenset[str]
    why: str


@dataclass(frozen=True)
class Finding:
    function: str  # the graded function
    what: str  # the refused call or construct: "torch.sigmoid", "getattr with a computed name"
    cell: int
    line: int
    kind: str  # "forbidden", "module", "dynamic", "patched", "undefined"
    via: tuple[str, ...] = ()  # notebook helpers between the function and the finding
    place: str = ""  # how the student finds the cell (NotebookSource.label); "cell N" without one

    def message(self, rule: CallRule) -> str:
        where = f"{self.place or f'cell {self.cell}'}, line {self.line}"
        through = "".join(f", through {h}" for h in self.via)
        if self.kind == "forbidden":
            return (f"{self.function}: uses {self.what} ({where}{through}), which is not allowed: "
                    f"{self.function} must be {rule.why}")
        if self.kind == "module":
            return (f"{self.function}: uses {self.what} ({where}{through}); only {', '.join(sorted(rule.modules))} "
                    f"may be used here: {self.function} must be {rule.why}")
        if self.kind == "dynamic":
            return (f"{self.function}: uses {self.what} ({where}{through}); the grader cannot tell what that "
                    f"reaches, so it is not allowed here: {self.function} must be {rule.why}")
        if self.kind == "patched":
            return (f"{self.what} ({where}): changing a module or the notebook's namespace at run time is not "
                    f"allowed in a notebook whose {self.function} is graded from its source (the grader could "
                    f"not tell what {self.function} really calls)")
        return (f"{self.function}: no `def {self.function}` found in the notebook's code cells; it is graded "
                "from its source, so define it with def")

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

import ast
import importlib
import types
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

# Reading a name at run time, or writing one: nothing a static reading can follow.
DYNAMIC_CALLS = frozenset({"eval", "exec", "compile", "__import__", "globals", "locals", "vars", "getattr",
                           "setattr", "delattr", "attrgetter", "methodcaller", "breakpoint"})
DYNAMIC_MODULES = frozenset({"importlib", "builtins", "__main__", "sys", "inspect", "ctypes", "gc", "pickle",
                             "marshal", "types", "copyreg", "dill", "code", "codeop", "runpy"})
NAMESPACE_WRITERS = frozenset({"exec", "eval", "compile", "globals", "locals", "vars", "__import__"})


@dataclass(frozen=True)
class Cell:
    number: int  # as students count cells: from 1, markdown cells included
    source: str


@dataclass(frozen=True)
class NotebookSource:
    """The code cells of one submitted notebook, as the worker runs them."""

    stem: str
    cells: tuple[Cell, ...]

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

    def message(self, rule: CallRule) -> str:
        where = f"cell {self.cell}, line {self.line}"
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


@dataclass
class _Binding:
    kind: str  # "def" (function or class), "expr" (assigned value), "import" (module path), "star"
    cell: int
    line: int
    node: ast.AST | None = None
    path: str = ""


@dataclass
class _Notebook:
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)
    stars: list[_Binding] = field(default_factory=list)
    patches: list[tuple[str, int, int, str]] = field(default_factory=list)  # (what, cell, line, module changed)

    def bind(self, name: str, b: _Binding) -> None:
        self.bindings.setdefault(name, []).append(b)


def forbidden_calls(source: NotebookSource, functions: Sequence[str], rule: CallRule,
                    judged_apart: Sequence[str] = ()) -> list[Finding]:
    """Everything in `functions` (and the notebook helpers they use) that `rule` refuses,
    first finding first. A call to one of `functions` or `judged_apart` from another is not
    followed: each graded function answers for its own code only."""
    nb = _index(source)
    out: list[Finding] = []
    for fn in functions:
        found = _Analysis(nb, rule, fn, frozenset(functions) | frozenset(judged_apart) - {fn}).run()
        roots = {m.split(".")[0] for m in rule.modules}
        patches = [p for p in nb.patches if not p[3] or p[3].split(".")[0] in roots]
        if not found and patches:
            what, cell, line, _ = patches[0]
            found = [Finding(fn, what, cell, line, "patched")]
        out += found
    return out


# -- the notebook's global names --------------------------------------------------------------


def _index(source: NotebookSource) -> _Notebook:
    nb = _Notebook()
    for cell, tree in source.parsed():
        for stmt in tree.body:
            _bind_statement(nb, stmt, cell)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                declared = {n for s in ast.walk(node) if isinstance(s, ast.Global) for n in s.names}
                if declared:
                    for s in ast.walk(node):
                        _bind_statement(nb, s, cell, only=declared, nested=True)
            patch = _patch(nb, node)
            if patch:
                nb.patches.append((*patch[:1], cell, getattr(node, "lineno", 0), patch[1]))
    return nb


def _bind_statement(nb: _Notebook, stmt: ast.AST, cell: int, only: set[str] | None = None,
                    nested: bool = False) -> None:
    """Record the global names `stmt` binds (conservatively: every binding counts)."""
    line = getattr(stmt, "lineno", 0)

    def add(name: str, b: _Binding) -> None:
        if only is None or name in only:
            nb.bind(name, b)

    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        add(stmt.name, _Binding("def", cell, line, stmt))
        return
    if isinstance(stmt, ast.Import):
        for a in stmt.names:
            if a.asname:
                add(a.asname, _Binding("import", cell, line, path=a.name))
            else:
                add(a.name.split(".")[0], _Binding("import", cell, line, path=a.name.split(".")[0]))
        return
    if isinstance(stmt, ast.ImportFrom):
        base = "." * stmt.level + (stmt.module or "")
        for a in stmt.names:
            if a.name == "*":
                if only is None:
                    nb.stars.append(_Binding("star", cell, line, path=base))
            else:
                add(a.asname or a.name, _Binding("import", cell, line, path=f"{base}.{a.name}"))
        return
    targets: list[ast.AST] = []
    value: ast.AST | None = None
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets, value = [stmt.target], stmt.value
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        targets, value = [stmt.target], stmt.iter
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        for item in stmt.items:
            if item.optional_vars is not None:
                for name in _store_names(item.optional_vars):
                    add(name, _Binding("expr", cell, line, item.context_expr))
    elif isinstance(stmt, ast.NamedExpr):
        targets, value = [stmt.target], stmt.value
    for t in targets:
        for name in _store_names(t):
            add(name, _Binding("expr", cell, line, value))
    if not nested:  # statements inside top-level blocks (if, for, try, with, while) bind globals too
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt) or isinstance(child, ast.excepthandler):
                for s in ([child] if isinstance(child, ast.stmt) else child.body):
                    _bind_statement(nb, s, cell, only)
            elif isinstance(child, ast.expr):
                for sub in ast.walk(child):
                    if isinstance(sub, ast.NamedExpr):
                        _bind_statement(nb, sub, cell, only, nested=True)


def _store_names(target: ast.AST) -> Iterator[str]:
    for node in ast.walk(target):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _module_of(nb: _Notebook, name: str) -> str | None:
    """The module the global `name` is (or is reached from), if it may be one."""
    for b in nb.bindings.get(name, []):
        if b.kind == "import":
            return b.path
        if b.kind == "expr" and b.node is not None:
            root = _root_name(b.node)
            imports = [x for x in nb.bindings.get(root, []) if x.kind == "import"] if root and root != name else []
            if imports:
                return imports[0].path
    return None


def _constant(node: ast.AST | None) -> bool:
    return node is not None and all(isinstance(n, (ast.Constant, ast.Tuple, ast.List, ast.UnaryOp, ast.unaryop,
                                                     ast.Load)) for n in ast.walk(node))


def _patch(nb: _Notebook, node: ast.AST) -> tuple[str, str] | None:
    """(what, the module it changes or "") when `node` changes what no static reading can
    follow: a module's attribute set to anything but a constant (`torch.exp = torch.sigmoid`;
    `torch.backends.cudnn.deterministic = True` is fine), or the namespace itself."""
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = node.targets
    if targets and not _constant(getattr(node, "value", None)):
        for t in targets:
            for sub in ast.walk(t):
                if isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                    root = _root_name(sub)
                    module = _module_of(nb, root) if root else None
                    if module:
                        return f"assigning {_dotted(sub) or root + '[...]'}", module
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in NAMESPACE_WRITERS:
            return f"{name}()", ""
        if name in ("setattr", "delattr") and node.args:
            root = _root_name(node.args[0])
            module = _module_of(nb, root) if root else None
            if module:
                return f"{name}() on {root}", module
    if isinstance(node, ast.Attribute) and node.attr in ("__dict__", "__code__", "__globals__", "__builtins__"):
        return f"the attribute {node.attr}", ""
    if isinstance(node, ast.Name) and node.id == "__builtins__":
        return "__builtins__", ""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        for m in mods:
            if m.split(".")[0] in ("importlib", "builtins", "__main__", "ctypes"):
                return f"importing {m}", ""
    return None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


# -- one graded function and what it reaches ---------------------------------------------------


class _Analysis:
    def __init__(self, nb: _Notebook, rule: CallRule, function: str, others: frozenset[str]):
        self.nb, self.rule, self.function, self.others = nb, rule, function, others
        self.findings: list[Finding] = []
        self.cell, self.via = 0, ()
        self.seen: set[int] = set()
        self.queue: list[tuple[_Binding, tuple[str, ...]]] = []

    def run(self) -> list[Finding]:
        bindings = self.nb.bindings.get(self.function, [])
        if not bindings:
            return [Finding(self.function, self.function, 0, 0, "undefined")]
        self._follow(self.function, (), None)
        while self.queue:
            b, via = self.queue.pop(0)
            self.cell = b.cell
            self.via = via
            if b.node is not None:
                self._visit(b.node, [set()])
        return self.findings

    # a global name the analysed code uses
    def _follow(self, name: str, via: tuple[str, ...], node: ast.AST | None) -> None:
        bindings = self.nb.bindings.get(name, [])
        for b in bindings:
            if b.kind == "import":
                self._check_path(b.path, b.cell, b.line, via)
            elif id(b) not in self.seen:
                self.seen.add(id(b))
                self.queue.append((b, via + ((name,) if name != self.function else ())))
        if not bindings and node is not None:
            if name in DYNAMIC_CALLS:
                self._add(f"{name}()", node, "dynamic")
            for star in self.nb.stars:
                self._check_path(f"{star.path}.{name}", star.cell, star.line, via, dynamic_ok=True)

    def _add(self, what: str, node: ast.AST, kind: str) -> None:
        f = Finding(self.function, what, self.cell, getattr(node, "lineno", 0), kind, self.via)
        if f not in self.findings:
            self.findings.append(f)

    def _check_path(self, path: str, cell: int, line: int, via: tuple[str, ...], node: ast.AST | None = None,
                    dynamic_ok: bool = False) -> None:
        """A dotted name reached from an import: its names, and the module it lives in."""
        parts = path.split(".")
        bad = next((p for p in parts if p in self.rule.names), None)
        kind, what = None, path
        if bad is not None:
            kind = "forbidden"
        elif path.startswith("."):
            kind = "module"  # a file of the submission's own: nothing the grader can read
        elif any(p.startswith("__") and p.endswith("__") for p in parts[1:]) or parts[0] in DYNAMIC_MODULES:
            kind = None if dynamic_ok else "dynamic"
        else:
            module = _containing_module(parts, self.rule.modules)
            if module is not None and module not in self.rule.modules:
                kind, what = "module", module
        if kind is not None:
            f = Finding(self.function, what, cell, line if node is None else getattr(node, "lineno", line), kind, via)
            if f not in self.findings:
                self.findings.append(f)

    # the AST of a binding (a def, a class, an assigned value), with its local scopes
    def _visit(self, node: ast.AST, scopes: list[set[str]]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for d in getattr(node, "decorator_list", []):
                self._visit(d, scopes)
            for d in (*node.args.defaults, *[k for k in node.args.kw_defaults if k is not None]):
                self._visit(d, scopes)
            local = _locals(node)
            body = node.body if isinstance(node.body, list) else [node.body]
            for i, stmt in enumerate(body):
                if i == 0 and _is_docstring(stmt):
                    continue
                self._visit(stmt, scopes + [local])
            return
        if isinstance(node, ast.ClassDef):
            for d in (*node.decorator_list, *node.bases, *[k.value for k in node.keywords]):
                self._visit(d, scopes)
            for stmt in node.body:
                self._visit(stmt, scopes + [set()])
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            local = {n for g in node.generators for n in _store_names(g.target)}
            for child in ast.iter_child_nodes(node):
                self._visit(child, scopes + [local])
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            base = "" if isinstance(node, ast.Import) else "." * node.level + (node.module or "")
            for a in node.names:
                path = a.name if isinstance(node, ast.Import) else f"{base}.{a.name}"
                self._check_path(path, self.cell, node.lineno, self.via)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if not any(node.id in s for s in scopes):
                if node.id in self.rule.names and not self.nb.bindings.get(node.id):
                    self._add(node.id, node, "forbidden")
                elif node.id not in self.others:
                    self._follow(node.id, self.via, node)
            return
        if isinstance(node, ast.Attribute):
            self._attribute(node, scopes)
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and not any(node.func.id in s for s in scopes):
            name = node.args[1] if len(node.args) > 1 else None
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                self._visit(ast.copy_location(ast.Attribute(node.args[0], name.value, ast.Load()), node), scopes)
            else:
                self._add("getattr with a computed name", node, "dynamic")
            for a in node.args[2:]:
                self._visit(a, scopes)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() in self.rule.names:
            self._add(f"the name {node.value.strip()!r} as a string", node, "dynamic")
            return
        for child in ast.iter_child_nodes(node):
            self._visit(child, scopes)

    def _attribute(self, node: ast.Attribute, scopes: list[set[str]]) -> None:
        if node.attr.startswith("__") and node.attr.endswith("__"):
            self._add(f"the attribute {node.attr}", node, "dynamic")
        dotted = _dotted(node)
        root = dotted.split(".")[0] if dotted else None
        if dotted and not any(root in s for s in scopes):
            imports = [b for b in self.nb.bindings.get(root, []) if b.kind == "import"]
            rest = dotted.split(".")[1:]
            for b in imports:
                self._check_path(".".join([b.path, *rest]), self.cell, node.lineno, self.via, node)
            if any(b.kind != "import" for b in self.nb.bindings.get(root, [])) or not imports:
                if root not in self.others:
                    self._follow(root, self.via, node)
                bad = next((p for p in rest if p in self.rule.names), None)
                if bad:
                    self._add(f"{dotted}", node, "forbidden")
            return
        if node.attr in self.rule.names:  # a method of some value: x.sigmoid(), model[0].relu
            self._add(f".{node.attr}()", node, "forbidden")
        self._visit(node.value, scopes)


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _locals(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    a = fn.args
    names = {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
    names |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
    if isinstance(fn, ast.Lambda):
        return names
    declared: set[str] = set()
    for node in _own_nodes(fn.body):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared |= set(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(x.asname or x.name).split(".")[0] for x in node.names if x.name != "*"}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names - declared


def _own_nodes(body: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node of a function body but those inside nested functions, classes, lambdas."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue  # its name is local; its body is not
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _containing_module(parts: Sequence[str], allowed: Iterable[str]) -> str | None:
    """The module a dotted path lives in, resolved on the grader's own imports of the allowed
    roots (never importing anything else). None when the path stays a module itself and is
    allowed or cannot be told (a name that does not exist: the call fails on its own)."""
    roots = {m.split(".")[0] for m in allowed}
    if parts[0] not in roots:
        return parts[0]
    try:
        obj = importlib.import_module(parts[0])
    except ImportError:
        return parts[0]
    module = parts[0]
    for i, p in enumerate(parts[1:], 1):
        try:
            obj = getattr(obj, p)
        except AttributeError:
            break
        if isinstance(obj, types.ModuleType):
            module = ".".join(parts[: i + 1])
        else:
            break
    return module

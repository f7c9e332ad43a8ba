"""The global names of a notebook's code cells: what binds each one (a def, a class, an
assigned value, an import), and what changes modules or the namespace at run time (which no
static reading can follow)."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterator

from autograder.checks.source_model import NotebookSource

NAMESPACE_WRITERS = frozenset({"exec", "eval", "compile", "globals", "locals", "vars", "__import__"})


@dataclass
class Binding:
    kind: str  # "def" (function or class), "expr" (assigned value), "import" (module path), "star"
    cell: int
    line: int
    node: ast.AST | None = None
    path: str = ""


@dataclass
class NotebookNames:
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    stars: list[Binding] = field(default_factory=list)
    patches: list[tuple[str, int, int, str]] = field(default_factory=list)  # (what, cell, line, module changed)

    def bind(self, name: str, b: Binding) -> None:
        self.bindings.setdefault(name, []).append(b)


def index(source: NotebookSource) -> NotebookNames:
    nb = NotebookNames()
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


def _bind_statement(nb: NotebookNames, stmt: ast.AST, cell: int, only: set[str] | None = None,
                    nested: bool = False) -> None:
    """Record the global names `stmt` binds (conservatively: every binding counts)."""
    line = getattr(stmt, "lineno", 0)

    def add(name: str, b: Binding) -> None:
        if only is None or name in only:
            nb.bind(name, b)

    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        add(stmt.name, Binding("def", cell, line, stmt))
        return
    if isinstance(stmt, ast.Import):
        for a in stmt.names:
            if a.asname:
                add(a.asname, Binding("import", cell, line, path=a.name))
            else:
                add(a.name.split(".")[0], Binding("import", cell, line, path=a.name.split(".")[0]))
        return
    if isinstance(stmt, ast.ImportFrom):
        base = "." * stmt.level + (stmt.module or "")
        for a in stmt.names:
            if a.name == "*":
                if only is None:
                    nb.stars.append(Binding("star", cell, line, path=base))
            else:
                add(a.asname or a.name, Binding("import", cell, line, path=f"{base}.{a.name}"))
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
                for name in store_names(item.optional_vars):
                    add(name, Binding("expr", cell, line, item.context_expr))
    elif isinstance(stmt, ast.NamedExpr):
        targets, value = [stmt.target], stmt.value
    for t in targets:
        for name in store_names(t):
            add(name, Binding("expr", cell, line, value))
    if not nested:  # statements inside top-level blocks (if, for, try, with, while) bind globals too
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt) or isinstance(child, ast.excepthandler):
                for s in ([child] if isinstance(child, ast.stmt) else child.body):
                    _bind_statement(nb, s, cell, only)
            elif isinstance(child, ast.expr):
                for sub in ast.walk(child):
                    if isinstance(sub, ast.NamedExpr):
                        _bind_statement(nb, sub, cell, only, nested=True)


def store_names(target: ast.AST) -> Iterator[str]:
    for node in ast.walk(target):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _module_of(nb: NotebookNames, name: str) -> str | None:
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


def _patch(nb: NotebookNames, node: ast.AST) -> tuple[str, str] | None:
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
                        return f"assigning {dotted(sub) or root + '[...]'}", module
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


def dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None

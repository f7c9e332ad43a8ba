"""Following one graded function through the notebook: every name, attribute and call it (and
the notebook helpers it uses) reaches, judged against a CallRule."""
from __future__ import annotations

import ast
import importlib
import types
from typing import Iterable, Iterator, Sequence

from autograder.checks.source_model import CallRule, Finding
from autograder.checks.source_names import Binding, NotebookNames, dotted, store_names

# Reading a name at run time, or writing one: nothing a static reading can follow.
DYNAMIC_CALLS = frozenset({"eval", "exec", "compile", "__import__", "globals", "locals", "vars", "getattr",
                           "setattr", "delattr", "attrgetter", "methodcaller", "breakpoint"})
DYNAMIC_MODULES = frozenset({"importlib", "builtins", "__main__", "sys", "inspect", "ctypes", "gc", "pickle",
                             "marshal", "types", "copyreg", "dill", "code", "codeop", "runpy"})


class Analysis:
    """The findings of one graded function: run() follows it, and every notebook binding it
    reaches, once."""

    def __init__(self, nb: NotebookNames, rule: CallRule, function: str, others: frozenset[str]):
        self.nb, self.rule, self.function, self.others = nb, rule, function, others
        self.findings: list[Finding] = []
        self.cell, self.via = 0, ()
        self.seen: set[int] = set()
        self.queue: list[tuple[Binding, tuple[str, ...]]] = []

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
        if not bindings and node is not None and name in DYNAMIC_CALLS:
            self._add(f"{name}()", node, "dynamic")
        for star in self.nb.stars:  # `from m import *` may bind any name m has, after a def too
            if _may_have(star.path, name, self.rule.modules):
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
            local = {n for g in node.generators for n in store_names(g.target)}
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
        path = dotted(node)
        root = path.split(".")[0] if path else None
        if path and not any(root in s for s in scopes):
            imports = [b for b in self.nb.bindings.get(root, []) if b.kind == "import"]
            rest = path.split(".")[1:]
            for b in imports:
                self._check_path(".".join([b.path, *rest]), self.cell, node.lineno, self.via, node)
            if any(b.kind != "import" for b in self.nb.bindings.get(root, [])) or not imports:
                if root not in self.others:
                    self._follow(root, self.via, node)
                bad = next((p for p in rest if p in self.rule.names), None)
                if bad:
                    self._add(path, node, "forbidden")
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


def _may_have(module: str, name: str, allowed: Iterable[str]) -> bool:
    """Whether `from module import *` can bind `name`: looked up in the grader's own import of
    an allowed module; any other module may have anything."""
    if module.split(".")[0] not in {m.split(".")[0] for m in allowed}:
        return True
    try:
        obj = importlib.import_module(module)
    except ImportError:
        return True
    exported = getattr(obj, "__all__", None)
    return name in exported if isinstance(exported, (list, tuple)) else hasattr(obj, name) and not name.startswith("_")

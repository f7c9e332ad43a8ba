"""The public checks of a check file, cut out for the release: nothing hidden goes with them.

A grade cell's check file (`grading/checks/<notebook>/<grade id>.py`) holds its public and its
hidden checks. The release keeps, in the same order and with the same text:

- the `@check(..., public=True)` functions;
- the module-level helpers, constants and imports they use, followed transitively;
- helpers marked `@grader_only` (they need grader-only material, e.g. a reference model for a
  feedback picture) as a stub that returns None;

and drops the module docstring (it lists what the hidden checks look for), comments between
definitions, hidden checks and everything only they use. What public code may use is checked,
and anything else is refused with the file, the line and what to do: grader-only modules of the
assignment (`from .. import reference`: only the files of [release] public_files may be
imported), the assignment's own fixtures (fixtures.py holds the hidden seeds), a hidden check,
or an [assignment] section that is not [published].
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ReleaseError

ENGINE_FIXTURES = frozenset({"nb", "device", "credit", "source", "sources", "submission", "assignment"})
HEADER = ('"""Public checks of {gid} ({stem}), cut by `autograder release` from the\n'
          'grader\'s check file: the code the grader runs for them. Generated: do not edit. The grader\n'
          'also runs hidden checks with other inputs, so "public checks passed" is not the grade."""\n')


@dataclass
class _Module:
    path: Path
    shown: str
    text: str
    tree: ast.Module
    defs: dict[str, ast.stmt] = field(default_factory=dict)  # name -> defining statement
    imports: dict[str, ast.stmt] = field(default_factory=dict)  # bound name -> import statement


def _decorator_call(node: ast.expr) -> tuple[str, ast.Call | None]:
    call = node if isinstance(node, ast.Call) else None
    func = node.func if call is not None else node
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name, call


def _kind(node: ast.stmt) -> str:
    """"public", "hidden" (a check), "grader_only" or "" for a function; "" otherwise."""
    for deco in getattr(node, "decorator_list", ()):
        name, call = _decorator_call(deco)
        if name == "grader_only":
            return "grader_only"
        if name == "check":
            public = call is not None and any(k.arg == "public" and isinstance(k.value, ast.Constant)
                                               and k.value.value is True for k in call.keywords)
            return "public" if public else "hidden"
    return ""


def _index(path: Path, shown: str) -> _Module:
    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text, filename=shown)
    except SyntaxError as e:
        raise ReleaseError(f"{shown}, line {e.lineno}: {e.msg}") from None
    mod = _Module(path, shown, text, tree)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            mod.defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        mod.defs[n.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                mod.imports[(alias.asname or alias.name).split(".")[0]] = node
    return mod


def _names(node: ast.AST, skip_body: bool = False) -> list[ast.Name]:
    """Names a statement reads; for a stubbed function only its decorators and defaults."""
    if skip_body and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts = [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]
        return [n for p in parts for n in ast.walk(p) if isinstance(n, ast.Name)]
    return [n for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]


def cut_public(path: Path, shown: str, grade_id: str, stem: str, public_files: frozenset[str],
               published: frozenset[str]) -> str | None:
    """The text of the released file of one grade cell, or None when it has no public check.
    `public_files`: file names under checks/ the release carries (importable by public code);
    `published`: the sections of [published]."""
    mod = _index(path, shown)
    roots = [n for n in mod.tree.body if _kind(n) == "public"]
    if not roots:
        return None
    keep: dict[int, ast.stmt] = {}
    stubs: set[int] = set()
    needed_imports: dict[int, ast.stmt] = {}
    todo: list[ast.stmt] = list(roots)
    for fn in roots:
        for arg in fn.args.args + fn.args.kwonlyargs:
            if arg.arg not in ENGINE_FIXTURES:
                raise ReleaseError(f"{shown}, line {fn.lineno}: the public check {fn.name} asks for the fixture "
                                   f"`{arg.arg}`, which is the assignment's own (fixtures.py, grader-only); public "
                                   f"checks may use {', '.join(sorted(ENGINE_FIXTURES))}")
    while todo:
        node = todo.pop()
        if id(node) in keep:
            continue
        kind = _kind(node)
        if kind == "hidden":
            raise ReleaseError(f"{shown}, line {node.lineno}: public code uses the hidden check {node.name}; "
                               "move what they share into a helper")
        keep[id(node)] = node
        if kind == "grader_only":
            stubs.add(id(node))
        for name in _names(node, skip_body=kind == "grader_only"):
            if name.id in mod.defs:
                todo.append(mod.defs[name.id])
            elif name.id in mod.imports:
                stmt = mod.imports[name.id]
                _check_import(stmt, name, mod, public_files)
                needed_imports[id(stmt)] = stmt
            if name.id == "assignment" and kind != "grader_only":
                _check_sections(node, mod, published)
    used = {name.id for node in keep.values() for name in _names(node, skip_body=id(node) in stubs)}
    imports = [_import(mod, n, used) for n in mod.tree.body
               if (isinstance(n, ast.ImportFrom) and n.module == "__future__") or id(n) in needed_imports]
    defs = [_stub(mod, n) if id(n) in stubs else _segment(mod, n) for n in mod.tree.body if id(n) in keep]
    return "\n\n\n".join([HEADER.format(gid=grade_id, stem=stem).rstrip(), "\n".join(imports), *defs]) + "\n"


def _check_import(stmt: ast.stmt, name: ast.Name, mod: _Module, public_files: frozenset[str]) -> None:
    if not isinstance(stmt, ast.ImportFrom) or stmt.level == 0:
        return  # torch, the standard library, the check library: the student's environment has them
    for alias in stmt.names:
        if (alias.asname or alias.name) != name.id:
            continue
        # check files are checks/<notebook>/<grade id>.py: `..` is checks/, where public_files are
        top = (stmt.module or alias.name).split(".")[0]
        if stmt.level != 2 or f"{top}.py" not in public_files:
            raise ReleaseError(
                f"{mod.shown}, line {name.lineno}: public code uses `{name.id}` ({ast.unparse(stmt)}), which is "
                f"grader-only: public checks may use the check library, torch and the standard library, the "
                f"helpers of their own file, and the files of [release] public_files "
                f"({', '.join(sorted(public_files)) or 'none'}); move what they need there, or mark the helper "
                "@grader_only")


def _check_sections(node: ast.stmt, mod: _Module, published: frozenset[str]) -> None:
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name) and sub.value.id == "assignment"
                and isinstance(sub.slice, ast.Constant) and sub.slice.value not in published):
            raise ReleaseError(
                f"{mod.shown}, line {sub.lineno}: public code reads assignment[{sub.slice.value!r}], which is not "
                f"published: add the values the public checks need to [published.{sub.slice.value}] of "
                "assignment.toml (students see them)")


def _import(mod: _Module, node: ast.stmt, used: set[str]) -> str:
    """An import statement with only the names public code uses (the others would say what the
    hidden checks use)."""
    if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
        return _segment(mod, node)
    names = [a for a in node.names if (a.asname or a.name) in used]
    parts = [a.name + (f" as {a.asname}" if a.asname else "") for a in names]
    head = f"from {'.' * node.level}{node.module or ''} import "
    line = head + ", ".join(parts)
    if len(line) <= 100:
        return line
    rows, row = [], "   "
    for p in parts:
        if len(row) + len(p) + 2 > 100:
            rows.append(row.rstrip())
            row = "   "
        row += f" {p},"
    rows.append(row)
    return head + "(\n" + "\n".join(rows) + "\n)"


def _first_line(node: ast.stmt) -> int:
    decos = getattr(node, "decorator_list", [])
    return min([d.lineno for d in decos] + [node.lineno])


def _segment(mod: _Module, node: ast.stmt) -> str:
    lines = mod.text.splitlines()
    return "\n".join(lines[_first_line(node) - 1: node.end_lineno])


def _stub(mod: _Module, node: ast.FunctionDef) -> str:
    """The function's header (no decorators, no docstring) returning None."""
    lines = mod.text.splitlines()
    body = node.body[0]
    if body.lineno > node.lineno:
        header = "\n".join(lines[node.lineno - 1: body.lineno - 1]).rstrip()
    else:  # a one-line function
        header = lines[node.lineno - 1][: body.col_offset].rstrip()
    pad = " " * (node.col_offset + 4)
    return f"{header}\n{pad}return None  # grader-only (see @grader_only): not run from the release"


__all__ = ["ENGINE_FIXTURES", "cut_public"]

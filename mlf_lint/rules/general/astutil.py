"""Tree helpers for the few rules that need context beyond one node (the enclosing call, loop,
``with`` block or function). The parent map is built lazily, once per module, and only in modules
where such a rule found a candidate, so the analyzer's single walk stays the hot path."""
from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Optional, Tuple

from mlf_lint.engine.astwalk import fields_of
from mlf_lint.engine.context import ModuleContext

_PARENTS = "_astutil.parents"
_FUNCTIONS = "_astutil.functions"
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)


def parents(ctx: ModuleContext) -> Dict[ast.AST, ast.AST]:
    found = ctx.state.get(_PARENTS)
    if found is None:
        found = {}
        stack: List[ast.AST] = [ctx.tree]
        pop, push, AST = stack.pop, stack.append, ast.AST
        while stack:  # ast.walk + iter_child_nodes, without the generators (twice as fast)
            node = pop()
            for name in fields_of(node.__class__):
                value = getattr(node, name, None)
                if value.__class__ is list:
                    for item in value:
                        if isinstance(item, AST):
                            found[item] = node
                            push(item)
                elif isinstance(value, AST):
                    found[value] = node
                    push(value)
        ctx.state[_PARENTS] = found
    return found


def ancestors(ctx: ModuleContext, node: ast.AST) -> Iterator[ast.AST]:
    table = parents(ctx)
    node = table.get(node)  # type: ignore[assignment]
    while node is not None:
        yield node
        node = table.get(node)  # type: ignore[assignment]


def enclosing_scope(ctx: ModuleContext, node: ast.AST) -> ast.AST:
    """The function, lambda, class or module a node belongs to."""
    for up in ancestors(ctx, node):
        if isinstance(up, _SCOPES):
            return up
    return ctx.tree


def functions_by_name(ctx: ModuleContext) -> Dict[str, List[ast.AST]]:
    """Every ``def`` of the module by name (methods included)."""
    found = ctx.state.get(_FUNCTIONS)
    if found is None:
        found = {}
        for node in ast.walk(ctx.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.setdefault(node.name, []).append(node)
        ctx.state[_FUNCTIONS] = found
    return found


def calls_in(node: ast.AST) -> Iterator[ast.Call]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            yield sub


def keyword(call: ast.Call, name: str) -> Optional[ast.keyword]:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def has_star_kwargs(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)


def assignment(ctx: ModuleContext, name: ast.Name, scope: Optional[ast.AST] = None
               ) -> Tuple[Optional[ast.AST], Optional[int]]:
    """The value last assigned to ``name`` above its use, in the same function (or module), and
    the position ``name`` took when the value was unpacked (``_, top = x.topk(k)``: 1). ``scope``:
    the function the use is in when the caller knows it (saves building the parent map)."""
    if scope is None:
        scope = enclosing_scope(ctx, name)
    best: Tuple[Optional[ast.AST], Optional[int]] = (None, None)
    for line, value, index in _assignments(ctx, scope).get(name.id, ()):
        if line >= name.lineno:
            break
        best = (value, index)
    return best


_ASSIGNMENTS = "_astutil.assignments"
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _assignments(ctx: ModuleContext, scope: ast.AST) -> Dict[str, List[Tuple[int, ast.AST, Optional[int]]]]:
    """name -> [(line, value, position when unpacked)] of the scope's own assignments, by line; built
    once per scope (nested functions and classes are scopes of their own)."""
    table = ctx.state.setdefault(_ASSIGNMENTS, {})
    found = table.get(id(scope))
    if found is None:
        found = table[id(scope)] = {}
        stack = list(getattr(scope, "body", []) or []) if not isinstance(scope, ast.Lambda) else []
        while stack:
            node = stack.pop()
            if isinstance(node, _NESTED):
                continue
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, []).append((node.lineno, node.value, None))
                    elif isinstance(target, (ast.Tuple, ast.List)):
                        for index, element in enumerate(target.elts):
                            if isinstance(element, ast.Name):
                                found.setdefault(element.id, []).append((node.lineno, node.value, index))
            stack.extend(child for child in ast.iter_child_nodes(node)
                         if isinstance(child, (ast.stmt, ast.excepthandler)))
        for entries in found.values():
            entries.sort(key=lambda entry: entry[0])
    return found


def assigned_value(ctx: ModuleContext, name: ast.Name, scope: Optional[ast.AST] = None) -> Optional[ast.AST]:
    """The value last assigned to ``name`` as a whole (None when it came from unpacking)."""
    value, index = assignment(ctx, name, scope)
    return value if index is None else None

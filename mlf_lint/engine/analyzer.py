"""The single walk: one pass over a module's ``ast`` dispatching to every enabled rule."""
from __future__ import annotations

import ast
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Set, Tuple

from mlf_lint.engine.astwalk import LEAVES, fields_of
from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.evaluate import UNKNOWN, literal
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.engine.training import inference_name, off_training_path, opens_no_grad, training_branch

_SCOPE_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_EXIT_NO_GRAD = object()
_ENTER_NO_GRAD = object()
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class _LeaveScope:
    """Pushed below a scope's children: popping it makes the enclosing scope current again."""

    __slots__ = ("previous",)

    def __init__(self, previous: ast.AST) -> None:
        self.previous = previous


_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "type_ignores"})
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal})
_FIELDS: Dict[type, Tuple[str, ...]] = {}  # pushed below a no-grad region's children; popping it leaves the region


def _opens_no_grad(ctx: ModuleContext, node: ast.AST) -> bool:
    """A region where no backward pass runs: no_grad/inference_mode, or a function named for
    inference or found (by the fact pass) to be called only where no backward pass runs."""
    if node.__class__ is not ast.With and node.__class__ is not ast.AsyncWith:
        if inference_name(node.name) or node.name in ctx.quiet_functions:  # type: ignore[attr-defined]
            return True
    return opens_no_grad(ctx.imports.resolve, node)


class Dispatch:
    """Handlers indexed by what they listen to, built once per set of enabled rules."""

    def __init__(self, rules: Iterable[CodeRule]) -> None:
        self.rules: List[CodeRule] = list(rules)
        self.calls: Dict[str, List[CodeRule]] = defaultdict(list)
        self.methods: Dict[str, List[CodeRule]] = defaultdict(list)
        self.builtins: Dict[str, List[CodeRule]] = defaultdict(list)
        self.assigns: Dict[str, List[CodeRule]] = defaultdict(list)
        self.assign_prefixes: Dict[str, List[CodeRule]] = defaultdict(list)
        self.assign_attrs: Dict[str, List[CodeRule]] = defaultdict(list)
        self.enders: List[CodeRule] = []
        keywords: Set[str] = set()
        gated: List[Tuple[Tuple[str, ...], Tuple[str, ...]]] = []
        for rule in self.rules:
            for name in rule.calls:
                self.calls[name].append(rule)
            for name in rule.methods:
                self.methods[name].append(rule)
            for name in rule.builtins:
                self.builtins[name].append(rule)
            for name in rule.assigns:
                if name.endswith(".*"):
                    self.assign_prefixes[name[:-2]].append(rule)
                else:
                    self.assigns[name].append(rule)
            for name in rule.assign_attrs:
                self.assign_attrs[name].append(rule)
            if rule.wants_end:
                self.enders.append(rule)
            if rule.also:
                gated.append((rule.keywords, rule.also))
            else:
                keywords.update(rule.keywords)
        self.keywords: Tuple[str, ...] = tuple(sorted(keywords))
        # Rules that need a keyword and one of their own words, grouped by keyword set.
        self.gated: List[Tuple[Tuple[str, ...], Tuple[str, ...]]] = gated

    def wants(self, source: str) -> bool:
        """The text pre-filter: False when no enabled rule could match anything in ``source``."""
        # The gated rules first: their keyword ("torch") is in most modules of ML code, and their
        # words, most common first, usually answer after a few tests.
        return any(any(k in source for k in words) and any(a in source for a in also)
                   for words, also in self.gated) or any(k in source for k in self.keywords)


def _prepass(ctx: ModuleContext, body: List[ast.stmt]) -> None:
    """Module-level imports, constants and definitions, so uses above them in the walk resolve."""
    for stmt in body:
        if isinstance(stmt, ast.Import):
            ctx.imports.add_import(stmt)
        elif isinstance(stmt, ast.ImportFrom):
            ctx.imports.add_import_from(stmt)
        elif isinstance(stmt, _SCOPE_DEFS):
            ctx.imports.add_local(stmt.name)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            value = literal(stmt.value, ctx.constants)
            if value is not UNKNOWN:
                ctx.constants[stmt.targets[0].id] = value
        elif isinstance(stmt, (ast.If, ast.Try)):
            _prepass(ctx, stmt.body)
            for handler in getattr(stmt, "handlers", ()):
                _prepass(ctx, handler.body)
            _prepass(ctx, stmt.orelse)


def _visit_call(ctx: ModuleContext, dispatch: Dispatch, node: ast.Call) -> None:
    func = node.func
    qualname = ctx.imports.resolve(func)
    if qualname is not None:
        for rule in dispatch.calls.get(qualname, ()):
            rule.on_call(ctx, node, qualname)
    elif isinstance(func, ast.Attribute):
        rules = dispatch.methods.get(func.attr)
        if rules:
            for rule in rules:
                rule.on_method(ctx, node, func.attr)
    elif func.__class__ is ast.Name:
        rules = dispatch.builtins.get(func.id)  # type: ignore[attr-defined]
        if rules and func.id not in ctx.imports.local_defs:  # type: ignore[attr-defined]
            for rule in rules:
                rule.on_call(ctx, node, "builtins." + func.id)  # type: ignore[attr-defined]


def _visit_assign(ctx: ModuleContext, dispatch: Dispatch, targets: List[ast.AST], value: ast.AST) -> None:
    for target in targets:
        if isinstance(target, ast.Attribute):
            qualname = ctx.imports.resolve(target)
            if qualname is not None:
                for rule in dispatch.assigns.get(qualname, ()):
                    rule.on_assign(ctx, target, value, qualname)
                owner = qualname.rpartition(".")[0]
                for rule in dispatch.assign_prefixes.get(owner, ()):
                    rule.on_assign(ctx, target, value, qualname)
            else:
                for rule in dispatch.assign_attrs.get(target.attr, ()):
                    rule.on_assign(ctx, target, value, target.attr)
        elif isinstance(target, ast.Name):
            if isinstance(value, ast.Call):
                qualname = ctx.imports.resolve(value.func)
                if qualname is not None:
                    ctx.assigned_calls[target.id] = qualname
                else:
                    ctx.assigned_calls.pop(target.id, None)
            else:
                ctx.assigned_calls.pop(target.id, None)


def analyze_tree(tree: ast.Module, path: str, source: str, facts: ProjectFacts, dispatch: Dispatch,
                 enabled: Optional[Set[str]] = None, quiet_functions: Iterable[str] = ()
                 ) -> Tuple[List[Finding], Set[str]]:
    """Findings for one module, and the names of the project facts they depend on.
    ``quiet_functions``: functions of this module that run only where no backward pass runs."""
    ctx = ModuleContext(path, source, tree, facts, enabled)
    ctx.quiet_functions = frozenset(quiet_functions)
    ctx.off_training_path = off_training_path(path)
    _prepass(ctx, tree.body)
    Call, Assign, AnnAssign = ast.Call, ast.Assign, ast.AnnAssign
    Import, ImportFrom = ast.Import, ast.ImportFrom
    regions = (ast.With, ast.AsyncWith, ast.FunctionDef, ast.AsyncFunctionDef)
    scopes = _SCOPES
    exit_marker, enter_marker = _EXIT_NO_GRAD, _ENTER_NO_GRAD
    If = ast.If
    AST = ast.AST
    leaves = LEAVES
    stack: List[ast.AST] = list(reversed(tree.body))
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if node is exit_marker:
            ctx.no_grad -= 1
            continue
        if node is enter_marker:
            ctx.no_grad += 1
            continue
        kind = type(node)
        if kind is _LeaveScope:
            ctx.scope = node.previous  # type: ignore[attr-defined]
            continue
        if kind in scopes:
            push(_LeaveScope(ctx.scope))
            ctx.scope = node
        if kind in regions and _opens_no_grad(ctx, node):
            ctx.no_grad += 1
            push(exit_marker)
        elif kind is If:
            branch = training_branch(node.test)
            if branch is not None:
                # The branch that runs outside training is a region without backward passes.
                quiet, loud = (node.orelse, node.body) if branch else (node.body, node.orelse)
                if quiet:
                    push(exit_marker)
                    stack.extend(reversed(quiet))
                    push(enter_marker)
                stack.extend(reversed(loud))
                push(node.test)
                continue
        if kind is Call:
            _visit_call(ctx, dispatch, node)
        elif kind is Assign:
            _visit_assign(ctx, dispatch, node.targets, node.value)
        elif kind is AnnAssign and node.value is not None:
            _visit_assign(ctx, dispatch, [node.target], node.value)
        elif kind is Import:
            ctx.imports.add_import(node)
        elif kind is ImportFrom:
            ctx.imports.add_import_from(node)
        # Children in reverse so that they pop in source order. Leaves (names, constants) and
        # the ctx/op fields are never pushed: no rule listens to them and they are most nodes.
        # (astwalk.children inlined: this loop runs once per node of every file.)
        children = []
        for field in fields_of(kind):
            value = getattr(node, field, None)
            if value.__class__ is list:
                for item in value:
                    if item.__class__ not in leaves and isinstance(item, AST):
                        children.append(item)
            elif value is not None and value.__class__ not in leaves and isinstance(value, AST):
                children.append(value)
        if children:
            children.reverse()
            stack.extend(children)
    for rule in dispatch.enders:
        rule.on_end(ctx)
    return ctx.findings, ctx.facts.used

"""Fixes for the Lightning rules: Trainer flags set after construction, seed_everything arguments."""
from __future__ import annotations

from typing import List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from mlf_lint.fix.edits import (FixContext, Fixer, Plan, argument, callee_name, chain, has_star_args,
                                is_name, remove, set_argument, set_keyword)

# flag -> the value that restores determinism; the other value would make the run less repeatable.
_FLAG_VALUES = {"deterministic": "True", "benchmark": "False"}


class _Bindings(cst.CSTVisitor):
    """Names a piece of code (re)binds: assignments, loops, with-as, walrus, imports, del."""

    def __init__(self) -> None:
        self.names: Set[str] = set()

    def _add_target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._add_target(element.value)
        elif isinstance(target, cst.StarredElement):
            self._add_target(target.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._add_target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._add_target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._add_target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._add_target(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        if isinstance(node.name, cst.BaseExpression):
            self._add_target(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._add_target(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._add_target(node.target)

    def visit_Global(self, node: cst.Global) -> None:
        self.names.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.names.update(item.name.value for item in node.names)


def binds(nodes: Sequence[cst.CSTNode], name: str) -> bool:
    visitor = _Bindings()
    for node in nodes:
        node.visit(visitor)
    return name in visitor.names


def _trainer_call(statement: cst.BaseStatement, name: str) -> Optional[cst.Call]:
    """``name = ...Trainer(...)`` as the only statement on its line, else None."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    assign = statement.body[0]
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    if not is_name(assign.targets[0].target, name) or not isinstance(assign.value, cst.Call):
        return None
    return assign.value if callee_name(assign.value) == "Trainer" else None


def plan_flag_into_constructor(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
    """``trainer.deterministic = True`` after ``trainer = Trainer(...)`` in the same block: move it
    into the call. Only when that call is the one binding of the name before it in the block."""
    assert isinstance(node, cst.Attribute)
    flag, receiver = node.attr.value, node.value
    holder = ctx.parent(node)
    assign = ctx.parent(holder) if isinstance(holder, cst.AssignTarget) else None
    line = ctx.parent(assign) if assign is not None else None
    block = ctx.parent(line) if line is not None else None
    if (not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or not isinstance(receiver, cst.Name)
            or flag not in _FLAG_VALUES or not is_name(assign.value, _FLAG_VALUES[flag])
            or not isinstance(line, cst.SimpleStatementLine)
            or not isinstance(block, (cst.Module, cst.IndentedBlock))):
        return None
    body: Sequence[cst.BaseStatement] = block.body
    index = next((i for i, statement in enumerate(body) if statement is line), None)
    if index is None:
        return None
    found: List[Tuple[int, cst.Call]] = []
    for i in range(index - 1, -1, -1):
        call = _trainer_call(body[i], receiver.value)
        if call is not None:
            found.append((i, call))
            break
        if binds([body[i]], receiver.value):
            return None  # rebound in between (or conditionally): not clearly the same Trainer
    if not found:
        return None
    start, call = found[0]
    siblings = [s for s in line.body if s is not assign]
    if has_star_args(call) or binds(siblings, receiver.value) or binds([call], receiver.value):
        return None
    statement: cst.CSTNode = assign if siblings else line
    return {call: set_keyword(flag, _FLAG_VALUES[flag]), statement: remove}


def plan_workers(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
    assert isinstance(node, cst.Call)
    if has_star_args(node):
        return None
    return {node: set_argument("workers", 1, "True", as_keyword=True)}


def plan_seed(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
    assert isinstance(node, cst.Call)
    if has_star_args(node):
        return None
    seed = argument(node, "seed", 0)
    if seed is not None and not is_name(seed.value, "None"):
        return None
    return {node: chain(set_argument("seed", 0, "0"), _add_workers_if_missing)}


def _add_workers_if_missing(node: cst.CSTNode) -> Union[cst.CSTNode, cst.RemovalSentinel]:
    assert isinstance(node, cst.Call)
    if argument(node, "workers", 1) is not None:
        return node
    return set_keyword("workers", "True")(node)


FIXERS = (
    Fixer("MLF142", True, "pass the flag to Trainer(...) and drop the assignment that has no effect",
          cst.Attribute, plan_flag_into_constructor, reach="module"),
    Fixer("MLF143", False, "pass workers=True to seed_everything", cst.Call, plan_workers),
    Fixer("MLF144", False, "seed with 0 and workers=True (choose your own seed)", cst.Call, plan_seed),
)

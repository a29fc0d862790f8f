"""Building blocks of fixes: a plan maps nodes of the parsed module to rewrites of those nodes.

A rewrite receives the node as the transformer leaves it (children already rewritten), so two
fixes on nested nodes compose, e.g. ``sorted()`` around a call whose argument another fix edits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional, Sequence, Type, Union

import libcst as cst

Rewrite = Callable[[cst.CSTNode], Union[cst.CSTNode, cst.RemovalSentinel]]
Plan = Dict[cst.CSTNode, Rewrite]


class FixContext:
    """What a fixer may look at besides the node: parents and the whole module."""

    def __init__(self, module: cst.Module, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> None:
        self.module = module
        self._parents = parents

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self._parents.get(node)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


@dataclass(frozen=True)
class Fixer:
    code: str
    safe: bool          # True: behaviour unchanged apart from the determinism restored
    description: str
    target: Type[cst.CSTNode]   # the node type the rule's finding points at
    plan: Callable[[cst.CSTNode, FixContext], Optional[Plan]]
    # "statement": the plan only looks inside the statement around the finding; "module": it looks
    # at the statements around it (siblings in the block), so it is given the whole module.
    reach: str = "statement"


# -- predicates -----------------------------------------------------------------------------------
def is_name(node: Optional[cst.CSTNode], value: str) -> bool:
    return isinstance(node, cst.Name) and node.value == value


def callee_name(call: cst.Call) -> Optional[str]:
    """The last name of the called expression: ``np.random.default_rng`` -> ``default_rng``."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def positional(call: cst.Call) -> Sequence[cst.Arg]:
    return [arg for arg in call.args if arg.keyword is None and not arg.star]


def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def argument(call: cst.Call, name: str, pos: int) -> Optional[cst.Arg]:
    """The argument passed as ``name=`` or at position ``pos``."""
    found = keyword(call, name)
    if found is not None:
        return found
    args = positional(call)
    return args[pos] if len(args) > pos else None


# -- rewrites ---------------------------------------------------------------------------------------
def _new_keyword(name: str, value: str, comma: Union[cst.Comma, cst.MaybeSentinel]) -> cst.Arg:
    return cst.Arg(value=cst.parse_expression(value), keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")),
                   comma=comma)


def _append(call: cst.Call, new_arg: Callable[[Union[cst.Comma, cst.MaybeSentinel]], cst.Arg]) -> cst.Call:
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new_arg(cst.MaybeSentinel.DEFAULT)])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        # A trailing comma (one argument per line): the new argument takes the last one's comma and
        # layout, the last one takes its predecessor's, so the call keeps its shape.
        before = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else \
            cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        args[-1] = last.with_changes(comma=before)
        return call.with_changes(args=[*args, new_arg(last.comma)])
    return call.with_changes(args=[*args, new_arg(cst.MaybeSentinel.DEFAULT)])


def set_keyword(name: str, value: str) -> Rewrite:
    """``name=value``: replaces the value when the keyword is there, appends it otherwise."""

    def rewrite(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        existing = keyword(node, name)
        if existing is not None:
            new_args = [arg.with_changes(value=cst.parse_expression(value)) if arg is existing else arg
                        for arg in node.args]
            return node.with_changes(args=new_args)
        return _append(node, lambda comma: _new_keyword(name, value, comma))

    return rewrite


def set_argument(name: str, pos: int, value: str, as_keyword: bool = False) -> Rewrite:
    """Give the argument ``name`` (position ``pos``) the value: replaced where passed, else added.

    Added positionally when every earlier positional argument is there (``default_rng()`` ->
    ``default_rng(0)``), otherwise (or with ``as_keyword``) as ``name=value``.
    """

    def rewrite(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        current = argument(node, name, pos)
        if current is not None:
            new_value = cst.parse_expression(value)
            return node.with_changes(args=[a.with_changes(value=new_value) if a is current else a
                                           for a in node.args])
        args = positional(node)
        if as_keyword or len(args) != pos or has_star_args(node):
            return set_keyword(name, value)(node)
        new = cst.Arg(value=cst.parse_expression(value))
        index = node.args.index(args[-1]) + 1 if args else 0
        if index < len(node.args):
            new = new.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            return node.with_changes(args=[*node.args[:index], new, *node.args[index:]])
        return _append(node, lambda comma: new.with_changes(comma=comma))

    return rewrite


def rename(value: str) -> Rewrite:
    def rewrite(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Name)
        return node.with_changes(value=value)

    return rewrite


def remove(node: cst.CSTNode) -> cst.RemovalSentinel:
    return cst.RemovalSentinel.REMOVE


def wrap_call(function: str) -> Rewrite:
    """``expr`` -> ``function(expr)``; the parentheses of ``(expr)`` stay outside."""

    def rewrite(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.BaseExpression)
        inner = node.with_changes(lpar=[], rpar=[])
        return cst.Call(func=cst.Name(function), args=[cst.Arg(value=inner)],
                        lpar=node.lpar, rpar=node.rpar)

    return rewrite


def chain(*rewrites: Rewrite) -> Rewrite:
    def rewrite(node: cst.CSTNode) -> Union[cst.CSTNode, cst.RemovalSentinel]:
        result: Union[cst.CSTNode, cst.RemovalSentinel] = node
        for step in rewrites:
            if isinstance(result, cst.RemovalSentinel):
                return result
            result = step(result)
        return result

    return rewrite

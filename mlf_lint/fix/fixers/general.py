"""Fixes for the general rules: file-listing order (MLF010) and unseeded RNGs (MLF001/3/4/20)."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from mlf_lint.fix.edits import (FixContext, Fixer, Plan, argument, callee_name, has_star_args, is_name, keyword,
                                set_argument, wrap_call)

# These return lists, so sorted(...) returns the same type: safe anywhere.
_LIST_LISTINGS = ("listdir", "glob")
# These return iterators (iglob, Path.glob/rglob/iterdir): sorted() is a list, so only where the
# result is just iterated over. os.scandir is never wrapped: DirEntry objects do not compare.
_ITERATOR_LISTINGS = ("iglob", "glob", "rglob", "iterdir")


def _module_glob(call: cst.Call) -> bool:
    """``glob.glob(...)`` / ``glob(...)``, as opposed to ``Path(...).glob(...)``."""
    func = call.func
    if isinstance(func, cst.Name):
        return True
    return isinstance(func, cst.Attribute) and is_name(func.value, "glob")


# Consumers that take any iterable and behave the same given a list.
_ITERABLE_CONSUMERS = frozenset({"enumerate", "zip", "list", "tuple", "map", "filter"})


def _iterated(node: cst.CSTNode, ctx: FixContext) -> bool:
    """True where the iterator is only iterated, so a sorted list behaves the same."""
    parent = ctx.parent(node)
    if isinstance(parent, (cst.For, cst.CompFor)):
        return parent.iter is node
    call = ctx.parent(parent) if isinstance(parent, cst.Arg) else None
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and not parent.keyword \
        and not parent.star and call.func.value in _ITERABLE_CONSUMERS


def plan_sorted_listing(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
    assert isinstance(node, cst.Call)
    name = callee_name(node)
    if name == "listdir" or (name == "glob" and _module_glob(node)):
        return {node: wrap_call("sorted")}
    if name in _ITERATOR_LISTINGS and _iterated(node, ctx):
        return {node: wrap_call("sorted")}
    return None


def _seed_first_argument(*names: str):
    """A plan that passes 0 as the first parameter, which these calls name one of ``names``
    (``random.seed(a=None)``, ``np.random.seed(seed=None)``, ``random.Random(x=None)``)."""

    def plan(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
        assert isinstance(node, cst.Call)
        if has_star_args(node):
            return None
        name = next((n for n in names if keyword(node, n) is not None), names[0])
        current = argument(node, name, 0)
        if current is not None and not is_name(current.value, "None"):
            return None  # seeded from something the rule dislikes (a clock): the user must choose
        return {node: set_argument(name, 0, "0")}

    return plan


def plan_random_state(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
    assert isinstance(node, cst.Call)
    if has_star_args(node):
        return None  # random_state may come in through **params
    current = argument(node, "random_state", 10_000)
    if current is not None and not is_name(current.value, "None"):
        return None
    return {node: set_argument("random_state", 10_000, "0", as_keyword=True)}


FIXERS = (
    Fixer("MLF001", False, "seed random with 0 (choose your own seed)", cst.Call, _seed_first_argument("a", "seed")),
    Fixer("MLF003", False, "seed default_rng with 0 (choose your own seed)", cst.Call,
          _seed_first_argument("seed")),
    Fixer("MLF004", False, "seed the generator with 0 (choose your own seed)", cst.Call,
          _seed_first_argument("seed", "x")),
    Fixer("MLF010", True, "sort the file listing", cst.Call, plan_sorted_listing),
    Fixer("MLF020", False, "pass random_state=0 (choose your own seed)", cst.Call, plan_random_state),
)

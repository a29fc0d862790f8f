"""Fixes for the PyTorch and cuDNN rules (MLF12x)."""
from __future__ import annotations

import difflib
from typing import List, Optional

import libcst as cst

from mlf_lint.fix.edits import FixContext, Fixer, Plan, is_name, keyword, rename


def _single_assignment(target: cst.CSTNode, ctx: FixContext) -> Optional[cst.Assign]:
    """The ``x = value`` whose only target is ``target`` (``a = b = True`` would change ``a`` too)."""
    holder = ctx.parent(target)
    assign = ctx.parent(holder) if isinstance(holder, cst.AssignTarget) else None
    if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
        return assign
    return None


def plan_benchmark_off(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
    assign = _single_assignment(node, ctx)
    if assign is None or not is_name(assign.value, "True"):
        return None  # a computed value: the intent is not visible, leave it to the user
    return {assign.value: rename("False")}


def cudnn_attribute_matches(attr: str) -> List[str]:
    from mlf_lint.rules.pytorch.cudnn import KNOWN_ATTRIBUTES

    # n=2: a fix is only safe when exactly one real attribute is close.
    return difflib.get_close_matches(attr, sorted(KNOWN_ATTRIBUTES), n=2, cutoff=0.6)


def plan_cudnn_spelling(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
    assert isinstance(node, cst.Attribute)
    matches = cudnn_attribute_matches(node.attr.value)
    if len(matches) != 1 or _single_assignment(node, ctx) is None:
        return None
    return {node.attr: rename(matches[0])}


_REMOVED = {"set_deterministic": "use_deterministic_algorithms",
            "is_deterministic": "are_deterministic_algorithms_enabled"}


def plan_removed_set_deterministic(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
    assert isinstance(node, cst.Call)
    func = node.func
    # Only the attribute form: `from torch import set_deterministic` also needs its import changed.
    if not isinstance(func, cst.Attribute) or func.attr.value not in _REMOVED:
        return None
    return {func.attr: rename(_REMOVED[func.attr.value])}


def plan_trainer_benchmark_off(node: cst.CSTNode, ctx: FixContext) -> Optional[Plan]:
    assert isinstance(node, cst.Call)
    arg = keyword(node, "benchmark")
    if arg is None or not is_name(arg.value, "True"):
        return None
    return {arg.value: rename("False")}


FIXERS = (
    Fixer("MLF120", True, "set torch.backends.cudnn.benchmark = False", cst.Attribute, plan_benchmark_off),
    Fixer("MLF121", True, "correct the misspelled cuDNN attribute", cst.Attribute, plan_cudnn_spelling),
    Fixer("MLF124", True, "use torch.use_deterministic_algorithms (set_deterministic was removed)",
          cst.Call, plan_removed_set_deterministic),
    Fixer("MLF140", True, "pass benchmark=False to the Trainer", cst.Call, plan_trainer_benchmark_off),
)

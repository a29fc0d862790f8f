"""Static evaluation of call arguments: literals and module-level constants (``MODE = "bicubic"``)."""
from __future__ import annotations

import ast
from typing import Any, Dict, Optional

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()
# Deeper than any constant a person writes, far below the recursion limit: `X = ------...1` with
# 1,500 signs compiles in CPython and must not crash the evaluator (it is UNKNOWN instead).
MAX_DEPTH = 32


def literal(node: ast.AST, constants: Dict[str, Any], depth: int = 0) -> Any:
    """The value of a literal or a module-level constant; UNKNOWN where it cannot be known (also
    for expressions nested deeper than MAX_DEPTH)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id, UNKNOWN)
    if depth >= MAX_DEPTH:
        return UNKNOWN
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = literal(node.operand, constants, depth + 1)
        return -value if isinstance(value, (int, float)) else UNKNOWN
    if isinstance(node, (ast.Tuple, ast.List)):
        values = [literal(e, constants, depth + 1) for e in node.elts]
        return UNKNOWN if any(v is UNKNOWN for v in values) else tuple(values)
    return UNKNOWN


def argument(call: ast.Call, name: Optional[str], pos: Optional[int]) -> Optional[ast.AST]:
    """The node passed as keyword ``name`` or at position ``pos``; None if not passed."""
    if name is not None:
        for kw in call.keywords:
            if kw.arg == name:
                return kw.value
    if pos is not None and pos < len(call.args):
        if not any(isinstance(a, ast.Starred) for a in call.args[: pos + 1]):
            return call.args[pos]
    return None


def has_star_kwargs(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)

"""Static evaluation of call arguments: literals and module-level constants (``MODE = "bicubic"``)."""
from __future__ import annotations

import ast
from typing import Any, Dict, Optional

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()


def literal(node: ast.AST, constants: Dict[str, Any]) -> Any:
    """The value of a literal or a module-level constant; UNKNOWN where it cannot be known."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id, UNKNOWN)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = literal(node.operand, constants)
        return -value if isinstance(value, (int, float)) else UNKNOWN
    if isinstance(node, (ast.Tuple, ast.List)):
        values = [literal(e, constants) for e in node.elts]
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

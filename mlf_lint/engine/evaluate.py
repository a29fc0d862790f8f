"""Static evaluation of call arguments: literals and module-level constants (``MODE = "bicubic"``)."""
from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional

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


def partial_text(node: ast.AST, constants: Dict[str, Any], unknown: str = "?") -> Optional[str]:
    """The text of a string expression with the parts that are not static replaced by ``unknown``:
    ``os.environ.get("X", "") + " --flag"`` -> ``"? --flag"``, ``f"{a} --flag"`` -> ``"? --flag"``,
    ``" ".join(["--a", b])`` -> ``"--a ?"``. None when no part of it is known."""
    parts: List[str] = []
    known = _text_parts(node, constants, unknown, parts)
    return "".join(parts) if known else None


def _text_parts(node: ast.AST, constants: Dict[str, Any], unknown: str, out: List[str], depth: int = 0) -> bool:
    value = literal(node, constants)
    if isinstance(value, str):
        out.append(value)
        return True
    if depth >= MAX_DEPTH:  # `"a" + "b" + ...` thousands deep: unknown, not a RecursionError
        out.append(unknown)
        return False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _text_parts(node.left, constants, unknown, out, depth + 1)
        return _text_parts(node.right, constants, unknown, out, depth + 1) or left
    if isinstance(node, ast.JoinedStr):
        known = False
        for part in node.values:
            if isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
                part = part.value  # type: ignore[assignment]
            known = _text_parts(part, constants, unknown, out, depth + 1) or known
        return known
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in ("strip", "lstrip", "rstrip") and not node.args:
        return _text_parts(func.value, constants, unknown, out, depth + 1)  # the flags survive, give or take a space
    if isinstance(func, ast.Attribute) and func.attr == "join" and isinstance(func.value, ast.Constant) \
            and isinstance(func.value.value, str) and len(node.args) == 1 \
            and isinstance(node.args[0], (ast.List, ast.Tuple)):
        known = False
        for index, item in enumerate(node.args[0].elts):
            if index:
                out.append(func.value.value)
            known = _text_parts(item, constants, unknown, out, depth + 1) or known
        return known
    out.append(unknown)
    return False

"""Child iteration for the engine's walks: the analyzer's single walk and the facts pass.

Names, constants and the ``ctx``/``op`` fields are most of a tree's nodes and no rule or fact
listens to them, so neither walk ever visits them.
"""
from __future__ import annotations

import ast
from typing import Dict, List, Tuple

SKIP_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "type_ignores"})
LEAVES = frozenset({ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal})
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def fields_of(kind: type) -> Tuple[str, ...]:
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in SKIP_FIELDS)
    return fields


def children(node: ast.AST) -> List[ast.AST]:
    """The child nodes worth visiting, in source order."""
    found = []
    for field in fields_of(node.__class__):
        value = getattr(node, field, None)
        if value.__class__ is list:
            found.extend(v for v in value if v.__class__ not in LEAVES and isinstance(v, ast.AST))
        elif value is not None and value.__class__ not in LEAVES and isinstance(value, ast.AST):
            found.append(value)
    return found

"""MLF020: scikit-learn randomness without ``random_state`` (table in sklearn.yaml)."""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Tuple


from mlf_lint.engine.context import ABSENT, UNKNOWN, ModuleContext
from mlf_lint.engine.registry import read_table
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general import astutil


@dataclass(frozen=True)
class Entry:
    name: str
    conditions: Tuple[Tuple[str, Tuple[Any, ...], Any], ...]  # (argument, values, default)
    what: str


@functools.lru_cache(maxsize=None)
def load_table() -> Dict[str, Entry]:
    raw = read_table(Path(__file__).parent / "sklearn.yaml")
    table: Dict[str, Entry] = {}
    for data in raw:
        conditions = tuple((c["arg"], tuple(c["in"]), c.get("default", ABSENT)) for c in data.get("when", ()))
        for module in data["modules"]:
            for name in data["names"]:
                table[f"{module}.{name}"] = Entry(name, conditions, data["what"])
    return table


class SklearnRandomState(CodeRule):
    codes = ("MLF020",)
    keywords = ("sklearn",)

    def __init__(self) -> None:
        self.table = load_table()
        self.calls = tuple(self.table)

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if astutil.has_star_kwargs(node):
            return  # Estimator(**params): random_state may be among them
        seed = astutil.keyword(node, "random_state")
        if seed is not None and ctx.arg(node, "random_state") is not None:
            return
        entry = self.table[qualname]
        for arg, values, default in entry.conditions:
            value = ctx.arg(node, arg)
            if value is ABSENT:
                value = default
            if value is UNKNOWN or value is ABSENT or value not in values:
                return
        ctx.report(node, "MLF020",
                   f"{entry.name} without random_state uses the global NumPy RNG: {entry.what}, so the "
                   f"result differs on every run. Pass random_state=SEED.")

"""MLF020: scikit-learn randomness without ``random_state`` (table in sklearn.yaml)."""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules import table
from mlf_lint.rules.general import astutil


@dataclass(frozen=True)
class Entry:
    conditions: Tuple[table.Condition, ...]
    what: str


@functools.lru_cache(maxsize=None)
def load_table() -> Dict[str, List[Entry]]:
    return table.index((data["functions"], Entry(table.conditions(data), data["what"]))
                       for data in table.load(Path(__file__).parent / "sklearn.yaml"))


class SklearnRandomState(CodeRule):
    codes = ("MLF020",)
    keywords = ("sklearn",)

    def __init__(self) -> None:
        self.entries = load_table()
        self.calls = tuple(self.entries)

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if astutil.has_star_kwargs(node):
            return  # Estimator(**params): random_state may be among them
        seed = astutil.keyword(node, "random_state")
        if seed is not None and ctx.arg(node, "random_state") is not None:
            return
        [entry] = self.entries[qualname]
        if not table.all_hold(entry.conditions, table.CallArguments(ctx, node)):
            return
        name = qualname.rsplit(".", 1)[1]
        ctx.report(node, "MLF020",
                   f"{name} without random_state uses the global NumPy RNG: {entry.what}, so the "
                   f"result differs on every run. Pass random_state=SEED.")

"""The PyTorch op table keyed by ATen operator: how ``mlf-lint audit`` judges what a run executed.

The same ``ops.yaml`` entries serve the static rule (``functions``/``methods`` and ``when``) and
the audit (``aten``/``aten_when``/``traced``/``cuda_runs``), so a behaviour, its version range,
its wording and its code are written once; both kinds of condition use the table grammar
(``rules/table.py``), read here from the arguments the audit recorded.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from mlf_lint.engine.evaluate import ABSENT
from mlf_lint.rules import table
from mlf_lint.rules.pytorch.ops import OpEntry, _entry

_PASSED = object()  # stands for an argument's node: the audit has values, not syntax


class RecordedArguments(table.Arguments):
    """An executed operator's arguments by schema name, as the audit's agent recorded them: plain
    values, ``tensor:<dtype>`` for a tensor, tuples for lists; the schema's defaults filled in."""

    def __init__(self, args: Dict[str, Any], first_dtype: str) -> None:
        self.args = args
        self.first_dtype = first_dtype

    def node(self, name: str, pos: Optional[int]) -> Any:
        return _PASSED if self.args.get(name) is not None else None

    def value(self, name: str, pos: Optional[int]) -> Any:
        return self.args.get(name, ABSENT)

    def dtypes(self, name: Optional[str]) -> Tuple[str, ...]:
        if name is None:
            return (self.first_dtype,) if self.first_dtype else ()
        return tuple(_tensor_dtypes(self.args.get(name)))


def _tensor_dtypes(value: Any) -> List[str]:
    if isinstance(value, str) and value.startswith("tensor:"):
        return [value[len("tensor:"):]]
    if isinstance(value, (list, tuple)):
        return [d for v in value for d in _tensor_dtypes(v)]
    return []


@dataclass(frozen=True)
class AtenEntry:
    entry: OpEntry
    order: int                          # position in ops.yaml: the first matching entry wins
    aten: Tuple[str, ...]
    conditions: Tuple[table.Condition, ...]
    traced: Tuple[str, ...]
    cuda_runs: str
    warn_only_fixes: bool               # fixable: does warn_only=True mode already fix it?

    def matches(self, args: Dict[str, Any], first_dtype: str, result_dtype: Optional[str]) -> bool:
        if self.entry.integer_ok and result_dtype and table.dtype_class(result_dtype) != "floating":
            return False  # integer accumulation is exact in any order
        return table.all_hold(self.conditions, RecordedArguments(args, first_dtype))


@dataclass(frozen=True)
class AtenIndex:
    by_operator: Dict[str, Tuple[AtenEntry, ...]]   # "name" or "name.overload"
    by_traced: Dict[str, Tuple[AtenEntry, ...]]     # qualified Python function

    def candidates(self, operator: str, span: Optional[str]) -> List[AtenEntry]:
        """Entries that may judge ``operator`` (``name`` or ``name.overload``), in table order."""
        packet = operator.split(".", 1)[0]
        found = {id(e): e for e in self.by_operator.get(operator, ())}
        found.update({id(e): e for e in self.by_operator.get(packet, ())})
        if span:
            found.update({id(e): e for e in self.by_traced.get(span, ())})
        return sorted(found.values(), key=lambda e: e.order)

    @property
    def operators(self) -> List[str]:
        return sorted(self.by_operator)

    @property
    def traced(self) -> List[str]:
        return sorted(self.by_traced)


@functools.lru_cache(maxsize=None)
def load_aten_index() -> AtenIndex:
    items = [AtenEntry(entry=_entry(data), order=order, aten=tuple(data.get("aten", ())),
                       conditions=table.conditions(data, "aten_when"), traced=tuple(data.get("traced", ())),
                       cuda_runs=data.get("cuda_runs", ""), warn_only_fixes=bool(data.get("warn_only_fixes", True)))
             for order, data in enumerate(table.load(Path(__file__).parent / "ops.yaml"))
             if data.get("aten") or data.get("traced")]
    by_operator = table.index((item.aten, item) for item in items)
    by_traced = table.index((item.traced, item) for item in items)
    return AtenIndex({k: tuple(v) for k, v in by_operator.items()}, {k: tuple(v) for k, v in by_traced.items()})

"""The PyTorch op table keyed by ATen operator: how ``mlf-lint audit`` judges what a run executed.

The same ``ops.yaml`` entries serve the static rule (``functions``/``methods`` and ``when``) and
the audit (``aten``/``aten_when``/``traced``/``cuda_runs``), so a behaviour, its version range,
its wording and its code are written once.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mlf_lint.engine.registry import read_table
from mlf_lint.rules.pytorch.ops import OpEntry, _entry

_INTEGER = frozenset({"uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"})


def dtype_class(dtype: str) -> str:
    """``floating``, ``integer`` or ``bool`` for a dtype name as the audit records it (``float32``)."""
    if dtype == "bool":
        return "bool"
    return "integer" if dtype in _INTEGER else "floating"


@dataclass(frozen=True)
class AtenCondition:
    """One ``aten_when`` item, tested against an operator's recorded arguments."""

    arg: Optional[str]
    present: Optional[bool] = None
    values: Optional[Tuple[Any, ...]] = None
    dtype: Optional[Tuple[str, ...]] = None   # "floating", "integer", "bool" or dtype names

    def holds(self, args: Dict[str, Any], first_dtype: str) -> bool:
        if self.arg is None:
            return self._dtype_matches([first_dtype])
        value = args.get(self.arg)
        if self.present is not None:
            return (value is not None) == self.present
        if self.values is not None:
            return value in self.values
        if self.dtype is not None:
            return self._dtype_matches(_tensor_dtypes(value))
        return True

    def _dtype_matches(self, dtypes: Sequence[str]) -> bool:
        wanted = self.dtype or ()
        return any(d in wanted or dtype_class(d) in wanted for d in dtypes if d)


def _tensor_dtypes(value: Any) -> List[str]:
    """``tensor:int64`` (as the agent records a tensor argument), or a list of them."""
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
    conditions: Tuple[AtenCondition, ...]
    traced: Tuple[str, ...]
    cuda_runs: str
    warn_only_fixes: bool               # fixable: does warn_only=True mode already fix it?

    def matches(self, args: Dict[str, Any], first_dtype: str, result_dtype: Optional[str]) -> bool:
        if self.entry.integer_ok and result_dtype and dtype_class(result_dtype) != "floating":
            return False  # integer accumulation is exact in any order
        return all(c.holds(args, first_dtype) for c in self.conditions)


def _condition(data: Dict[str, Any]) -> AtenCondition:
    dtype = data.get("dtype")
    if isinstance(dtype, str):
        dtype = [dtype]
    values = data.get("in")
    return AtenCondition(arg=data.get("arg"), present=data.get("present"),
                         values=tuple(values) if values is not None else None,
                         dtype=tuple(dtype) if dtype is not None else None)


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
    raw = read_table(Path(__file__).parent / "ops.yaml")
    by_operator: Dict[str, List[AtenEntry]] = {}
    by_traced: Dict[str, List[AtenEntry]] = {}
    for order, data in enumerate(raw):
        if not data.get("aten") and not data.get("traced"):
            continue
        item = AtenEntry(entry=_entry(data), order=order, aten=tuple(data.get("aten", ())),
                         conditions=tuple(_condition(c) for c in data.get("aten_when", ())),
                         traced=tuple(data.get("traced", ())), cuda_runs=data.get("cuda_runs", ""),
                         warn_only_fixes=bool(data.get("warn_only_fixes", True)))
        for name in data.get("aten", ()):
            by_operator.setdefault(name, []).append(item)
        for name in item.traced:
            by_traced.setdefault(name, []).append(item)
    return AtenIndex({k: tuple(v) for k, v in by_operator.items()}, {k: tuple(v) for k, v in by_traced.items()})

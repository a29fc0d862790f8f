"""Op and parameter tables as data: one loader and one ``when:`` grammar for every table (PyTorch and
TensorFlow ops.yaml, scikit-learn's sklearn.yaml, XGBoost's params.yaml).

An entry's ``when:`` is a list of conditions that must all hold. Each condition names an argument
and one test::

    {arg: mode, pos: 2, in: [bilinear], default: mean}   its value is one of these (``default``:
                                                         its value when it is not passed)
    {arg: nthread, also: [n_jobs], not_in: [1]}          its value is none of these
    {arg: weights, pos: 1, present: true}                it is passed (or, with false, not)
    {arg: src, pos: 3, tensor: true}                     it is passed and is not a number literal
    {arg: indices, dtype: integer}                       a tensor it holds has this dtype (a class:
                                                         floating, integer, bool; or a name: float16);
                                                         without ``arg``, the operation's first tensor

``pos`` is the argument's position (each table says what it counts from); ``also`` names other
spellings of the same argument, tried in order. A value that is not static (a variable, a call)
keeps an ``in`` condition from holding: the rule stays silent rather than guess. Each rule reads
the values its own way (a call's arguments, a params dict, an executed operator's recorded
arguments for ``mlf-lint audit``) through :class:`Arguments`; only the last knows dtypes.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, TypeVar

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.evaluate import ABSENT, UNKNOWN, argument
from mlf_lint.engine.registry import read_table

T = TypeVar("T")


class Arguments:
    """Where a rule's conditions read argument values from: the node passed (None when absent) and
    its static value (ABSENT when not passed, UNKNOWN when not static). ``opaque``: arguments may
    have been passed unseen (``**params``), so an absent one is unknown, not its default."""

    opaque = False

    def node(self, name: str, pos: Optional[int]) -> Optional[ast.AST]:
        raise NotImplementedError

    def value(self, name: str, pos: Optional[int]) -> Any:
        raise NotImplementedError

    def dtypes(self, name: Optional[str]) -> Tuple[str, ...]:
        """The dtypes of the tensors an argument holds (``name`` None: the first tensor); none when
        they are not known, as in source code."""
        return ()


_INTEGER = frozenset({"uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"})


def dtype_class(dtype: str) -> str:
    """``floating``, ``integer`` or ``bool`` for a dtype name (``float32``, ``int64``, ``bool``)."""
    if dtype == "bool":
        return "bool"
    return "integer" if dtype in _INTEGER else "floating"


class CallArguments(Arguments):
    """A call's arguments. ``shift``: how many positions the table counts that the call does not
    pass (a Tensor method's receiver is the table's position 0)."""

    def __init__(self, ctx: ModuleContext, call: ast.Call, shift: int = 0) -> None:
        self.ctx = ctx
        self.call = call
        self.shift = shift

    def _pos(self, pos: Optional[int]) -> Optional[int]:
        if pos is None or pos - self.shift < 0:
            return None
        return pos - self.shift

    def node(self, name: str, pos: Optional[int]) -> Optional[ast.AST]:
        return argument(self.call, name, self._pos(pos))

    def value(self, name: str, pos: Optional[int]) -> Any:
        return self.ctx.arg(self.call, name, self._pos(pos))


@dataclass(frozen=True)
class Condition:
    names: Tuple[str, ...]          # the argument, then its other spellings
    pos: Optional[int] = None
    present: Optional[bool] = None
    values: Optional[Tuple[Any, ...]] = None
    not_values: Optional[Tuple[Any, ...]] = None
    default: Any = ABSENT
    tensor: bool = False
    dtype: Optional[Tuple[str, ...]] = None

    @property
    def arg(self) -> str:
        return self.names[0]

    @classmethod
    def from_data(cls, data: Dict[str, Any]) -> "Condition":
        def values(key: str) -> Optional[Tuple[Any, ...]]:
            found = data.get(key)
            return tuple(found) if found is not None else None

        dtype = data.get("dtype")
        names = (data["arg"], *data.get("also", ())) if "arg" in data or "dtype" not in data else ()
        return cls(names=names, pos=data.get("pos"), present=data.get("present"),
                   values=values("in"), not_values=values("not_in"), default=data.get("default", ABSENT),
                   tensor=bool(data.get("tensor", False)),
                   dtype=(dtype,) if isinstance(dtype, str) else tuple(dtype) if dtype is not None else None)

    def holds(self, args: Arguments) -> bool:
        if self.dtype is not None:
            found = args.dtypes(self.names[0] if self.names else None)
            return any(d in self.dtype or dtype_class(d) in self.dtype for d in found)
        if self.present is not None or self.tensor:
            node = next((n for n in (args.node(name, self.pos) for name in self.names) if n is not None), None)
            if self.present is not None:
                return (node is not None) == self.present
            return node is not None and not isinstance(args.value(self.arg, self.pos), (int, float))
        value = ABSENT
        for name in self.names:
            value = args.value(name, self.pos)
            if value is not ABSENT:
                break
        if value is ABSENT:
            value = UNKNOWN if args.opaque else self.default
        if self.not_values is not None:
            return value is ABSENT or value not in self.not_values  # absent or not static: not one of them
        if value is UNKNOWN or value is ABSENT:
            return False  # not statically known: stay silent rather than guess
        return value in self.values  # type: ignore[operator]


def conditions(data: Dict[str, Any], key: str = "when") -> Tuple[Condition, ...]:
    """An entry's conditions: ``when`` for source code, ``aten_when`` for executed operators."""
    return tuple(Condition.from_data(cond) for cond in data.get(key, ()))


def all_hold(entry_conditions: Iterable[Condition], args: Arguments) -> bool:
    return all(cond.holds(args) for cond in entry_conditions)


def load(path: Path) -> List[Dict[str, Any]]:
    """A table's entries, in file order."""
    return list(read_table(path) or ())


def index(pairs: Iterable[Tuple[Iterable[str], T]]) -> Dict[str, List[T]]:
    """Entries by each qualified name they list, in table order."""
    table: Dict[str, List[T]] = {}
    for names, entry in pairs:
        for name in names:
            table.setdefault(name, []).append(entry)
    return table

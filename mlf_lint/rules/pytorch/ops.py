"""The op-table rule: every entry of ``ops.yaml`` is one behaviour of one op; no per-op code."""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple


from mlf_lint.engine.context import ABSENT, UNKNOWN, ModuleContext
from mlf_lint.engine.evaluate import argument
from mlf_lint.engine.registry import read_table
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.engine.versions import in_range
from mlf_lint.rules.general import astutil
from mlf_lint.rules.pytorch import tensor_facts

NONDETERMINISTIC = "MLF101"  # made deterministic by the mode; reported while the mode is off
RAISES = "MLF102"            # no deterministic implementation; RuntimeError under the mode


@dataclass(frozen=True)
class Condition:
    """One argument condition of an entry; see the field list at the top of ops.yaml."""

    arg: str
    pos: Optional[int]
    present: Optional[bool] = None
    values: Optional[Tuple[Any, ...]] = None
    not_values: Optional[Tuple[Any, ...]] = None
    default: Any = ABSENT
    tensor: bool = False
    length: Optional[Tuple[int, ...]] = None
    ndim_min: Optional[int] = None
    maybe_duplicate: bool = False

    def holds(self, ctx: ModuleContext, call: ast.Call, shift: int) -> bool:
        pos = None if self.pos is None else self.pos - shift
        if pos is not None and pos < 0:
            pos = None
        node = argument(call, self.arg, pos)
        if self.present is not None:
            return (node is not None) == self.present
        if self.tensor:
            # A tensor, as opposed to a Python number (value=1.0, repeats=x.shape[1]).
            return node is not None and not tensor_facts.is_scalar(ctx, node)
        if self.ndim_min is not None:
            return node is not None and tensor_facts.ndim_at_least(ctx, node, self.ndim_min)
        if self.maybe_duplicate:
            return node is not None and not tensor_facts.unique_indices(ctx, node)
        if self.length is not None:
            value = ctx.arg(call, self.arg, pos)
            return isinstance(value, tuple) and len(value) in self.length
        value = ctx.arg(call, self.arg, pos)
        if value is ABSENT:
            value = self.default
        if value is UNKNOWN or value is ABSENT:
            return False  # not statically known: stay silent rather than guess
        if self.not_values is not None:
            return value not in self.not_values
        return value in self.values  # type: ignore[operator]


@dataclass(frozen=True)
class OpEntry:
    name: str
    code: str
    kind: str
    device: str
    torch: str
    torchvision: str
    conditions: Tuple[Condition, ...]
    method_kw: Optional[str]
    what: str
    instead: str
    fixed_by_cudnn: bool
    backward_only: bool
    integer_ok: bool


def _as_tuple(values: Optional[List[Any]]) -> Optional[Tuple[Any, ...]]:
    """YAML lists as the tuples ``literal`` returns: ``[1, [1, 1]]`` -> ``(1, (1, 1))``."""
    if values is None:
        return None
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


def _entry(data: Dict[str, Any]) -> OpEntry:
    conditions = []
    for cond in data.get("when", ()):
        conditions.append(Condition(
            arg=cond["arg"], pos=cond.get("pos"), present=cond.get("present"),
            values=_as_tuple(cond.get("in")), not_values=_as_tuple(cond.get("not_in")),
            default=cond.get("default", ABSENT), tensor=bool(cond.get("tensor", False)),
            length=_as_tuple(cond.get("length")), ndim_min=cond.get("ndim_min"),
            maybe_duplicate=bool(cond.get("maybe_duplicate", False)),
        ))
    kind = data["kind"]
    return OpEntry(
        name=data["name"], code=data.get("code", NONDETERMINISTIC if kind == "fixable" else RAISES),
        kind=kind, device=data.get("device", "cuda"), torch=data.get("torch", ""),
        torchvision=data.get("torchvision", ""),
        conditions=tuple(conditions), method_kw=data.get("method_kw"), what=data["what"],
        instead=data["instead"], fixed_by_cudnn=bool(data.get("fixed_by_cudnn", False)),
        backward_only=bool(data.get("backward_only", False)), integer_ok=bool(data.get("integer_ok", False)),
    )


@functools.lru_cache(maxsize=None)
def load_table() -> Tuple[Dict[str, List[OpEntry]], Dict[str, List[OpEntry]]]:
    raw = read_table(Path(__file__).parent / "ops.yaml")
    functions: Dict[str, List[OpEntry]] = {}
    methods: Dict[str, List[OpEntry]] = {}
    for data in raw:
        entry = _entry(data)
        for name in data.get("functions", ()):
            functions.setdefault(name, []).append(entry)
        for name in data.get("methods", ()):
            methods.setdefault(name, []).append(entry)
    return functions, methods


_INTEGER_DTYPES = frozenset({"int8", "int16", "int32", "int64", "int", "long", "short", "uint8", "bool"})
_INTEGER_CASTS = frozenset({"long", "int", "short", "bool", "byte", "char"})


def _is_integer_dtype(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in _INTEGER_DTYPES


def _integer_input(call: ast.Call, shift: int) -> bool:
    """The input is visibly integer (``x.long()``, ``x.to(torch.int64)``, ``dtype=torch.long``):
    integer accumulation has no rounding, so its order cannot change the result."""
    if _is_integer_dtype(argument(call, "dtype", None)):
        return True
    if shift:  # a method: the receiver is the input
        source = call.func.value if isinstance(call.func, ast.Attribute) else None
    else:
        source = argument(call, "input", 0)
    if isinstance(source, ast.Call) and isinstance(source.func, ast.Attribute):
        if source.func.attr in _INTEGER_CASTS and not source.args:
            return True
        if source.func.attr in ("to", "type") and source.args and _is_integer_dtype(source.args[0]):
            return True
    return False


def _tests_cuda(test: ast.AST) -> bool:
    """``x.is_cuda`` (or ``x.device.type == "cuda"``)."""
    if isinstance(test, ast.Attribute):
        return test.attr == "is_cuda"
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) and \
        isinstance(test.left, ast.Attribute) and test.left.attr == "type" and \
        isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value == "cuda"


def _cpu_branch(ctx: ModuleContext, node: ast.AST) -> bool:
    """The call sits where the code has just established that the tensor is not on CUDA:
    the body of ``if not x.is_cuda:`` or the ``else:`` of ``if x.is_cuda:``."""
    child = node
    for up in astutil.ancestors(ctx, node):
        if isinstance(up, ast.If):
            test = up.test
            negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
            inner = test.operand if negated else test  # type: ignore[attr-defined]
            if _tests_cuda(inner) and (child in up.orelse) != negated:
                return True
        if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
        child = up
    return False


class OpTableRule(CodeRule):
    codes = (NONDETERMINISTIC, RAISES, "MLF103")
    keywords = ("torch",)

    def __init__(self) -> None:
        self.functions, self.method_entries = load_table()
        self.calls = tuple(self.functions)
        self.methods = tuple(self.method_entries)

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        self._check(ctx, node, self.functions[qualname], shift=0, shown=qualname)

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        if not ctx.imports_any("torch"):
            return  # a method of the same name on NumPy/pandas objects
        entries = [e for e in self.method_entries[method]
                   if e.method_kw is None or any(kw.arg == e.method_kw for kw in node.keywords)]
        self._check(ctx, node, entries, shift=1, shown=f"Tensor.{method}")

    def _check(self, ctx: ModuleContext, node: ast.Call, entries: List[OpEntry], shift: int, shown: str) -> None:
        for entry in entries:
            if entry.backward_only and ctx.no_grad:
                continue  # no backward pass runs under torch.no_grad() / inference_mode()
            if entry.integer_ok and _integer_input(node, shift):
                continue
            if entry.torch and not in_range(ctx.facts.version("torch"), entry.torch):
                continue
            if entry.torchvision and not in_range(ctx.facts.version("torchvision"), entry.torchvision):
                continue
            if not all(c.holds(ctx, node, shift) for c in entry.conditions):
                continue
            if entry.device == "cuda" and _cpu_branch(ctx, node):
                return  # `if not x.is_cuda:` — the CUDA kernel never runs here (last: it needs the parent map)
            self._report(ctx, node, entry, shown)
            return

    @staticmethod
    def _report(ctx: ModuleContext, node: ast.Call, entry: OpEntry, shown: str) -> None:
        mode_on = bool(ctx.facts.torch_deterministic)
        where = "on any device" if entry.device == "any" else "on a GPU"
        if entry.kind == "fixable":
            if mode_on or (entry.fixed_by_cudnn and ctx.facts.cudnn_deterministic):
                return
            ctx.report(node, entry.code,
                       f"{shown} is non-deterministic {where}: {entry.what}. "
                       f"Deterministic mode fixes it: {entry.instead}.")
        elif entry.kind == "varies":
            ctx.report(node, entry.code,
                       f"{shown} has no deterministic implementation {where}: {entry.what}, so results "
                       f"can differ run to run, and deterministic mode does not change that. "
                       f"Instead: {entry.instead}.")
        elif mode_on:
            ctx.report(node, entry.code,
                       f"{shown} raises RuntimeError under torch.use_deterministic_algorithms(True), "
                       f"which this project enables: {entry.what}. Instead: {entry.instead}.",
                       severity="error")
        else:
            ctx.report(node, entry.code,
                       f"{shown} has no deterministic implementation {where}: {entry.what}, so results "
                       f"can differ run to run, and under deterministic mode it raises RuntimeError. "
                       f"Instead: {entry.instead}.")

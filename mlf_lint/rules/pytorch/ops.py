"""The op-table rule: every entry of ``ops.yaml`` is one behaviour of one op; no per-op code."""
from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple


from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.evaluate import argument
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.engine.versions import in_range
from mlf_lint.rules import table
from mlf_lint.rules.pytorch import tensor_facts

NONDETERMINISTIC = "MLF101"  # made deterministic by the mode; reported while the mode is off
RAISES = "MLF102"            # no deterministic implementation; RuntimeError under the mode


@dataclass(frozen=True)
class OpEntry:
    name: str
    code: str
    kind: str
    device: str
    torch: str
    torchvision: str
    conditions: Tuple[table.Condition, ...]
    method_kw: Optional[str]
    what: str
    instead: str
    fixed_by_cudnn: bool
    backward_only: bool
    integer_ok: bool


def _entry(data: Dict[str, Any]) -> OpEntry:
    kind = data["kind"]
    return OpEntry(
        name=data["name"], code=data.get("code", NONDETERMINISTIC if kind == "fixable" else RAISES),
        kind=kind, device=data.get("device", "cuda"), torch=data.get("torch", ""),
        torchvision=data.get("torchvision", ""),
        conditions=table.conditions(data), method_kw=data.get("method_kw"), what=data["what"],
        instead=data["instead"], fixed_by_cudnn=bool(data.get("fixed_by_cudnn", False)),
        backward_only=bool(data.get("backward_only", False)), integer_ok=bool(data.get("integer_ok", False)),
    )


@functools.lru_cache(maxsize=None)
def load_table() -> Tuple[Dict[str, List[OpEntry]], Dict[str, List[OpEntry]]]:
    raw = [(data, _entry(data)) for data in table.load(Path(__file__).parent / "ops.yaml")]
    return (table.index((data.get("functions", ()), entry) for data, entry in raw),
            table.index((data.get("methods", ()), entry) for data, entry in raw))


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


# Methods whose result carries no gradient back: what feeds only into them needs no backward pass.
_NO_GRAD_CONSUMERS = frozenset({"argmax", "argmin", "long", "int", "short", "bool", "byte", "char", "round", "sign",
                                "detach", "numpy", "tolist", "item", "nonzero"})
# Methods that pass a tensor on unchanged for this purpose (a consumer after them still decides).
_PASS_THROUGH = frozenset({"to", "cpu", "cuda", "squeeze", "unsqueeze", "contiguous", "view", "reshape", "float",
                           "permute", "flatten", "clone"})
# Producers of tensors without a gradient: integer indices, argmax, detached values.
_NO_GRAD_SOURCES = frozenset({"torch.arange", "torch.argmax", "torch.argmin", "torch.nonzero", "torch.randint",
                              "torch.randperm", "torch.where"})


def no_gradient(ctx: ModuleContext, call: ast.Call, shift: int) -> bool:
    """The call's result only feeds ops without a gradient (``F.interpolate(x).argmax(1)``), or its
    input visibly carries none (an integer tensor, ``torch.arange``, ``x.argmax()``, ``x.detach()``)."""
    if _integer_input(call, shift):
        return True
    if shift:
        source = call.func.value if isinstance(call.func, ast.Attribute) else None
    else:
        source = argument(call, "input", 0)
    if isinstance(source, ast.Call):
        if ctx.resolve(source.func) in _NO_GRAD_SOURCES:
            return True
        if isinstance(source.func, ast.Attribute) and source.func.attr in _NO_GRAD_CONSUMERS:
            return True
    # What follows the call in the source: `F.interpolate(x)[0].to(d).argmax(1)`; or what encloses it:
    # `torch.argmax(F.interpolate(x), 1)`. Read from the text: no parent map is built per module.
    end_line, end_col = getattr(call, "end_lineno", None), getattr(call, "end_col_offset", None)
    if end_line is None or end_col is None:
        return False
    lines = _lines(ctx)
    after = lines[end_line - 1][end_col:] if end_line - 1 < len(lines) else ""
    if end_line < len(lines) and not after.strip():
        after += lines[end_line]  # a chained call on the next line
    if _CONSUMED.match(after):
        return True
    before = lines[call.lineno - 1][:call.col_offset] if call.lineno - 1 < len(lines) else ""
    return bool(_ENCLOSED.search(before))


def _lines(ctx: ModuleContext) -> List[str]:
    found = ctx.state.get("ops.lines")
    if found is None:
        found = ctx.state["ops.lines"] = ctx.source.split("\n")
    return found


_CONSUMED = re.compile(r"\s*(?:\[[^\]]*\]\s*|\.(?:%s)\([^()]*\)\s*)*\.(?:%s)\(" % (
    "|".join(sorted(_PASS_THROUGH)), "|".join(sorted(_NO_GRAD_CONSUMERS))))
_ENCLOSED = re.compile(r"(?:torch\.)?(?:argmax|argmin)\(\s*$")


_CUDA_TEST = re.compile(r"""^(not\s+)?\(?\s*[\w.\[\]()]+?(?:\.is_cuda|\.device\.type\s*==\s*["']cuda["'])\s*\)?$""")


_TRAILING_COMMENT = re.compile(r"\s+#[^'\"]*$")


def _cpu_branch(ctx: ModuleContext, node: ast.AST) -> bool:
    """The call sits where the code has just established that the tensor is not on CUDA: the body
    of ``if not x.is_cuda:`` or the ``else:`` of ``if x.is_cuda:``. Read from the lines above the
    call by indentation (no parent map per module), up to the enclosing ``def`` or ``class``."""
    lines = _lines(ctx)
    row = node.lineno - 1  # type: ignore[attr-defined]
    if row >= len(lines):
        return False
    level = len(lines[row]) - len(lines[row].lstrip())
    for number in range(row - 1, -1, -1):
        text = lines[number]
        stripped = _TRAILING_COMMENT.sub("", text.strip())
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(text) - len(text.lstrip())
        if indent >= level:
            continue
        level = indent  # a block header around the call
        if stripped.startswith(("def ", "async def ", "class ")):
            return False
        if stripped.startswith("if ") and stripped.endswith(":"):
            test = _CUDA_TEST.match(stripped[3:-1].strip())
            if test is not None and test.group(1):
                return True  # if not x.is_cuda:
        elif stripped == "else:":
            header = _header_above(lines, number, indent)
            if header is not None:
                test = _CUDA_TEST.match(header)
                if test is not None and not test.group(1):
                    return True  # if x.is_cuda: ... else:
    return False


def _header_above(lines: List[str], row: int, indent: int) -> Optional[str]:
    """The test of the ``if`` an ``else:`` at ``row`` belongs to (None when it is an ``elif`` chain)."""
    for number in range(row - 1, -1, -1):
        text = lines[number]
        stripped = _TRAILING_COMMENT.sub("", text.strip())
        if not stripped or stripped.startswith("#") or len(text) - len(text.lstrip()) > indent:
            continue
        if stripped.startswith("if ") and stripped.endswith(":"):
            return stripped[3:-1].strip()
        return None
    return None


def _reportable(ctx: ModuleContext, entry: OpEntry) -> bool:
    """The entry's code is enabled and the project does not already make the op deterministic."""
    if ctx.enabled is not None and entry.code not in ctx.enabled:
        return False
    if entry.kind == "fixable":
        return not (ctx.facts.torch_deterministic or (entry.fixed_by_cudnn and ctx.facts.cudnn_deterministic))
    return True


# Op names most modules of model code that name any name (counted on transformers and timm).
_COMMON = ("pad", "embedding", "Embedding", "gather", "scatter", "interpolate", "Conv2d", "cumsum",
           "repeat_interleave", "Conv1d", "index_add", "conv1d", "upsample", "index_select", "cross_entropy")


class OpTableRule(CodeRule):
    codes = (NONDETERMINISTIC, RAISES, "MLF103")
    keywords = ("torch",)

    def __init__(self) -> None:
        self.functions, self.method_entries = load_table()
        self.calls = tuple(self.functions)
        self.methods = tuple(self.method_entries)
        # A module can match only if it names an op of the table (however imported, the last part
        # of the name is in the text); "put" as a call, or every input/output would match.
        names = {name.rsplit(".", 1)[-1] for name in self.functions} | set(self.method_entries)
        words = {f"{n}(" if n in ("put", "put_") else n for n in names}
        # The names model code uses most first: the test stops at the first one a module names.
        self.also = tuple(sorted(words, key=lambda w: (_COMMON.index(w) if w in _COMMON else len(_COMMON), w)))

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
            if entry.backward_only and (ctx.no_grad or ctx.off_training_path or no_gradient(ctx, node, shift)):
                continue  # no backward pass runs through this call (engine/training.py)
            if entry.integer_ok and _integer_input(node, shift):
                continue
            if entry.torch and not in_range(ctx.facts.version("torch"), entry.torch):
                continue
            if entry.torchvision and not in_range(ctx.facts.version("torchvision"), entry.torchvision):
                continue
            if not table.all_hold(entry.conditions, tensor_facts.TensorArguments(ctx, node, shift)):
                continue
            if not _reportable(ctx, entry):
                return
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

"""Order that leaks into results: file listings in directory order, results in completion order.

A listing is reported only where its order visibly reaches a result: indexed, returned, enumerated,
turned into a list or array, or iterated by a loop that appends, extends, yields or writes. Wrapped
in sorted()/set()/len()/any()/all(), tested with ``in``, or sorted in place later: silent. Anything
else is "in doubt" and stays silent.
"""
from __future__ import annotations

import ast
from typing import Optional

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general import astutil

SAFE, LEAK, UNKNOWN = "safe", "leak", "unknown"
# Consumers that do not depend on the order of what they are given.
_ORDER_FREE = frozenset({"sorted", "set", "frozenset", "len", "any", "all", "sum", "max", "min", "bool",
                         "Counter", "natsorted", "os_sorted", "humansorted", "realsorted", "defaultdict"})
# Consumers that keep the order and hand it on: their own use decides.
_PASS_THROUGH = frozenset({"list", "tuple", "iter", "filter", "map", "reversed"})
# Consumers whose result depends on the order.
_ORDER_SINKS = frozenset({"enumerate", "zip", "array", "asarray", "from_tensor_slices", "DataFrame",
                          "shuffle", "choice", "sample", "train_test_split", "next", "stack", "concat",
                          "concatenate", "cycle", "islice", "chain"})
# Calls in a loop body that carry the iteration order into a result. Writes are left out: a loop
# that writes each entry to its own file is the common case, and order does not matter there.
_ORDERED_EFFECTS = frozenset({"append", "extend", "insert", "appendleft"})


def _callee(call: ast.Call) -> Optional[str]:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _loop_use(ctx: ModuleContext, loop: ast.AST) -> str:
    collected = set()  # lists the loop appends to
    for stmt in loop.body:  # type: ignore[attr-defined]
        for sub in ast.walk(stmt):
            if isinstance(sub, (ast.Yield, ast.YieldFrom)):
                return LEAK
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and \
                    sub.func.attr in _ORDERED_EFFECTS:
                receiver = sub.func.value
                if not isinstance(receiver, ast.Name):
                    return LEAK
                collected.add(receiver.id)
    if not collected:
        return UNKNOWN
    # out.append(...) in the loop, then sorted(out) / out.sort() after it: the order is restored.
    scope = astutil.enclosing_scope(ctx, loop)
    end = getattr(loop, "end_lineno", loop.lineno)  # type: ignore[attr-defined]
    restored = set()
    for sub in ast.walk(scope):
        if isinstance(sub, ast.Name) and sub.id in collected and sub.lineno > end:
            parent = astutil.parents(ctx).get(sub)
            if isinstance(parent, ast.Attribute) and parent.attr == "sort" or \
                    isinstance(parent, ast.Call) and _callee(parent) in ("sorted", "natsorted") and sub in parent.args:
                restored.add(sub.id)
    return UNKNOWN if restored == collected else LEAK


def use_of(ctx: ModuleContext, node: ast.AST, depth: int = 0, collecting_leaks: bool = False,
           follow_names: bool = True) -> str:
    """How the value of ``node`` is consumed: SAFE (order cannot matter), LEAK, or UNKNOWN.
    ``collecting_leaks``: building a list from it (list(...), a list comprehension) is a LEAK.
    ``follow_names``: an assignment to a variable is judged by the variable's uses (one level)."""
    if depth > 4:
        return UNKNOWN
    parent = astutil.parents(ctx).get(node)
    if isinstance(parent, ast.Call) and node in parent.args:
        name = _callee(parent)
        if name in _ORDER_FREE:
            return SAFE
        if name in _PASS_THROUGH:
            verdict = use_of(ctx, parent, depth + 1, collecting_leaks, follow_names)
            return LEAK if verdict == UNKNOWN and collecting_leaks and name in ("list", "tuple") else verdict
        if name in _ORDER_SINKS:
            return LEAK
        return UNKNOWN
    if isinstance(parent, ast.comprehension) and parent.iter is node:
        comp = astutil.parents(ctx).get(parent)
        if isinstance(comp, ast.SetComp):
            return SAFE
        if isinstance(comp, (ast.ListComp, ast.GeneratorExp)) and comp is not None:
            verdict = use_of(ctx, comp, depth + 1, collecting_leaks, follow_names)
            return LEAK if verdict == UNKNOWN and collecting_leaks and isinstance(comp, ast.ListComp) else verdict
        return UNKNOWN
    if isinstance(parent, ast.Compare) and node in parent.comparators and \
            all(isinstance(op, (ast.In, ast.NotIn)) for op in parent.ops):
        return SAFE
    if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
        return _loop_use(ctx, parent)
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return LEAK
    if isinstance(parent, (ast.Yield, ast.YieldFrom)):
        return LEAK
    # Returned: the caller decides (a thin listdir wrapper is common), so it stays in doubt.
    if isinstance(parent, ast.Assign) and follow_names and len(parent.targets) == 1 and \
            isinstance(parent.targets[0], ast.Name):
        return _name_use(ctx, parent.targets[0].id, parent)
    return UNKNOWN


def _name_use(ctx: ModuleContext, name: str, assign: ast.Assign) -> str:
    scope = astutil.enclosing_scope(ctx, assign)
    verdict = UNKNOWN
    for sub in ast.walk(scope):
        if not (isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Load)):
            continue
        if sub.lineno < assign.lineno:
            continue
        parent = astutil.parents(ctx).get(sub)
        if isinstance(parent, ast.Attribute) and parent.attr == "sort":
            return SAFE  # names.sort(): every later use sees a sorted list
        if _sorted_back(ctx, sub, name):
            return SAFE  # names = sorted(names)
        if use_of(ctx, sub, follow_names=False) == LEAK:
            verdict = LEAK
    return verdict


def _sorted_back(ctx: ModuleContext, use: ast.Name, name: str) -> bool:
    call = astutil.parents(ctx).get(use)
    if not (isinstance(call, ast.Call) and _callee(call) in ("sorted", "natsorted") and use in call.args):
        return False
    assign = astutil.parents(ctx).get(call)
    return isinstance(assign, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in assign.targets)


_LISTINGS = {
    "os.listdir": "os.listdir", "os.scandir": "os.scandir", "glob.glob": "glob.glob",
    "glob.iglob": "glob.iglob", "tensorflow.io.gfile.glob": "tf.io.gfile.glob",
    "tensorflow.io.gfile.listdir": "tf.io.gfile.listdir",
}


class FileListingOrder(CodeRule):
    """MLF010: directory listings come in file-system order."""

    codes = ("MLF010",)
    keywords = ("listdir", "scandir", "glob", "iterdir")
    calls = tuple(_LISTINGS)
    methods = ("glob", "rglob", "iterdir")
    wants_end = True
    _KEY = "MLF010.candidates"

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        ctx.state.setdefault(self._KEY, []).append((node, _LISTINGS[qualname] + "()"))

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        if ctx.imports_any("pathlib"):
            ctx.state.setdefault(self._KEY, []).append((node, f"Path.{method}()"))

    def on_end(self, ctx: ModuleContext) -> None:
        for node, shown in ctx.state.get(self._KEY, ()):
            if use_of(ctx, node) == LEAK:
                ctx.report(node, "MLF010",
                           f"{shown} returns entries in file-system order, which differs between machines "
                           "and file systems, and that order reaches the result here. Wrap it in sorted(...).")


class CompletionOrder(CodeRule):
    """MLF030: results collected in the order workers happen to finish."""

    codes = ("MLF030",)
    keywords = ("imap_unordered", "as_completed")
    calls = ("concurrent.futures.as_completed", "asyncio.as_completed")
    methods = ("imap_unordered",)
    wants_end = True
    _KEY = "MLF030.candidates"

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        ctx.state.setdefault(self._KEY, []).append((node, qualname.rsplit(".", 1)[1] + "()"))

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        ctx.state.setdefault(self._KEY, []).append((node, "Pool.imap_unordered()"))

    def on_end(self, ctx: ModuleContext) -> None:
        for node, shown in ctx.state.get(self._KEY, ()):
            if use_of(ctx, node, collecting_leaks=True) == LEAK:
                ctx.report(node, "MLF030",
                           f"{shown} yields results in the order workers finish, which changes from run to "
                           "run, and that order reaches the result here. Use an ordered map (Pool.imap / "
                           "executor.map) or sort the results by their input index.")

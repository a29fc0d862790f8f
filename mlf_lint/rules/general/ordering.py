"""Order that leaks into results: file listings in directory order, results in completion order.

A listing is reported only where its order visibly reaches a result: indexed, returned, enumerated,
turned into a list or array, or iterated by a loop that appends, extends, yields or writes. Wrapped
in sorted()/set()/len()/any()/all(), tested with ``in``, or sorted in place later: silent. Anything
else is "in doubt" and stays silent.
"""
from __future__ import annotations

import ast
import re
from typing import List, Optional

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.paths import is_test_file
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
                          "shuffle", "choice", "sample", "train_test_split", "stack", "concat",
                          "concatenate", "cycle", "islice", "chain"})
# next(listing): the "find the one file of this kind" idiom; which file comes first matters only
# when several match, and then the pattern, not the order, is the bug.
_FIND_ONE = frozenset({"next"})
# Calls in a loop body that carry the iteration order into a result. Writes are left out: a loop
# that writes each entry to its own file is the common case, and order does not matter there.
_ORDERED_EFFECTS = frozenset({"append", "extend", "insert", "appendleft"})


def _callee(call: ast.Call) -> Optional[str]:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _loop_use(ctx: ModuleContext, loop: ast.AST, listing: Optional[ast.AST] = None) -> str:
    collected = set()  # lists the loop appends to
    made_inside = set()  # lists (re)created in the loop body: one per iteration, order cannot accumulate
    for stmt in loop.body:  # type: ignore[attr-defined]
        for sub in ast.walk(stmt):
            if isinstance(sub, (ast.Yield, ast.YieldFrom)):
                return LEAK
            if isinstance(sub, ast.Assign):
                made_inside.update(t.id for t in sub.targets if isinstance(t, ast.Name))
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and \
                    sub.func.attr in _ORDERED_EFFECTS:
                receiver = sub.func.value
                if not isinstance(receiver, ast.Name):
                    return LEAK
                collected.add(receiver.id)
    collected -= made_inside
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
            elif _paired_with_listing(ctx, sub, listing):
                restored.add(sub.id)
    restored |= {name for name in collected - restored if _searched_only(ctx, scope, name, end)}
    return UNKNOWN if restored == collected else LEAK


def _targets(node: ast.AST) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _equality_search(loop: ast.AST) -> bool:
    """``for name, ext, path in entries: if key == name: ...``: every effect of the body sits under
    an equality test on the loop variable. Entry names in one folder are unique, so at most one
    entry matches each key and the order of the entries cannot show."""
    variables = _targets(loop.target)  # type: ignore[attr-defined]
    for stmt in loop.body:  # type: ignore[attr-defined]
        if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare) and \
                all(isinstance(op, ast.Eq) for op in stmt.test.ops) and \
                variables & _targets(stmt.test):
            continue
        if isinstance(stmt, (ast.Expr, ast.Assign, ast.AugAssign)) and not any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _ORDERED_EFFECTS
                for n in ast.walk(stmt)):
            continue  # bookkeeping that collects nothing
        return False
    return True


def _searched_only(ctx: ModuleContext, scope: ast.AST, name: str, after: int) -> bool:
    """The list built from a listing is only searched by equality afterwards, directly or as an
    element of another list (``all_lists.append(found)`` then ``for found in all_lists: for e in
    found: if key == e[0]``)."""
    uses = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == name and
            isinstance(n.ctx, ast.Load) and n.lineno > after]
    if not uses:
        return False
    for use in uses:
        parent = astutil.parents(ctx).get(use)
        if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is use and _equality_search(parent):
            continue
        holder = _appended_to(ctx, use)
        if holder is not None and _holder_searched(ctx, scope, holder, use.lineno):
            continue
        return False
    return True


def _appended_to(ctx: ModuleContext, use: ast.Name) -> Optional[str]:
    call = astutil.parents(ctx).get(use)
    if isinstance(call, ast.Call) and use in call.args and isinstance(call.func, ast.Attribute) and \
            call.func.attr == "append" and isinstance(call.func.value, ast.Name):
        return call.func.value.id
    return None


def _holder_searched(ctx: ModuleContext, scope: ast.AST, holder: str, after: int) -> bool:
    """Every later use of ``holder`` iterates it, and searches each element by equality."""
    uses = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == holder and
            isinstance(n.ctx, ast.Load) and n.lineno > after]
    for use in uses:
        loop = astutil.parents(ctx).get(use)
        if isinstance(loop, ast.Call) and isinstance(loop.func, ast.Attribute) and loop.func.attr == "append":
            continue  # the holder being filled
        if not (isinstance(loop, (ast.For, ast.AsyncFor)) and loop.iter is use and isinstance(loop.target, ast.Name)):
            return False
        element = loop.target.id
        inner = [n for n in ast.walk(loop) if isinstance(n, (ast.For, ast.AsyncFor)) and
                 isinstance(n.iter, ast.Name) and n.iter.id == element]
        if not inner or not all(_equality_search(n) for n in inner):
            return False
    return bool(uses)


def _paired_with_listing(ctx: ModuleContext, use: ast.Name, listing: Optional[ast.AST]) -> bool:
    """``f(built, files)``: the list built in the loop travels with the listing it was built from,
    so each result stays paired with its file; what the callee does with the order is not visible."""
    if listing is None:
        return False
    call = astutil.parents(ctx).get(use)
    if not isinstance(call, ast.Call) or use not in call.args:
        return False
    names = {listing.id} if isinstance(listing, ast.Name) else set()
    return any(isinstance(a, ast.Name) and a.id in names for a in call.args if a is not use)


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
        if name in _ORDER_FREE or name in _FIND_ONE:
            return SAFE
        if name in _PASS_THROUGH:
            verdict = use_of(ctx, parent, depth + 1, collecting_leaks, follow_names)
            return LEAK if verdict == UNKNOWN and collecting_leaks and name in ("list", "tuple") else verdict
        if name == "enumerate" and _unused_index(ctx, parent):
            return _loop_use(ctx, astutil.parents(ctx)[parent], node)
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
        return _loop_use(ctx, parent, node)
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return LEAK
    if isinstance(parent, (ast.Yield, ast.YieldFrom)):
        return LEAK
    if isinstance(parent, ast.Return) and follow_names:
        return _callers_use(ctx, parent, depth)
    if isinstance(parent, ast.Assign) and follow_names and len(parent.targets) == 1:
        target = parent.targets[0]
        if isinstance(target, ast.Name):
            return _name_use(ctx, target.id, parent)
        if _is_self_attribute(target):
            return _attribute_use(ctx, target.attr, parent)  # type: ignore[attr-defined]
    return UNKNOWN


def _unused_index(ctx: ModuleContext, call: ast.Call) -> bool:
    """``for i, entry in enumerate(listing)`` whose body never reads ``i``: a plain loop."""
    loop = astutil.parents(ctx).get(call)
    if not (isinstance(loop, (ast.For, ast.AsyncFor)) and loop.iter is call and isinstance(loop.target, ast.Tuple)
            and len(loop.target.elts) == 2 and isinstance(loop.target.elts[0], ast.Name)):
        return False
    index = loop.target.elts[0].id
    return not any(isinstance(n, ast.Name) and n.id == index and isinstance(n.ctx, ast.Load)
                   for stmt in loop.body for n in ast.walk(stmt))


def _name_use(ctx: ModuleContext, name: str, assign: ast.Assign) -> str:
    scope = astutil.enclosing_scope(ctx, assign)
    uses = [sub for sub in ast.walk(scope)
            if isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Load)
            and sub.lineno >= assign.lineno]
    return _uses_verdict(ctx, uses, lambda use: _sorted_back(ctx, use, name))


def _attribute_use(ctx: ModuleContext, attr: str, assign: ast.Assign) -> str:
    """``self.files = listing``: judged by every use of ``self.files`` in the class (``__getitem__``
    indexing it is the common leak), sorted in place or re-assigned sorted anywhere: safe."""
    cls = next((up for up in astutil.ancestors(ctx, assign) if isinstance(up, ast.ClassDef)), None)
    if cls is None:
        return UNKNOWN
    uses = [sub for sub in ast.walk(cls)  # type: ignore[attr-defined]
            if _is_self_attribute(sub) and sub.attr == attr and isinstance(sub.ctx, ast.Load)]
    return _uses_verdict(ctx, uses, lambda use: _sorted_back_attribute(ctx, use, attr))


def _uses_verdict(ctx: ModuleContext, uses: List[ast.AST], sorted_back) -> str:
    verdict = UNKNOWN
    for use in uses:
        parent = astutil.parents(ctx).get(use)
        if isinstance(parent, ast.Attribute) and parent.attr == "sort":
            return SAFE  # names.sort(): every later use sees a sorted list
        if sorted_back(use) or _asserted_single(ctx, use):
            return SAFE  # names = sorted(names); assert len(names) == 1
        if use_of(ctx, use, follow_names=False) == LEAK:
            verdict = LEAK
    return verdict


def _asserted_single(ctx: ModuleContext, use: ast.AST) -> bool:
    """``len(files) == 1``: the code checks that the listing found exactly one entry."""
    call = astutil.parents(ctx).get(use)
    if not (isinstance(call, ast.Call) and _callee(call) == "len"):
        return False
    compare = astutil.parents(ctx).get(call)
    return isinstance(compare, ast.Compare) and any(
        isinstance(c, ast.Constant) and c.value == 1 for c in compare.comparators)


def _callers_use(ctx: ModuleContext, ret: ast.Return, depth: int) -> str:
    """A function returning a listing: judged by how the module's own callers use the result.
    A function nobody in the module calls is a public helper: its callers are not visible."""
    function = next((up for up in astutil.ancestors(ctx, ret)
                     if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))), None)
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return UNKNOWN
    verdict = UNKNOWN
    for call in astutil.calls_in(ctx.tree):
        if _callee(call) == function.name and call is not ret.value and \
                use_of(ctx, call, depth + 1) == LEAK:
            verdict = LEAK
    return verdict


def _is_self_attribute(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _sorted_back_attribute(ctx: ModuleContext, use: ast.AST, attr: str) -> bool:
    """``self.files = sorted(self.files)``."""
    call = astutil.parents(ctx).get(use)
    if not (isinstance(call, ast.Call) and _callee(call) in ("sorted", "natsorted") and use in call.args):
        return False
    assign = astutil.parents(ctx).get(call)
    return isinstance(assign, ast.Assign) and any(_is_self_attribute(t) and t.attr == attr  # type: ignore[attr-defined]
                                                  for t in assign.targets)


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
    # TF1 spellings and `import tensorflow.compat.v1 as tf`
    "tensorflow.compat.v1.io.gfile.glob": "tf.io.gfile.glob",
    "tensorflow.compat.v1.io.gfile.listdir": "tf.io.gfile.listdir",
    "tensorflow.gfile.Glob": "tf.gfile.Glob", "tensorflow.gfile.ListDirectory": "tf.gfile.ListDirectory",
    "tensorflow.compat.v1.gfile.Glob": "tf.gfile.Glob",
    "tensorflow.compat.v1.gfile.ListDirectory": "tf.gfile.ListDirectory",
    "tensorflow.compat.v2.io.gfile.glob": "tf.io.gfile.glob",
    "tensorflow.compat.v2.io.gfile.listdir": "tf.io.gfile.listdir",
}


_WILDCARDS = re.compile(r"[*?\[]")


def _one_file_pattern(ctx: ModuleContext, listing: ast.Call) -> bool:
    """A glob pattern that names one file: no wildcard at all (``rglob(f"{stem}.yaml")``), or only
    an extension wildcard after a name (``glob(name + ".*")``: that file in whatever format)."""
    if _callee(listing) not in ("glob", "iglob", "rglob"):
        return False
    pattern = listing.args[0] if listing.args else None
    if pattern is None:
        return False
    parts: List[str] = []
    if isinstance(pattern, ast.Constant) and isinstance(pattern.value, str):
        parts = [pattern.value]
    elif isinstance(pattern, ast.JoinedStr):
        parts = [v.value for v in pattern.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    elif isinstance(pattern, ast.BinOp) and isinstance(pattern.op, ast.Add):
        parts = [n.value for n in ast.walk(pattern) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    else:
        return False
    if parts and parts[-1].endswith(".*") and not isinstance(pattern, ast.Constant):
        parts[-1] = parts[-1][:-2]
    return not any(_WILDCARDS.search(part) for part in parts)


class FileListingOrder(CodeRule):
    """MLF010: directory listings come in file-system order."""

    codes = ("MLF010",)
    # "glob(" and "glob." rather than "glob": every module with a `global` statement matched it.
    keywords = ("listdir", "scandir", "glob(", "glob.", "glob import", "iterdir", "Glob", "ListDirectory")
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
        if is_test_file(ctx.path):
            return  # a test's listing orders test cases or messages, not a training result
        for node, shown in ctx.state.get(self._KEY, ()):
            if _one_file_pattern(ctx, node):
                continue
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

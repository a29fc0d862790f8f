"""Hash randomisation (MLF011): str and bytes hashes are salted per interpreter start.

The iteration order of a set of strings follows their hashes, and so does ``hash(name)``: both
change from one run to the next unless PYTHONHASHSEED is fixed before the interpreter starts.
Reported only where the elements are visibly strings (ints hash to themselves) and the order or
the hash visibly reaches a result; silent where the run's environment fixes PYTHONHASHSEED.
"""
from __future__ import annotations

import ast
from typing import Optional

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general import astutil
from mlf_lint.rules.general.ordering import LEAK, use_of
from mlf_lint.rules.general.astutil import assigned_value
from mlf_lint.rules.general.seeding import is_seed_sink

# Names that hold strings in training code (vocabularies, file names, class names).
_STRING_NAMES = frozenset({"token", "tokens", "word", "words", "char", "chars", "character", "characters",
                           "letters", "vocab", "vocabulary", "text", "texts", "sentence", "sentences",
                           "string", "strings", "filename", "filenames", "fname", "fnames", "basename",
                           "basenames", "path", "paths", "filepath", "filepaths", "file_name", "file_names",
                           "name", "names", "key", "keys_", "label_names", "class_names"})
_STRING_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "title", "casefold", "replace",
                             "format", "join", "decode", "encode", "capitalize", "removeprefix", "removesuffix",
                             "read_text"})
_STRING_FUNCTIONS = frozenset({"os.path.basename", "os.path.dirname", "os.path.join", "os.path.abspath",
                               "os.path.relpath", "os.path.normpath"})
# Calls returning collections of strings.
_STRING_SEQUENCE_METHODS = frozenset({"split", "splitlines", "readlines", "rsplit"})
_STRING_SEQUENCE_FUNCTIONS = frozenset({"os.listdir", "glob.glob", "glob.iglob"})
_STRING_SUFFIXES = ("_names", "_tokens", "_words", "_paths", "_files", "_filenames", "_texts")
_SET_OPERATIONS = frozenset({"union", "intersection", "difference", "symmetric_difference"})
_PASS = frozenset({"set", "frozenset", "list", "tuple", "sorted", "reversed"})
# The environment fixes the hash seed only where it is set before the interpreter starts: in a
# project file (Dockerfile ENV, MLproject, CI workflow), not by os.environ in the program itself.
_CODE_SUFFIXES = (".py", ".ipynb")


def _name_of(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _string_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _STRING_NAMES or lowered.endswith(_STRING_SUFFIXES)


def is_string(ctx: ModuleContext, node: ast.AST, scope: ast.AST, depth: int = 0, loops: bool = False) -> bool:
    """A str or bytes value, visibly (``scope``: the function the expression is in). ``loops``: a
    name bound by an enclosing loop or comprehension counts by what it iterates (needs the parent
    map, so only asked where the rest is cheap)."""
    if depth > 4:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return is_string(ctx, node.left, scope, depth + 1)
    if isinstance(node, ast.Subscript):  # name[:-4], path.split("/")[-1]
        return is_string(ctx, node.value, scope, depth + 1) or _is_split(node.value)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in ("str", "repr", "bytes") and func.id not in ctx.imports.local_defs
        if ctx.resolve(func) in _STRING_FUNCTIONS:
            return True
        return isinstance(func, ast.Attribute) and func.attr in _STRING_METHODS and ctx.resolve(func) is None
    if isinstance(node, (ast.Name, ast.Attribute)):
        if isinstance(node, ast.Name):
            value = assigned_value(ctx, node, scope)
            if value is not None:
                return is_string(ctx, value, scope, depth + 1) or _read_of_open(value)
            source = _loop_source(ctx, node) if loops else None
            if source is not None:
                return holds_strings(ctx, source, scope, depth + 1)
        return _string_name(_name_of(node)) and not _name_of(node).endswith("s")
    return False


def _read_of_open(node: ast.AST) -> bool:
    """``open(path).read()``: the text of a file."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "read" and \
        isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name) and \
        node.func.value.func.id == "open" and not any(
            isinstance(a, ast.Constant) and isinstance(a.value, str) and "b" in a.value
            for a in node.func.value.args[1:2])


def _loop_source(ctx: ModuleContext, name: ast.Name) -> Optional[ast.AST]:
    """What ``name`` iterates over when it is the target of an enclosing comprehension or loop."""
    for up in astutil.ancestors(ctx, name):
        generators = up.generators if isinstance(up, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) \
            else [up] if isinstance(up, (ast.For, ast.AsyncFor)) else []
        for generator in generators:
            if isinstance(generator.target, ast.Name) and generator.target.id == name.id:
                return generator.iter
        if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return None
    return None


def _is_split(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr in _STRING_SEQUENCE_METHODS


def holds_strings(ctx: ModuleContext, node: ast.AST, scope: ast.AST, depth: int = 0) -> bool:
    """A collection whose elements are visibly str or bytes."""
    if depth > 4:
        return False
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return bool(node.elts) and all(is_string(ctx, e, scope) for e in node.elts)
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        return is_string(ctx, node.elt, scope)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr, ast.Sub, ast.BitXor)):
        return holds_strings(ctx, node.left, scope, depth + 1) or holds_strings(ctx, node.right, scope, depth + 1)
    if isinstance(node, ast.Call):
        func = node.func
        if _is_split(node):
            return True
        name = ctx.resolve(func)
        if name in _STRING_SEQUENCE_FUNCTIONS:
            return True
        if isinstance(func, ast.Name) and func.id in _PASS and node.args:
            return holds_strings(ctx, node.args[0], scope, depth + 1) or \
                (func.id in ("set", "frozenset") and is_string(ctx, node.args[0], scope, depth + 1))  # set(text)
        if isinstance(func, ast.Attribute) and func.attr in _SET_OPERATIONS:
            return holds_strings(ctx, func.value, scope, depth + 1)
        return False
    if isinstance(node, ast.Name):
        value = assigned_value(ctx, node, scope)
        if value is not None:
            return holds_strings(ctx, value, scope, depth + 1)
        return _string_name(node.id)
    if isinstance(node, ast.Attribute):
        return _string_name(node.attr)
    return False


def hash_seed_fixed(ctx: ModuleContext) -> bool:
    for path, _line, value in ctx.facts.env("PYTHONHASHSEED"):
        if not str(path).endswith(_CODE_SUFFIXES) and value.strip().lower() not in ("random", "", "?"):
            return True
    return False


def _set_expression(ctx: ModuleContext, node: ast.Call) -> ast.AST:
    """The outermost expression that is still the set: ``set(a) & set(b)``, ``set(a).union(b)``."""
    parents = astutil.parents(ctx)
    current: ast.AST = node
    while True:
        parent = parents.get(current)
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.BitAnd, ast.BitOr, ast.Sub, ast.BitXor)):
            current = parent
            continue
        if isinstance(parent, ast.Attribute) and parent.attr in _SET_OPERATIONS:
            call = parents.get(parent)
            if isinstance(call, ast.Call) and call.func is parent:
                current = call
                continue
        return current


class HashRandomization(CodeRule):
    codes = ("MLF011",)
    keywords = ("set(", "hash(")
    builtins = ("set", "frozenset", "hash")
    wants_end = True
    _KEY = "MLF011.candidates"

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if len(node.args) == 1 and not node.keywords:
            ctx.state.setdefault(self._KEY, []).append((node, qualname, ctx.scope))

    def on_end(self, ctx: ModuleContext) -> None:
        candidates = ctx.state.get(self._KEY)
        if not candidates or hash_seed_fixed(ctx):
            return
        reported = set()
        for node, qualname, scope in candidates:
            if qualname == "builtins.hash":
                value = node.args[0]
                if not isinstance(value, (ast.Name, ast.Attribute, ast.JoinedStr, ast.Call, ast.Constant,
                                          ast.BinOp, ast.Subscript)):
                    continue  # hash((a, b)) in a __hash__: a tuple of unknown parts
                if not (is_string(ctx, value, scope, loops=True) or holds_strings(ctx, value, scope)):
                    continue
                use = _hash_use(ctx, node)
                if use:
                    ctx.report(node, "MLF011",
                               f"hash() of a str is salted per interpreter start (PYTHONHASHSEED), so {use} "
                               "changes on every run. Use a stable hash: "
                               "zlib.crc32(value.encode()) or int(hashlib.md5(value.encode()).hexdigest(), 16).")
                continue
            if not holds_strings(ctx, node, scope):
                continue  # checked first: it needs no parent map, and most sets are not of strings
            whole = _set_expression(ctx, node)
            if id(whole) in reported:
                continue
            if use_of(ctx, whole, collecting_leaks=True) == LEAK or _joined(ctx, whole):
                reported.add(id(whole))
                ctx.report(node, "MLF011",
                           "a set of strings iterates in the order of their hashes, which are salted per "
                           "interpreter start (PYTHONHASHSEED), and that order reaches the result here, so it "
                           "changes on every run. Use sorted(...) (or dict.fromkeys(...) to keep first-seen "
                           "order), or fix PYTHONHASHSEED in the environment that starts the run.")


def _joined(ctx: ModuleContext, node: ast.AST) -> bool:
    """``"".join(set(chars))``: the string carries the order."""
    parent = astutil.parents(ctx).get(node)
    return isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and \
        parent.func.attr == "join" and node in parent.args


def _hash_use(ctx: ModuleContext, node: ast.Call) -> Optional[str]:
    """What the hash decides: "the bucket or split" (``hash(x) % n``) or "the seed"."""
    parents = astutil.parents(ctx)
    child: ast.AST = node
    parent = parents.get(node)
    while isinstance(parent, (ast.Call, ast.UnaryOp)) and not _is_seed_call(ctx, parent, child):
        if isinstance(parent, ast.Call) and not (isinstance(parent.func, ast.Name)
                                                 and parent.func.id in ("abs", "int")):
            break
        child, parent = parent, parents.get(parent)
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Mod, ast.FloorDiv, ast.BitAnd)) and \
            parent.left is child:
        grand = parents.get(parent)
        if isinstance(grand, ast.Call) and _is_seed_call(ctx, grand, parent):
            return "the seed it gives"
        return "the bucket or split it picks"
    if isinstance(parent, ast.Call) and _is_seed_call(ctx, parent, child):
        return "the seed it gives"
    return None


def _is_seed_call(ctx: ModuleContext, call: ast.AST, arg: ast.AST) -> bool:
    return isinstance(call, ast.Call) and is_seed_sink(ctx, call, arg)

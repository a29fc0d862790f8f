"""Fact summaries: what each file contributes to its project's facts, and how they combine.

Facts come from a cheap pass: only files whose text mentions a fact keyword are parsed, and a
helper function's facts (``def seed_all(s): torch.manual_seed(s)``) count where the helper is
called anywhere in the project (``seed_all(0)`` in train.py, ``MLFCore.set_seeds(...)``).
"""
from __future__ import annotations

import ast
import re
from typing import Dict, List, Optional, Set, Tuple

from mlf_lint.engine import noqa
from mlf_lint.engine.astwalk import children as _children
from mlf_lint.engine.evaluate import ABSENT, UNKNOWN, argument, literal, partial_text
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine import seeders
from mlf_lint.engine.names import ImportMap, dotted
from mlf_lint.engine.paths import is_test_file
from mlf_lint.engine.pysource import parse
from mlf_lint.engine.training import TIMING_NAME, inference_name, opens_no_grad, training_branch

FACT_KEYWORDS = ("manual_seed", "seed_everything", "use_deterministic_algorithms", "cudnn",
                 "Trainer", "set_random_seed", "enable_op_determinism", "set_seed", "random.seed",
                 "num_workers", "default_rng", "full_determinism", "LightningCLI", "jax_platform", "set_backend")
# Files that may define a program, train, or call code in an inference context are parsed too.
# (Files whose only keyword is no_grad are not parsed: parsing every model file would double the
# cost of a cold run. Their calls are read from the text, by the function they sit in.)
# JAX's training steps are spelled out ("grad(" alone would also match every torch.no_grad()).
PROGRAM_KEYWORDS = ("__main__", "backward(", ".step(", ".fit(", "fit_generator", "train_on_batch",
                    "jax.grad(", "nnx.grad(", "value_and_grad(", "filter_grad(", "apply_updates(", "apply_gradients(")
# "environ" alone is mostly reads (os.environ.get): only a file that writes the environment is parsed for it.
_ENV_WRITE = re.compile(r"environ\[[^\]]+\]\s*=(?!=)|environ\.(?:setdefault|update)\(|putenv\(")
_FRAMEWORK_IMPORT = re.compile(
    r"^[ \t]*(?:import|from)[ \t]+(torch|lightning|pytorch_lightning|tensorflow|keras|tf_keras|xgboost"
    r"|jax|flax|optax|equinox|haiku)\b", re.M)
_FRAMEWORK = {"pytorch_lightning": "lightning", "keras": "tensorflow", "tf_keras": "tensorflow", "flax": "jax",
              "optax": "jax", "equinox": "jax", "haiku": "jax"}
# Configuration calls that stand for an environment variable: jax.config.update("jax_platforms", v)
# is JAX_PLATFORMS=v (the option's default is read from that variable); keras.config.set_backend(v)
# is KERAS_BACKEND=v.
_JAX_CONFIG_ENV = {"jax_platforms": "JAX_PLATFORMS", "jax_platform_name": "JAX_PLATFORM_NAME"}
_FRAMEWORK_WORDS = ("torch", "lightning", "tensorflow", "keras", "xgboost", "jax", "flax", "optax", "equinox",
                    "haiku")
_CUDA_USE = re.compile(r"""\.cuda\(|["']cuda(?::\d+)?["']|device\s*=\s*["']cuda""")
_CLASS = re.compile(r"^[ \t]*class[ \t]+(\w+)", re.M)
_NOT_CALLS = frozenset({"if", "for", "while", "return", "and", "or", "not", "in", "print", "len", "range", "isinstance",
                        "str", "int", "float", "list", "dict", "tuple", "set", "super", "elif", "with", "assert"})
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)", re.M)
# Where a scope begins in a file that is not parsed: a function, a method (one level into a class)
# or an unindented statement (module level). A nested function's text stays its outer one's.
_SCOPE_START = re.compile(r"^(?:(?:    |\t)?(?:async[ \t]+)?def[ \t]+(\w+)|(?=[^\s#)\]}]))", re.M)
_TOP_CALL = re.compile(r"^(?:[\w.]+\s*=\s*)?(?:\w+\.)*(\w+)\(", re.M)
_MAIN_GUARD = re.compile(r"""^if\s+__name__\s*==\s*["']__main__["']\s*:""", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w.]+(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[\w.]+(?:[ \t]+as[ \t]+\w+)?)*)",
                     re.M)
_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.M)
# Calls that build a model whose weights are drawn at construction (for "seeded after the model").
_MODEL_BUILDERS = ("from_pretrained", "from_config")

# A summary of one file, as plain data so the cache can store it (keyed by the file's content):
#   "direct": [[fact, line], ...] facts at module level
#   "functions": {name: [[fact, line], ...]} facts inside functions/methods named `name`
#   "env": [[NAME, line, value], ...]
#   "imports": [[module, level], ...] every import (level > 0: relative); "main": has a __main__ guard
#   parsed files only:
#   "calls": {scope: [names called]}, "icalls": {scope: [names called where no backward runs]},
#   "classes": {class: [methods]}, "trains": {scope: line of its first training step}
# Facts in BUILT_ONLY found in a dunder method are kept under `Class.__init__`: they count only
# where that class is built (every class has an __init__, so the bare name would join them all).
FileSummary = Dict[str, object]
# Facts that only ever add findings (benchmark mode: MLF122), so the narrower reading is the quiet one.
BUILT_ONLY = frozenset({"cudnn_benchmark"})
MODULE_SCOPE = "<module>"
# The body of `if __name__ == "__main__":` runs only when its file is the program, not on import.
MAIN_SCOPE = "<main>"


def _truthy(value: object) -> bool:
    return value is UNKNOWN or bool(value)


class _FactCollector:
    """Walks one module recording facts with the function they occur in."""

    def __init__(self) -> None:
        self.imports = ImportMap()
        self.constants: Dict[str, object] = {}
        self.direct: List[Tuple[str, int]] = []
        self.functions: Dict[str, List[Tuple[str, int]]] = {}
        self.env: List[Tuple[str, int, str]] = []
        self.calls: Dict[str, set] = {}      # scope (function name or MODULE_SCOPE) -> names it calls
        self.plain: Dict[str, set] = {}      # the same, for calls where a backward pass may run
        self.icalls: Dict[str, set] = {}     # the same, for calls where no backward pass runs
        self.classes: Dict[str, set] = {}    # class name -> its method names
        self.dunders: List[Tuple[int, int, str, str]] = []   # (first line, last line, method, class)
        self.trains: Dict[str, int] = {}     # scope -> line of its first training step
        self.modules: List[Tuple[str, int]] = []
        self.assigned: Dict[str, str] = {}   # variable -> the qualified call it was assigned from
        self.built: Dict[str, int] = {}      # scope -> line of the first model built there
        self.seeded: Dict[str, int] = {}     # scope -> line of the first torch seeding there
        effects, self.training = seeders.table()
        self.effects = effects

    def add(self, fact: str, node: ast.AST, scope: Optional[str]) -> None:
        where = (fact, node.lineno)
        if fact in BUILT_ONLY and scope and is_dunder(scope):
            owner = next((cls for start, end, name, cls in self.dunders
                          if name == scope and start <= node.lineno <= end), None)
            scope = f"{owner}.{scope}" if owner else scope
        (self.functions.setdefault(scope, []) if scope else self.direct).append(where)

    def _value(self, node: ast.AST) -> object:
        return literal(node, self.constants)

    def call(self, node: ast.Call, scope: Optional[str]) -> None:
        name = self.imports.resolve(node.func)
        key = scope or MODULE_SCOPE
        func = node.func
        if name is None:
            if isinstance(func, ast.Attribute):
                if func.attr in ("setdefault", "update"):
                    self._environ_call(node, scope)
                if func.attr in _MODEL_BUILDERS:
                    self.built.setdefault(key, node.lineno)
                if func.attr in self.training.methods:
                    receiver = dotted(func.value) if not isinstance(func.value, ast.Call) else None
                    made_by = self.assigned.get(receiver or "", "")
                    if seeders.is_training_step(None, func.attr, receiver, made_by) and not TIMING_NAME.search(key):
                        self.trains.setdefault(key, node.lineno)
            return
        if name in self.training.calls:
            self.trains.setdefault(key, node.lineno)
        if name.startswith("torch.nn.") and name[9:10].isupper() or name.startswith("torchvision.models."):
            self.built.setdefault(key, node.lineno)
        for effect in self.effects.get(name, ()):
            facts = effect.facts(node, self._value)
            if "torch_seeded" in facts:
                if key in self.built and key not in self.seeded:
                    # The model built above drew its weights from an unseeded generator.
                    facts = ["torch_seeded_late" if f == "torch_seeded" else f for f in facts
                             if f != "torch_cuda_seeded"]
                else:
                    self.seeded.setdefault(key, node.lineno)
            for fact in facts:
                self.add(fact, node, scope)
            for env_name, value in effect.env:
                self.env.append((env_name, node.lineno, value))
        if name == "lightning.pytorch.Trainer":
            det = literal(argument(node, "deterministic", None), self.constants) \
                if argument(node, "deterministic", None) is not None else ABSENT
            if det == "warn":
                self.add("torch_deterministic_warn_only", node, scope)
            elif det is not ABSENT and det is not None and _truthy(det):
                self.add("torch_deterministic", node, scope)
            benchmark = argument(node, "benchmark", None)
            if benchmark is not None and literal(benchmark, self.constants) is True:
                self.add("cudnn_benchmark", node, scope)
        elif name in ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"):
            workers = argument(node, "num_workers", 5)
            if workers is not None and literal(workers, self.constants) != 0:
                self.add("dataloader_workers", node, scope)
        elif name in ("os.putenv", "os.environ.setdefault"):
            self._env_pair(node, scope)
        elif name == "jax.config.update" and len(node.args) >= 2:
            option = literal(node.args[0], self.constants)
            if option in _JAX_CONFIG_ENV:
                self._env(ast.Constant(_JAX_CONFIG_ENV[option]), node.args[1], node)
        elif name == "tensorflow.keras.config.set_backend" and node.args:
            self._env(ast.Constant("KERAS_BACKEND"), node.args[0], node)
        elif name == "os.environ.update":
            self._environ_call(node, scope)

    def _environ_call(self, node: ast.Call, scope: Optional[str]) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute) or self.imports.resolve(func.value) != "os.environ":
            return
        if func.attr == "setdefault":
            self._env_pair(node, scope)
        elif func.attr == "update" and node.args and isinstance(node.args[0], ast.Dict):
            for key, value in zip(node.args[0].keys, node.args[0].values):
                self._env(key, value, node)

    def _env_pair(self, node: ast.Call, scope: Optional[str]) -> None:
        if len(node.args) >= 2:
            self._env(node.args[0], node.args[1], node)

    def _env(self, key: Optional[ast.AST], value: ast.AST, node: ast.AST) -> None:
        name = literal(key, self.constants) if key is not None else UNKNOWN
        val = literal(value, self.constants)
        if not isinstance(val, str):
            # Known text survives ("? --xla_gpu_deterministic_ops=true" for flags appended to the
            # inherited value); "?" stands for the parts that are not static.
            val = partial_text(value, self.constants) or "?"
        if isinstance(name, str):
            self.env.append((name, node.lineno, val))

    def assign(self, node: ast.Assign, scope: Optional[str]) -> None:
        for target in node.targets:
            if isinstance(target, ast.Subscript) and self.imports.resolve(target.value) == "os.environ":
                self._env(target.slice, node.value, node)
                continue
            if isinstance(target, (ast.Name, ast.Attribute)) and isinstance(node.value, ast.Call):
                made = self.imports.resolve(node.value.func)
                if made is None and isinstance(node.value.func, ast.Attribute):
                    owner = self.imports.resolve(node.value.func.value)
                    made = f"{owner}.{node.value.func.attr}" if owner else None
                if made:
                    self.assigned[dotted(target) or ""] = made
            name = self.imports.resolve(target) if isinstance(target, ast.Attribute) else None
            if name in ("torch.backends.cudnn.deterministic", "torch.backends.cudnn.benchmark"):
                if literal(node.value, self.constants) is True:
                    self.add("cudnn_" + name.rsplit(".", 1)[1], node, scope)

    def _import(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            self.imports.add_import(node)
            self.modules.extend((alias.name, 0) for alias in node.names)
        else:
            self.imports.add_import_from(node)  # type: ignore[arg-type]
            base = node.module or ""  # type: ignore[attr-defined]
            self.modules.append((base, node.level))  # type: ignore[attr-defined]
            self.modules.extend((f"{base}.{a.name}" if base else a.name, node.level)  # type: ignore[attr-defined]
                                for a in node.names if a.name != "*")  # type: ignore[attr-defined]

    def _site(self, callee: str, scope: Optional[str], quiet: bool) -> None:
        """``callee`` is called in ``scope``; ``quiet``: where no backward pass runs."""
        self.calls.setdefault(scope or MODULE_SCOPE, set()).add(callee)
        (self.icalls if quiet else self.plain).setdefault(scope or MODULE_SCOPE, set()).add(callee)

    def walk(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._import(stmt)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                value = literal(stmt.value, self.constants)
                if value is not UNKNOWN:
                    self.constants[stmt.targets[0].id] = value
        top = {id(stmt) for stmt in tree.body}
        # (node, scope, no backward runs here)
        stack: List[Tuple[ast.AST, Optional[str], bool]] = [(tree, None, False)]
        functions = (ast.FunctionDef, ast.AsyncFunctionDef)
        while stack:
            node, scope, quiet = stack.pop()
            kind = node.__class__
            if kind is ast.Call:
                self.call(node, scope)
                func = node.func
                callee = func.attr if func.__class__ is ast.Attribute else \
                    func.id if func.__class__ is ast.Name else None
                if callee:
                    self._site(callee, scope, quiet)
                # A function passed as an argument is called by what receives it (mp.spawn(main),
                # Thread(target=run), rpc_sync(to, run_trainer)): it counts as called here.
                for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                    kind_arg = arg.__class__
                    name = arg.id if kind_arg is ast.Name else arg.attr if kind_arg is ast.Attribute else None
                    if name:
                        self._site(name, scope, quiet)
            elif kind is ast.Assign:
                self.assign(node, scope)
                # A function bound to a name (`paste = _paste_traced`) is called where it is bound.
                if node.value.__class__ is ast.Name:
                    self._site(node.value.id, scope, quiet)
            elif kind is ast.Import or kind is ast.ImportFrom:
                if id(node) not in top:
                    self._import(node)
            elif kind is ast.ClassDef:
                self.classes.setdefault(node.name, set()).update(
                    item.name for item in node.body if isinstance(item, functions))
                self.dunders.extend((item.lineno, item.end_lineno or item.lineno, item.name, node.name)
                                    for item in node.body if isinstance(item, functions) and is_dunder(item.name))
            inner = scope
            if kind in functions:
                inner = node.name
                quiet = quiet or inference_name(node.name) or opens_no_grad(self.imports.resolve, node)
            elif kind in (ast.With, ast.AsyncWith):
                quiet = quiet or opens_no_grad(self.imports.resolve, node)
            elif kind is ast.If:
                if scope is None and id(node) in top and _MAIN_GUARD.match(ast.unparse(node.test) + ":"):
                    for child in reversed(node.body):
                        stack.append((child, MAIN_SCOPE, quiet))
                    for child in reversed(node.orelse):
                        stack.append((child, scope, quiet))
                    continue
                branch = training_branch(node.test)
                if branch is not None:
                    for child in reversed(node.orelse):
                        stack.append((child, inner, quiet or branch))
                    for child in reversed(node.body):
                        stack.append((child, inner, quiet or not branch))
                    stack.append((node.test, inner, quiet))
                    continue
            for child in reversed(_children(node)):
                stack.append((child, inner, quiet))


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _called_names(source: str) -> set:
    """Every identifier written right before a "(" (a regex over the whole text costs 2.5x this)."""
    found = set()
    for part in source.split("(")[:-1]:
        end = len(part)
        start = end
        while start > 0 and (part[start - 1].isalnum() or part[start - 1] == "_"):
            start -= 1
        if start < end and not part[start].isdigit():
            found.add(part[start:end])
    return found


def _scoped_called_names(source: str, left_out: Set[str]) -> Dict[str, set]:
    """:func:`_called_names` by scope (see ``_SCOPE_START``): function name -> names it calls,
    ``MODULE_SCOPE`` for unindented code."""
    scoped: Dict[str, set] = {}
    starts = [(0, MODULE_SCOPE)]
    in_class = False   # an indented def is a method only in a class body, else a nested function
    for match in _SCOPE_START.finditer(source):
        at = match.start()
        scope = match.group(1)
        if scope is None:
            in_class = source.startswith("class ", at)
            scope = MODULE_SCOPE
            if starts[-1][1] == MODULE_SCOPE:
                continue
        elif source[at] in " \t":
            if not in_class:
                continue
        else:
            in_class = False
        # A function's text starts after its name: `def f(` is no call of f.
        starts.append((match.end(), scope))
    starts.append((len(source), ""))
    for (begin, scope), (end, _) in zip(starts, starts[1:]):
        names = _called_names(source[begin:end]) - left_out
        if names:
            scoped.setdefault(scope, set()).update(names)
    return scoped


def _quiet_called_names(source: str) -> set:
    """Names called only in blocks that run without gradients: the body of a ``with`` statement
    that opens ``no_grad``/``inference_mode``, of a function decorated with either, or of a
    function named for inference (``INFERENCE_NAME``). A name also called anywhere else in the
    file is left out."""
    quiet: List[str] = []
    loud: List[str] = []
    block: Optional[int] = None   # indentation of the statement that opened the quiet block
    decorated = False
    for line in source.splitlines():
        stripped = line.lstrip()
        if not stripped or stripped[0] == "#":
            continue
        indent = len(line) - len(stripped)
        # A line that starts by closing a bracket continues a statement (the `) -> T:` of a long
        # signature): it ends no block.
        if block is not None and indent <= block and stripped[0] not in ")]}":
            block = None
        if block is None:
            opens = "no_grad(" in stripped or "inference_mode(" in stripped
            if stripped[0] == "@":
                decorated = decorated or opens
                continue
            if stripped.startswith(("def ", "async def ")):
                named = _DEF.match(stripped)
                if decorated or (named is not None and inference_name(named.group(1))):
                    block, decorated = indent, False
                    continue
            decorated = False
            if opens and stripped.startswith(("with ", "async with ")) and stripped.rstrip().endswith(":"):
                block = indent
                continue
        if "(" in stripped:
            (quiet if block is not None else loud).append(stripped)
    if not quiet:
        return set()
    # The few names called quietly, each looked up in the rest ("\n" ends a name as "(" does not).
    rest = "\n".join(loud)
    return {name for name in _called_names("\n".join(quiet)) if not _calls(rest, name)}


def _calls(text: str, name: str) -> bool:
    """Whether ``text`` calls ``name`` as :func:`_called_names` sees calls: the name right before
    "(" and not the end of a longer identifier."""
    needle = name + "("
    at = text.find(needle)
    while at >= 0:
        if at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_"):
            return True
        at = text.find(needle, at + 1)
    return False


def _regex_imports(source: str) -> List[List[object]]:
    found: List[List[object]] = []
    for match in _IMPORT.finditer(source):
        for part in match.group(1).split(","):
            name = part.split()[0] if part.split() else ""
            if name:
                found.append([name, 0])
    for match in _FROM_IMPORT.finditer(source):
        level, base = len(match.group(1)), match.group(2)
        found.append([base, level])
        for part in match.group(3).strip("() \t\n").replace("\n", ",").split(","):
            words = part.split()
            if words and words[0] != "*" and words[0].isidentifier():
                found.append([f"{base}.{words[0]}" if base else words[0], level])
    return found


def wants_tree(source: str) -> bool:
    """Whether :func:`summarize` parses this source (a caller may parse it once and share the tree)."""
    return _worth_parsing(source) and not noqa.file_is_exempt(source)


def _worth_parsing(source: str) -> bool:
    return any(k in source for k in FACT_KEYWORDS) or any(k in source for k in PROGRAM_KEYWORDS) \
        or ("environ" in source or "putenv" in source) and _ENV_WRITE.search(source) is not None


def summarize(source: str, tree: Optional[ast.Module] = None, worth_parsing: Optional[bool] = None) -> FileSummary:
    """What one file contributes to the facts of the programs that reach it. Files with neither a
    fact keyword nor a program keyword are not parsed: their imports are read with a regex.
    ``worth_parsing``: :func:`wants_tree`'s answer, when the caller asked it already."""
    summary: FileSummary = {"direct": [], "functions": {}, "env": [], "cuda": 0, "frameworks": {},
                            "imports": [], "main": False}
    frameworks: Dict[str, int] = {}
    # Substring tests first (each pattern's matches contain one of these words): most files of a
    # big project match neither, and the regular expressions are a slow part of a cold run.
    if any(word in source for word in _FRAMEWORK_WORDS):
        for found in _FRAMEWORK_IMPORT.finditer(source):
            name = _FRAMEWORK.get(found.group(1), found.group(1))
            frameworks.setdefault(name, source.count("\n", 0, found.start()) + 1)
    if noqa.file_is_exempt(source):
        return summary  # a file exempted with `# mlf-lint: noqa` is not part of the analysis at all
    summary["frameworks"] = frameworks
    summary["main"] = bool(_MAIN_GUARD.search(source))
    match = _CUDA_USE.search(source) if "cuda" in source else None
    if match:
        summary["cuda"] = source.count("\n", 0, match.start()) + 1
    if not (_worth_parsing(source) if worth_parsing is None else worth_parsing):
        summary["imports"] = _regex_imports(source)
        # Calls in unindented lines: a script that runs what it imports (`fit()`) may be a program.
        summary["top_calls"] = sorted(set(_TOP_CALL.findall(source)))
        summary["defs"] = sorted(set(_DEF.findall(source)))
        summary["classdefs"] = sorted(set(_CLASS.findall(source)))
        # Every name it calls, by the function it is called in: what a program reaches through this
        # file (an over-estimate), and who calls what for the training path.
        # (In `called`, a name the file defines is left out, as a nested `def f(` looks like a call.)
        scoped = _scoped_called_names(source, _NOT_CALLS.union(summary["classdefs"]))  # type: ignore[arg-type]
        summary["called"] = sorted(set().union(*scoped.values()).difference(summary["defs"]))  # type: ignore
        summary["scalls"] = {scope: sorted(names) for scope, names in scoped.items()}
        if "no_grad(" in source or "inference_mode(" in source \
                or any(inference_name(name) for name in summary["defs"]):  # type: ignore[union-attr]
            # Names it calls only inside `with torch.no_grad():` blocks, functions decorated so or
            # functions named for inference (as for a parsed file): those calls run no backward
            # pass (read from the indentation, without a parse).
            summary["icalled"] = sorted(_quiet_called_names(source).intersection(summary["called"]))  # type: ignore
        return summary
    if tree is None:
        try:
            tree = parse(source)
        except (SyntaxError, ValueError):
            summary["imports"] = _regex_imports(source)
            return summary
    collector = _FactCollector()
    collector.walk(tree)
    summary["imports"] = [list(m) for m in dict.fromkeys(collector.modules)]
    summary["direct"] = [list(w) for w in collector.direct]
    summary["functions"] = {k: [list(w) for w in v] for k, v in collector.functions.items()}
    summary["env"] = [list(e) for e in collector.env]
    summary["calls"] = {k: sorted(v) for k, v in collector.calls.items()}
    # Names a scope calls only where no backward pass runs.
    summary["icalls"] = {k: sorted(v - collector.plain.get(k, set())) for k, v in collector.icalls.items()
                         if v - collector.plain.get(k, set())}
    summary["classes"] = {k: sorted(v) for k, v in collector.classes.items()}
    summary["trains"] = dict(collector.trains)
    return summary


def combine(summaries: Dict[str, FileSummary], sources: Dict[str, str], entry: Optional[str] = None,
            entry_function: Optional[str] = None, reached_out: Optional[set] = None) -> ProjectFacts:
    """Facts from the summaries of a set of files. ``sources``: relative path -> text (for helper
    calls in files that were not parsed). With ``entry`` (a program's file), only that file's
    ``__main__`` block runs, and ``entry_function`` (a console script's function) is called;
    without it every file's ``__main__`` block counts (a root's pooled facts)."""
    facts = ProjectFacts()
    helpers: Dict[str, List[Tuple[str, int, str]]] = {}
    for rel in sorted(summaries):
        if is_test_file(rel):
            continue  # a test that seeds does not make the training run seeded
        summary = summaries[rel]
        runs_main = entry is None or rel == entry
        for fact, line in summary["direct"]:  # type: ignore[union-attr]
            getattr(facts, fact).append((rel, line))
        for name, found in summary["functions"].items():  # type: ignore[union-attr]
            if name == MAIN_SCOPE:
                if runs_main:
                    for fact, line in found:
                        getattr(facts, fact).append((rel, line))
                continue
            helpers.setdefault(name, []).extend((rel, line, fact) for fact, line in found)
        for name, line, value in summary["env"]:  # type: ignore[union-attr]
            facts.env_vars.setdefault(name, []).append((rel, line, value))
        if summary.get("cuda"):
            facts.uses_cuda.append((rel, int(summary["cuda"])))  # type: ignore[arg-type]
        for name, line in (summary.get("frameworks") or {}).items():  # type: ignore[union-attr]
            facts.frameworks.setdefault(name, []).append((rel, line))
    reached = _reachable(summaries, sources, entry, entry_function, set(helpers))
    if reached_out is not None:
        reached_out.update(reached)  # the functions (by name) that run: the program's reach in the call graph
    for name in sorted(reached & set(helpers)):
        for rel, line, fact in helpers[name]:
            getattr(facts, fact).append((rel, line))
    for rel in sorted(summaries):
        if is_test_file(rel):
            continue
        for scope, line in (summaries[rel].get("trains") or {}).items():  # type: ignore[union-attr]
            if scope == MODULE_SCOPE or (scope == MAIN_SCOPE and (entry is None or rel == entry)) or scope in reached:
                facts.trains.append((rel, line))
    for value in vars(facts).values():
        if isinstance(value, list):
            value.sort()
    return facts


def _reachable(summaries: Dict[str, FileSummary], sources: Dict[str, str], entry: Optional[str],
               entry_function: Optional[str], helpers: set) -> set:
    """Functions that run: reachable from module-level code (and the program's ``__main__``
    block) through the call graph. Calling a class makes its methods reachable. A file that was
    not parsed counts every name it calls (its summary's "called") as a call from module level."""
    graph: Dict[str, set] = {}
    classes: Dict[str, set] = {}
    roots: set = {entry_function} if entry_function else set()
    parsed = set()
    for rel, summary in summaries.items():
        calls = summary.get("calls")
        if not isinstance(calls, dict) or not calls and not summary.get("classes"):
            if not is_test_file(rel):
                roots.update(summary.get("called") or ())  # type: ignore[arg-type]
            continue
        parsed.add(rel)
        test = is_test_file(rel)
        for scope, names in calls.items():
            if scope == MODULE_SCOPE or scope == MAIN_SCOPE:
                if not test and (scope == MODULE_SCOPE or entry is None or rel == entry):
                    roots.update(names)
            else:
                graph.setdefault(scope, set()).update(names)
        for cls, methods in summary.get("classes", {}).items():  # type: ignore[union-attr]
            classes.setdefault(cls, set()).update(methods)
    # A class of a file that was not parsed: calling it reaches every function of that file.
    for rel, summary in summaries.items():
        if rel not in parsed and summary.get("classdefs"):
            for cls in summary["classdefs"]:  # type: ignore[union-attr]
                classes.setdefault(cls, set()).update(summary.get("defs") or ())  # type: ignore[arg-type]
    seen: set = set()
    queue = list(roots)
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        queue.extend(graph.get(name, ()))
        methods = classes.get(name, ())
        queue.extend(methods)
        seen.update(f"{name}.{m}" for m in methods if is_dunder(m))  # this class's own (see BUILT_ONLY)
    return seen

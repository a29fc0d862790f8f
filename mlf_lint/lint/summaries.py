"""Fact summaries: what each file contributes to its project's facts, and how they combine.

Facts come from a cheap pass: only files whose text mentions a fact keyword are parsed, and a
helper function's facts (``def seed_all(s): torch.manual_seed(s)``) count where the helper is
called anywhere in the project (``seed_all(0)`` in train.py, ``MLFCore.set_seeds(...)``).
"""
from __future__ import annotations

import ast
import re
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple, Union

from mlf_lint.engine import noqa
from mlf_lint.engine.astwalk import children as _children
from mlf_lint.engine.evaluate import ABSENT, UNKNOWN, argument, literal
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.names import ImportMap
from mlf_lint.engine.paths import is_test_file

FACT_KEYWORDS = ("manual_seed", "seed_everything", "use_deterministic_algorithms", "cudnn",
                 "Trainer", "set_random_seed", "enable_op_determinism", "set_seed", "random.seed",
                 "environ", "putenv", "num_workers", "default_rng")
_FRAMEWORK_IMPORT = re.compile(
    r"^[ \t]*(?:import|from)[ \t]+(torch|lightning|pytorch_lightning|tensorflow|keras|tf_keras|xgboost)\b", re.M)
_FRAMEWORK = {"pytorch_lightning": "lightning", "keras": "tensorflow", "tf_keras": "tensorflow"}
_FRAMEWORK_WORDS = ("torch", "lightning", "tensorflow", "keras", "xgboost")
_CUDA_USE = re.compile(r"""\.cuda\(|["']cuda(?::\d+)?["']|device\s*=\s*["']cuda""")

# A summary of one file, as plain data so the cache can store it:
#   "direct": [[fact, line], ...] facts at module level
#   "functions": {name: [[fact, line], ...]} facts inside functions/methods named `name`
#   "env": [[NAME, line, value], ...]
#   "calls": {scope: [names called]}, "classes": {class: [methods]}  (parsed files only)
FileSummary = Dict[str, object]
MODULE_SCOPE = "<module>"


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
        self.classes: Dict[str, set] = {}    # class name -> its method names

    def add(self, fact: str, node: ast.AST, scope: Optional[str]) -> None:
        where = (fact, node.lineno)
        (self.functions.setdefault(scope, []) if scope else self.direct).append(where)

    def call(self, node: ast.Call, scope: Optional[str]) -> None:
        name = self.imports.resolve(node.func)
        if name is None:
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("setdefault", "update"):
                self._environ_call(node, scope)
            return

        def arg(key: str, pos: Optional[int] = None) -> object:
            found = argument(node, key, pos)
            return ABSENT if found is None else literal(found, self.constants)
        if name in ("torch.manual_seed", "torch.random.manual_seed", "torch.cuda.manual_seed_all"):
            self.add("torch_seeded", node, scope)
        elif name == "lightning.pytorch.seed_everything":
            for fact in ("torch_seeded", "numpy_seeded", "random_seeded"):
                self.add(fact, node, scope)
            if arg("workers", 1) is True:
                self.add("workers_seeded", node, scope)
        elif name == "torch.use_deterministic_algorithms":
            if _truthy(arg("mode", 0)):
                warn = arg("warn_only")
                if warn is True:
                    self.add("torch_deterministic_warn_only", node, scope)
                else:
                    self.add("torch_deterministic", node, scope)
                    self.add("torch_deterministic_api", node, scope)
        elif name == "lightning.pytorch.Trainer":
            det = arg("deterministic")
            if det == "warn":
                self.add("torch_deterministic_warn_only", node, scope)
            elif det is not ABSENT and det is not None and _truthy(det):
                self.add("torch_deterministic", node, scope)
            if arg("benchmark") is True:
                self.add("cudnn_benchmark", node, scope)
        elif name in ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"):
            workers = arg("num_workers", 5)
            if workers is not ABSENT and workers != 0:
                self.add("dataloader_workers", node, scope)
        elif name in ("tensorflow.keras.utils.set_random_seed", "tensorflow.random.set_seed",
                      "tensorflow.set_random_seed", "tensorflow.compat.v1.set_random_seed"):
            self.add("tf_seeded", node, scope)
        elif name in ("tensorflow.config.experimental.enable_op_determinism",
                      "tensorflow.config.enable_op_determinism"):
            self.add("tf_op_determinism", node, scope)
        elif name == "numpy.random.seed":
            self.add("numpy_seeded", node, scope)
        elif name == "random.seed" and arg("a", 0) not in (ABSENT, None):
            self.add("random_seeded", node, scope)
        elif name in ("os.putenv", "os.environ.setdefault"):
            self._env_pair(node, scope)
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
        if isinstance(name, str):
            self.env.append((name, node.lineno, val if isinstance(val, str) else "?"))

    def assign(self, node: ast.Assign, scope: Optional[str]) -> None:
        for target in node.targets:
            if isinstance(target, ast.Subscript) and self.imports.resolve(target.value) == "os.environ":
                self._env(target.slice, node.value, node)
                continue
            name = self.imports.resolve(target) if isinstance(target, ast.Attribute) else None
            if name in ("torch.backends.cudnn.deterministic", "torch.backends.cudnn.benchmark"):
                if literal(node.value, self.constants) is True:
                    self.add("cudnn_" + name.rsplit(".", 1)[1], node, scope)

    def walk(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            if isinstance(stmt, ast.Import):
                self.imports.add_import(stmt)
            elif isinstance(stmt, ast.ImportFrom):
                self.imports.add_import_from(stmt)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                value = literal(stmt.value, self.constants)
                if value is not UNKNOWN:
                    self.constants[stmt.targets[0].id] = value
        stack: List[Tuple[ast.AST, Optional[str]]] = [(tree, None)]
        functions = (ast.FunctionDef, ast.AsyncFunctionDef)
        while stack:
            node, scope = stack.pop()
            kind = node.__class__
            if kind is ast.Call:
                self.call(node, scope)
                func = node.func
                callee = func.attr if func.__class__ is ast.Attribute else \
                    func.id if func.__class__ is ast.Name else None
                if callee:
                    self.calls.setdefault(scope or MODULE_SCOPE, set()).add(callee)
            elif kind is ast.Assign:
                self.assign(node, scope)
            elif kind is ast.Import:
                self.imports.add_import(node)
            elif kind is ast.ImportFrom:
                self.imports.add_import_from(node)
            elif kind is ast.ClassDef:
                self.classes.setdefault(node.name, set()).update(
                    item.name for item in node.body if isinstance(item, functions))
            inner = node.name if kind in functions else scope
            for child in reversed(_children(node)):
                stack.append((child, inner))


def summarize(source: str, tree: Optional[ast.Module] = None) -> FileSummary:
    """The facts one file contributes (empty for files with no fact keyword)."""
    summary: FileSummary = {"direct": [], "functions": {}, "env": [], "cuda": 0, "frameworks": {}}
    frameworks: Dict[str, int] = {}
    # Substring tests first (each pattern's matches contain one of these words): most files of a
    # big project match neither, and the regular expressions are the slow part of a cold run.
    if any(word in source for word in _FRAMEWORK_WORDS):
        for found in _FRAMEWORK_IMPORT.finditer(source):
            name = _FRAMEWORK.get(found.group(1), found.group(1))
            frameworks.setdefault(name, source.count("\n", 0, found.start()) + 1)
    if noqa.file_is_exempt(source):
        return summary  # a file exempted with `# mlf-lint: noqa` is not part of the analysis at all
    summary["frameworks"] = frameworks
    match = _CUDA_USE.search(source) if "cuda" in source else None
    if match:
        summary["cuda"] = source.count("\n", 0, match.start()) + 1
    if not any(k in source for k in FACT_KEYWORDS):
        return summary
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return summary
    collector = _FactCollector()
    collector.walk(tree)
    summary["direct"] = [list(w) for w in collector.direct]
    summary["functions"] = {k: [list(w) for w in v] for k, v in collector.functions.items()}
    summary["env"] = [list(e) for e in collector.env]
    summary["calls"] = {k: sorted(v) for k, v in collector.calls.items()}
    summary["classes"] = {k: sorted(v) for k, v in collector.classes.items()}
    return summary


# (relative path of a file that was not parsed, helper names) -> the names its text calls.
CallsOf = Callable[[str, Set[str]], Set[str]]


def textual_calls(text: str, names: Iterable[str]) -> Set[str]:
    """The ``names`` that ``text`` calls (``name(`` not preceded by a word character, and not a
    ``def name(`` or ``class name(``). A substring test first: the regex only runs for names present."""
    present = [name for name in names if name in text]
    if not present:
        return set()
    pattern = re.compile(r"(?<![\w])(def\s+|class\s+)?(" + "|".join(map(re.escape, present)) + r")\s*\(")
    return {m.group(2) for m in pattern.finditer(text) if not m.group(1)}


def combine(summaries: Dict[str, FileSummary], sources: Union[Mapping[str, str], CallsOf]) -> ProjectFacts:
    """Project facts from every file's summary. ``sources``: relative path -> text, or a function
    that answers which helper names a file that was not parsed calls (see :func:`textual_calls`)."""
    if not callable(sources):
        texts = sources
        sources = lambda rel, names: textual_calls(texts.get(rel, ""), names)  # noqa: E731

    facts = ProjectFacts()
    helpers: Dict[str, List[Tuple[str, int, str]]] = {}
    for rel in sorted(summaries):
        if is_test_file(rel):
            continue  # a test that seeds does not make the training run seeded
        summary = summaries[rel]
        for fact, line in summary["direct"]:  # type: ignore[union-attr]
            getattr(facts, fact).append((rel, line))
        for name, found in summary["functions"].items():  # type: ignore[union-attr]
            helpers.setdefault(name, []).extend((rel, line, fact) for fact, line in found)
        for name, line, value in summary["env"]:  # type: ignore[union-attr]
            facts.env_vars.setdefault(name, []).append((rel, line, value))
        if summary.get("cuda"):
            facts.uses_cuda.append((rel, int(summary["cuda"])))  # type: ignore[arg-type]
        for name, line in (summary.get("frameworks") or {}).items():  # type: ignore[union-attr]
            facts.frameworks.setdefault(name, []).append((rel, line))
    if helpers:
        for name in sorted(_reachable(helpers, summaries, sources)):
            for rel, line, fact in helpers[name]:
                getattr(facts, fact).append((rel, line))
    for value in vars(facts).values():
        if isinstance(value, list):
            value.sort()
    return facts


def is_parsed(summary: FileSummary) -> bool:
    """Whether a summary comes from the file's syntax tree (it then has its calls)."""
    calls = summary.get("calls")
    return isinstance(calls, dict) and bool(calls or summary.get("classes"))


def _reachable(helpers: Dict[str, list], summaries: Dict[str, FileSummary], calls_of: CallsOf) -> set:
    """Functions with facts that run: reachable from module-level code (an entry point's
    ``main()`` under ``if __name__ == "__main__"`` counts) through the project's call graph.
    Calling a class makes its methods reachable. Files that were not parsed (no fact keyword)
    count every textual call of a helper or class name as a call from module level."""
    graph: Dict[str, set] = {}
    classes: Dict[str, set] = {}
    roots: set = set()
    for rel, summary in summaries.items():
        if not is_parsed(summary):
            continue
        for scope, names in summary["calls"].items():  # type: ignore[union-attr]
            if scope == MODULE_SCOPE:
                if not is_test_file(rel):
                    roots.update(names)
            else:
                graph.setdefault(scope, set()).update(names)
        for cls, methods in summary.get("classes", {}).items():  # type: ignore[union-attr]
            classes.setdefault(cls, set()).update(methods)
    wanted = set(helpers) | {c for c, methods in classes.items() if methods & set(helpers)}
    if wanted:
        for rel, summary in summaries.items():
            if not is_parsed(summary) and not is_test_file(rel):
                roots.update(calls_of(rel, wanted))
    seen: set = set()
    queue = list(roots)
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        queue.extend(graph.get(name, ()))
        queue.extend(classes.get(name, ()))
    return seen & set(helpers)

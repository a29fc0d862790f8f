"""Seeding in plain Python and NumPy: unseeded generators, seeds that change every run."""
from __future__ import annotations

import ast
import re
from typing import Dict, List, Optional, Set, Tuple

from mlf_lint.engine.context import ABSENT, ModuleContext
from mlf_lint.rules.general import astutil
from mlf_lint.engine import seeders
from mlf_lint.engine.paths import is_test_file
from mlf_lint.engine.rulebase import CodeRule

# Functions whose first argument (or any keyword) is a seed.
SEEDING_FUNCTIONS = frozenset({
    "random.seed", "random.Random", "numpy.random.seed", "numpy.random.default_rng",
    "numpy.random.RandomState", "numpy.random.SeedSequence", "numpy.random.PCG64",
    "numpy.random.PCG64DXSM", "numpy.random.Philox", "numpy.random.SFC64", "numpy.random.MT19937",
    "torch.manual_seed", "torch.random.manual_seed", "torch.cuda.manual_seed",
    "torch.cuda.manual_seed_all", "tensorflow.random.set_seed", "tensorflow.set_random_seed",
    "tensorflow.compat.v1.set_random_seed", "tensorflow.keras.utils.set_random_seed",
    "tensorflow.random.Generator.from_seed", "lightning.pytorch.seed_everything",
    "transformers.set_seed", "jax.random.PRNGKey", "jax.random.key",
})
# Methods that seed whatever generator they are called on (torch.Generator().manual_seed(...)).
SEEDING_METHODS = frozenset({"manual_seed", "seed", "from_seed"})
SEED_KEYWORDS = frozenset({"seed", "random_state", "random_seed"})
# Sources of a value that differs every run, and the code that reports them as seeds.
RUN_VARYING = {
    "time.time": "MLF002", "time.time_ns": "MLF002", "time.perf_counter": "MLF002",
    "time.perf_counter_ns": "MLF002", "time.monotonic": "MLF002", "time.monotonic_ns": "MLF002",
    "datetime.datetime.now": "MLF002", "datetime.datetime.utcnow": "MLF002",
    "datetime.datetime.today": "MLF002", "os.getpid": "MLF002", "uuid.uuid1": "MLF002",
    "uuid.uuid4": "MLF002", "os.urandom": "MLF002", "secrets.randbits": "MLF002",
    "secrets.randbelow": "MLF002", "secrets.token_bytes": "MLF002", "secrets.token_hex": "MLF002",
    "secrets.choice": "MLF002", "tensorflow.timestamp": "MLF221",
}
_STATEMENT_STOP = (ast.stmt, ast.Lambda)


class UnseededGlobalSeed(CodeRule):
    """MLF001: random.seed() / np.random.seed() without a seed reseed from the OS."""

    codes = ("MLF001",)
    keywords = ("seed",)
    calls = ("random.seed", "numpy.random.seed")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if node.keywords and astutil.has_star_kwargs(node) or any(isinstance(a, ast.Starred) for a in node.args):
            return
        seed = ctx.arg(node, "a" if qualname == "random.seed" else "seed", 0)
        if seed is not ABSENT and seed is not None:
            return
        shown = "np.random.seed" if qualname.startswith("numpy") else "random.seed"
        ctx.report(node, "MLF001",
                   f"{shown}() without a seed (or with None) reseeds from the OS clock or entropy pool, so "
                   f"every run draws different numbers. Pass a fixed seed: {shown}(SEED).",
                   severity="error")


def _bitgen_unseeded(ctx: ModuleContext, node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = ctx.resolve(node.func)
    if name not in ("numpy.random.PCG64", "numpy.random.PCG64DXSM", "numpy.random.Philox",
                    "numpy.random.SFC64", "numpy.random.MT19937"):
        return False
    return ctx.arg(node, "seed", 0) in (ABSENT, None) and not node.keywords


def _reseeded_later(ctx: ModuleContext, node: ast.Call) -> bool:
    """``self.rng = random.Random()`` with ``self.rng.seed(s)`` or ``self.rng = random.Random(s)``
    elsewhere in the module: a placeholder that is seeded before use."""
    assign = astutil.parents(ctx).get(node)
    if not isinstance(assign, ast.Assign) or len(assign.targets) != 1:
        return False
    target = assign.targets[0]
    if not isinstance(target, ast.Attribute):
        return False  # a local variable: a later `rng = ...(seed)` is a different generator
    name = target.attr
    pattern = re.compile(r"\b%s\.seed\(\s*[^)\s]|\b%s\s*=\s*[\w.]*(?:Random|RandomState|default_rng)\(\s*[^)\s]"
                         % (re.escape(name), re.escape(name)))
    return pattern.search(ctx.source) is not None


class UnseededGenerator(CodeRule):
    """MLF003 (NumPy Generator API) and MLF004 (legacy RandomState, random.Random)."""

    codes = ("MLF003", "MLF004")
    keywords = ("default_rng", "Generator", "RandomState", "Random")
    calls = ("numpy.random.default_rng", "numpy.random.Generator", "numpy.random.RandomState",
             "random.Random")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if astutil.has_star_kwargs(node) or any(isinstance(a, ast.Starred) for a in node.args):
            return
        if qualname == "numpy.random.Generator":
            if node.args and _bitgen_unseeded(ctx, node.args[0]):
                ctx.report(node, "MLF003",
                           "np.random.Generator over a bit generator created without a seed draws its state "
                           "from OS entropy, so every run differs, and np.random.seed does not reach it. "
                           "Seed the bit generator: np.random.Generator(np.random.PCG64(SEED)).")
            return
        seed = ctx.arg(node, "seed" if qualname.startswith("numpy") else "x", 0)
        if seed is not ABSENT and seed is not None:
            return
        if _reseeded_later(ctx, node):
            return
        if qualname == "numpy.random.default_rng":
            ctx.report(node, "MLF003",
                       "np.random.default_rng() without a seed draws its state from OS entropy, so every run "
                       "differs, and np.random.seed does not reach it. Pass a seed: "
                       "np.random.default_rng(SEED).")
        else:
            shown = "np.random.RandomState" if qualname.startswith("numpy") else "random.Random"
            ctx.report(node, "MLF004",
                       f"{shown}() without a seed starts from OS entropy or the clock, so every run differs, "
                       f"and no global seed reaches it. Pass a seed: {shown}(SEED).")


def _is_seed_sink(ctx: ModuleContext, call: ast.Call, arg: ast.AST) -> bool:
    """``arg`` is passed as the seed of ``call``."""
    for kw in call.keywords:
        if kw.value is arg:
            return kw.arg in SEED_KEYWORDS or (kw.arg in ("a", "x") and _is_seeding_call(ctx, call))
    return bool(call.args) and call.args[0] is arg and _is_seeding_call(ctx, call)


def _is_seeding_call(ctx: ModuleContext, call: ast.Call) -> bool:
    name = ctx.resolve(call.func)
    if name is not None:
        return name in SEEDING_FUNCTIONS
    return isinstance(call.func, ast.Attribute) and call.func.attr in SEEDING_METHODS


def _sees(ctx: ModuleContext, use: ast.Name, scope: ast.AST) -> bool:
    """The variable ``use`` reads is the one assigned in ``scope`` (not a local of the same name)."""
    own = astutil.enclosing_scope(ctx, use)
    if own is scope:
        return True
    if scope is not ctx.tree:
        return False
    return not any(isinstance(n, ast.Name) and n.id == use.id and isinstance(n.ctx, ast.Store)
                   for n in ast.walk(own))


class RunVaryingSeed(CodeRule):
    """MLF002 / MLF221: a seed computed from the clock, the process id or OS entropy."""

    codes = ("MLF002", "MLF221")
    keywords = ("time", "datetime", "getpid", "uuid", "urandom", "secrets", "timestamp")
    calls = tuple(RUN_VARYING)
    wants_end = True
    _KEY = "MLF002.sources"

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        ctx.state.setdefault(self._KEY, []).append((node, qualname))

    def on_end(self, ctx: ModuleContext) -> None:
        sources: List[Tuple[ast.Call, str]] = ctx.state.get(self._KEY, [])
        if not sources:
            return
        parents = astutil.parents(ctx)
        tainted: Dict[ast.AST, Dict[str, str]] = {}  # scope -> {variable: source}
        reported: Set[int] = set()
        for source, qualname in sources:
            child: ast.AST = source
            node: Optional[ast.AST] = parents.get(source)
            while node is not None and not isinstance(node, _STATEMENT_STOP):
                if isinstance(node, ast.keyword):
                    child, node = node.value, parents.get(node)
                    continue
                if isinstance(node, ast.Call) and _is_seed_sink(ctx, node, child):
                    self._report(ctx, child, qualname, reported)
                    break
                child, node = node, parents.get(node)
            else:
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    scope = astutil.enclosing_scope(ctx, node)
                    for target in targets:
                        if isinstance(target, ast.Name):
                            tainted.setdefault(scope, {})[target.id] = qualname
        self._timestamps(ctx, sources, reported)
        for scope, names in tainted.items():
            for call in astutil.calls_in(scope):
                candidates = list(call.args[:1]) + [kw.value for kw in call.keywords]
                for arg in candidates:
                    if isinstance(arg, ast.Name) and arg.id in names and _is_seed_sink(ctx, call, arg) \
                            and _sees(ctx, arg, scope):
                        self._report(ctx, arg, names[arg.id], reported)

    @staticmethod
    def _timestamps(ctx: ModuleContext, sources: List[Tuple[ast.Call, str]], reported: Set[int]) -> None:
        """tf.timestamp() raises under op determinism, seed or not."""
        stamps = [node for node, name in sources if name == "tensorflow.timestamp"]
        if not stamps:
            return
        from mlf_lint.rules.tensorflow.mode import op_determinism_on

        if not op_determinism_on(ctx):
            return
        for node in stamps:
            if id(node) in reported or any(id(up) in reported for up in astutil.ancestors(ctx, node)):
                continue  # already reported as a seed
            ctx.report(node, "MLF221",
                       "tf.timestamp() raises FailedPreconditionError under the op determinism this project "
                       "enables. Time the step in Python (time.perf_counter) outside the graph.",
                       severity="error")

    @staticmethod
    def _report(ctx: ModuleContext, arg: ast.AST, qualname: str, reported: Set[int]) -> None:
        if id(arg) in reported:
            return
        reported.add(id(arg))
        if RUN_VARYING[qualname] == "MLF221":
            ctx.report(arg, "MLF221",
                       "a seed computed from tf.timestamp() changes every run, and under "
                       "tf.config.experimental.enable_op_determinism() tf.timestamp raises "
                       "FailedPreconditionError. Use a fixed seed.", severity="error")
            return
        shown = qualname.replace("datetime.datetime.", "datetime.")
        ctx.report(arg, "MLF002",
                   f"this seed comes from {shown}(), which differs on every run, so the run can never be "
                   "repeated. Use a fixed seed (a constant or a command-line option), and log it.",
                   severity="error")


_SEED_NAME = re.compile(r"seed", re.I)
_WORKER_METHODS = ("__getitem__", "__iter__", "__next__", "__getitems__")


_SEED_ASSIGNED = re.compile(r"([A-Za-z_][\w.]*)\s*(?::[^=]+)?=\s*$")
_SEED_DEFAULT = re.compile(r"add_argument\(\s*[\"'](-*[\w-]*seed[\w-]*)[\"'].*default\s*=\s*$", re.I)


def _seed_target(ctx: ModuleContext, node: ast.Call) -> Optional[str]:
    """The seed-named variable, attribute or option default the draw is stored in, if any (read
    from the text before the call on its line: no parent map per module)."""
    lines = ctx.state.get("MLF005.lines")
    if lines is None:
        lines = ctx.state["MLF005.lines"] = ctx.source.split("\n")
    before = lines[node.lineno - 1][:node.col_offset] if node.lineno - 1 < len(lines) else ""
    option = _SEED_DEFAULT.search(before)
    if option:
        return option.group(1).lstrip("-")
    assigned = _SEED_ASSIGNED.search(before)
    if assigned:
        name = assigned.group(1).rsplit(".", 1)[-1]
        return name if _SEED_NAME.search(name) else None
    return None


def _enclosing_function(ctx: ModuleContext, node: ast.AST) -> Optional[str]:
    for up in astutil.ancestors(ctx, node):
        if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return up.name
    return None


class UnseededGlobalRng(CodeRule):
    """MLF005 (NumPy's global RNG) / MLF006 (Python's `random`): a training program draws from a
    global generator it never seeds; or a seed is drawn from an unseeded global generator."""

    codes = ("MLF005", "MLF006")
    keywords = ("random",)
    calls = tuple(name for names in seeders.global_draws().values() for name in names)

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        code = "MLF005" if qualname.startswith("numpy.") else "MLF006"
        if is_test_file(ctx.path):
            return
        facts = ctx.facts
        shown = qualname.replace("numpy.", "np.", 1)
        setter = "np.random.seed(SEED)" if code == "MLF005" else "random.seed(SEED)"
        seed = _seed_target(ctx, node)
        seeded = facts.numpy_seeded if code == "MLF005" else facts.random_seeded
        if seed is not None and not any(path == ctx.path and line < node.lineno for path, line in seeded):
            ctx.report(node, code,
                       f"the seed `{seed}` is drawn with {shown}() from a generator nothing has seeded yet, so "
                       f"it differs every run and the run cannot be repeated without reading it back from a log. "
                       f"Use a fixed default seed.", severity="error")
            return
        if ctx.state.get(code) or not facts.programs or not facts.trains or facts.seeding_unknown:
            return  # library code no program reaches, or a program that does not train: quiet
        if seed is not None or seeded:
            return
        if _enclosing_function(ctx, node) in _WORKER_METHODS and facts.torch_seeded and facts.dataloader_workers:
            return  # DataLoader workers reseed NumPy and `random` from torch's seed (torch >= 1.9)
        ctx.state[code] = True
        rng = "NumPy's global generator" if code == "MLF005" else "Python's global `random` generator"
        ctx.report(node, code,
                   f"{shown}() draws from {rng}, which this training program never seeds, so the numbers "
                   f"(and what they select) differ every run. Call {setter} at the start of the entry point, "
                   f"or draw from a generator seeded here.")

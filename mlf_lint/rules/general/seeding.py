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
from mlf_lint.engine.versions import Version

# Functions whose first argument (or any keyword) is a seed.
SEEDING_FUNCTIONS = frozenset({
    "random.seed", "random.Random", "numpy.random.seed", "numpy.random.default_rng",
    "numpy.random.RandomState", "numpy.random.SeedSequence", "numpy.random.PCG64",
    "numpy.random.PCG64DXSM", "numpy.random.Philox", "numpy.random.SFC64", "numpy.random.MT19937",
    "torch.manual_seed", "torch.random.manual_seed", "torch.cuda.manual_seed",
    "torch.cuda.manual_seed_all", "tensorflow.random.set_seed", "tensorflow.set_random_seed",
    "tensorflow.compat.v1.set_random_seed", "tensorflow.keras.utils.set_random_seed",
    "tensorflow.random.Generator.from_seed", "lightning.pytorch.seed_everything",
    "transformers.set_seed", "jax.random.PRNGKey", "jax.random.key", "flax.nnx.Rngs",
    "tensorflow.keras.random.SeedGenerator",
})
# Methods that seed whatever generator they are called on (torch.Generator().manual_seed(...)).
SEEDING_METHODS = frozenset({"manual_seed", "seed", "from_seed"})
SEED_KEYWORDS = frozenset({"seed", "random_state", "random_seed"})
# Seeding functions whose every keyword is a seed (nnx.Rngs(params=0, dropout=1): one per stream).
KEYWORD_SEEDS = frozenset({"flax.nnx.Rngs"})
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


def is_seed_sink(ctx: ModuleContext, call: ast.Call, arg: ast.AST) -> bool:
    """``arg`` is passed as the seed of ``call``."""
    for kw in call.keywords:
        if kw.value is arg:
            return kw.arg in SEED_KEYWORDS or (kw.arg in ("a", "x") and _is_seeding_call(ctx, call)) \
                or (kw.arg is not None and ctx.resolve(call.func) in KEYWORD_SEEDS)
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
    # Call forms and imports rather than "time", which runtime, datetime and timeout all contain.
    keywords = ("time(", "time_ns(", "perf_counter", "monotonic", "now(", "today(", "time import", "getpid",
                "uuid", "urandom", "secrets", "timestamp(")
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
        # scope -> {variable: the run-varying calls its value is built from, in source order}
        tainted: Dict[ast.AST, Dict[str, List[str]]] = {}
        reported: Set[int] = set()
        direct: Dict[int, Tuple[ast.AST, List[str]]] = {}  # one seed expression -> all its sources
        for source, qualname in sources:
            child: ast.AST = source
            node: Optional[ast.AST] = parents.get(source)
            while node is not None and not isinstance(node, _STATEMENT_STOP):
                if isinstance(node, ast.keyword):
                    child, node = node.value, parents.get(node)
                    continue
                if isinstance(node, ast.Call) and is_seed_sink(ctx, node, child):
                    _add(direct.setdefault(id(child), (child, []))[1], qualname)
                    break
                child, node = node, parents.get(node)
            else:
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    scope = astutil.enclosing_scope(ctx, node)
                    for target in targets:
                        if isinstance(target, ast.Name):
                            _add(tainted.setdefault(scope, {}).setdefault(target.id, []), qualname)
        for arg, names in direct.values():
            self._report(ctx, arg, names, [], reported)
        self._timestamps(ctx, sources, reported)
        for scope, variables in tainted.items():
            for variable, names in variables.items():
                sinks = [arg for call in astutil.calls_in(scope)
                         for arg in list(call.args[:1]) + [kw.value for kw in call.keywords]
                         if isinstance(arg, ast.Name) and arg.id == variable and is_seed_sink(ctx, call, arg)
                         and _sees(ctx, arg, scope)]
                if sinks:
                    sinks.sort(key=lambda a: (a.lineno, a.col_offset))
                    self._report(ctx, sinks[0], names, sinks[1:], reported)

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
    def _report(ctx: ModuleContext, arg: ast.AST, qualnames: List[str], also: List[ast.AST],
                reported: Set[int]) -> None:
        """One finding per seed: at its first use, naming every run-varying part and the other uses."""
        if id(arg) in reported:
            return
        reported.update(id(a) for a in [arg, *also])
        if any(RUN_VARYING[q] == "MLF221" for q in qualnames):
            ctx.report(arg, "MLF221",
                       "a seed computed from tf.timestamp() changes every run, and under "
                       "tf.config.experimental.enable_op_determinism() tf.timestamp raises "
                       "FailedPreconditionError. Use a fixed seed.", severity="error")
            return
        shown = [q.replace("datetime.datetime.", "datetime.") + "()" for q in qualnames]
        parts = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        differ = "differs" if len(shown) == 1 else "differ"
        lines = sorted({a.lineno for a in also if a.lineno != arg.lineno})
        elsewhere = f" The same seed is used again on line{'s' if len(lines) > 1 else ''} " \
            f"{', '.join(map(str, lines))}." if lines else ""
        ctx.report(arg, "MLF002",
                   f"this seed comes from {parts}, which {differ} on every run, so the run can never be "
                   f"repeated. Use a fixed seed (a constant or a command-line option), and log it.{elsewhere}",
                   severity="error")


def _add(names: List[str], qualname: str) -> None:
    if qualname not in names:
        names.append(qualname)


# Seeding calls whose argument may be an option that defaults to None, and what None does there.
_NONE_SEED_EFFECTS = {
    "random.seed": "random.seed(None) seeds from OS entropy or the clock, so every run draws different numbers",
    "numpy.random.seed": "np.random.seed(None) seeds from OS entropy, so every run draws different numbers",
    "numpy.random.default_rng": "np.random.default_rng(None) takes fresh OS entropy, so every run differs",
    "numpy.random.RandomState": "np.random.RandomState(None) seeds from OS entropy, so every run differs",
    "random.Random": "random.Random(None) seeds from OS entropy or the clock, so every run differs",
    "torch.manual_seed": "torch.manual_seed(None) raises TypeError, so the run fails",
    "torch.random.manual_seed": "torch.manual_seed(None) raises TypeError, so the run fails",
    "torch.cuda.manual_seed": "torch.cuda.manual_seed(None) raises TypeError, so the run fails",
    "torch.cuda.manual_seed_all": "torch.cuda.manual_seed_all(None) raises TypeError, so the run fails",
    "lightning.pytorch.seed_everything": "seed_everything(None) picks a random seed in Lightning before 2.2",
}
# Lightning picks 0 instead of a random seed for seed_everything(None) from 2.2 (Lightning#18846).
_LIGHTNING_FIXED_DEFAULT = "2.2"


class SeedMayBeNone(CodeRule):
    """MLF007: a seed read from a command-line option whose default is None, used unguarded."""

    codes = ("MLF007",)
    keywords = ("add_argument",)
    calls = tuple(_NONE_SEED_EFFECTS)
    wants_end = True
    _KEY = "MLF007.calls"

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        seed = node.args[0] if node.args else next((kw.value for kw in node.keywords), None)
        if isinstance(seed, ast.Attribute) and isinstance(seed.value, ast.Name):
            ctx.state.setdefault(self._KEY, []).append((node, qualname, seed))

    def on_end(self, ctx: ModuleContext) -> None:
        calls = ctx.state.get(self._KEY)
        if not calls:
            return
        options = _none_default_options(ctx)
        if not options:
            return
        holders = _parsed_names(ctx)
        for node, qualname, seed in calls:
            option = options.get(seed.attr)
            if option is None or seed.value.id not in holders or _guarded(ctx, node, seed):
                continue
            if qualname == "lightning.pytorch.seed_everything" and \
                    ctx.facts.version("lightning") >= Version.parse(_LIGHTNING_FIXED_DEFAULT):
                continue  # seed_everything(None) seeds with 0 there: the run repeats
            ctx.report(seed, "MLF007",
                       f"{seed.value.id}.{seed.attr} comes from the option {option}, whose default is None, and "
                       f"{_NONE_SEED_EFFECTS[qualname]} when the option is not given. Give the option a "
                       "default seed (default=0), or seed only under `if "
                       f"{seed.value.id}.{seed.attr} is not None:`.")


# Names the parsed options usually travel under when handed to a function (def main(args): ...).
_OPTION_HOLDERS = frozenset({"args", "opt", "opts", "options", "hparams", "hp", "flags", "FLAGS", "cli_args"})


def _parsed_names(ctx: ModuleContext) -> Set[str]:
    """Names bound to ``parser.parse_args()`` / ``parse_known_args()[0]``, and the usual parameter names."""
    names = set(_OPTION_HOLDERS)
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                isinstance(node.value.func, ast.Attribute) and \
                node.value.func.attr in ("parse_args", "parse_known_args", "parse_intermixed_args"):
            for target in node.targets:
                first = target.elts[0] if isinstance(target, (ast.Tuple, ast.List)) and target.elts else target
                if isinstance(first, ast.Name):
                    names.add(first.id)
    return names


def _none_default_options(ctx: ModuleContext) -> Dict[str, str]:
    """dest -> option string of every ``parser.add_argument`` whose value is None when not given."""
    found: Dict[str, str] = {}
    for call in astutil.calls_in(ctx.tree):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "add_argument"):
            continue
        flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not flags or not all(f.startswith("-") for f in flags):
            continue  # a positional argument is always given
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
        if any(kw.arg is None for kw in call.keywords):
            continue
        required = keywords.get("required")
        if isinstance(required, ast.Constant) and required.value is True:
            continue
        default = keywords.get("default")
        if default is not None and not (isinstance(default, ast.Constant) and default.value is None):
            continue
        action = keywords.get("action")
        if action is not None:
            continue  # store_true & co. have defaults of their own
        dest_node = keywords.get("dest")
        if isinstance(dest_node, ast.Constant) and isinstance(dest_node.value, str):
            dest = dest_node.value
        else:
            long = next((f for f in flags if f.startswith("--")), flags[0])
            dest = long.lstrip("-").replace("-", "_")
        found[dest] = flags[0]
    return found


def _guarded(ctx: ModuleContext, call: ast.Call, seed: ast.Attribute) -> bool:
    """The seed is checked or replaced before use: the call sits under a test that mentions it
    (``if args.seed is not None:``, ``if args.seed:``), or the module assigns the attribute
    (``if args.seed is None: args.seed = 0``), or the parser's defaults are set elsewhere."""
    def mentions(node: ast.AST) -> bool:
        return any(isinstance(n, ast.Attribute) and n.attr == seed.attr for n in ast.walk(node))

    for up in astutil.ancestors(ctx, call):
        if isinstance(up, (ast.If, ast.IfExp, ast.While)) and mentions(up.test):
            return True
    for node in ast.walk(ctx.tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == seed.attr for t in targets):
                return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "set_defaults" and any(kw.arg == seed.attr for kw in node.keywords):
            return True
    return False


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
    # How a call of `random` or `numpy.random` can appear in text ("random" alone: every docstring
    # that mentions random initialisation).
    keywords = ("random.", "random import", "random as")
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

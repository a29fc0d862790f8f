"""MLF603: one PRNG key used for two draws. JAX's keys are values: the same key gives the same numbers,
so a key passed twice, or drawn from in every iteration of a loop that never replaces it, repeats or
correlates its "random" numbers. A statistical bug, not non-determinism: a note, off by default."""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.paths import is_test_file
from mlf_lint.engine.training import is_benchmark
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general import astutil

# jax.random functions that consume their key (fold_in derives a new key from it and is left out,
# like the constructors and key_data).
SAMPLERS = frozenset({
    "split", "normal", "uniform", "bernoulli", "categorical", "randint", "permutation", "choice",
    "truncated_normal", "gumbel", "exponential", "gamma", "loggamma", "beta", "dirichlet", "laplace",
    "logistic", "multivariate_normal", "poisson", "rademacher", "orthogonal", "ball", "bits", "t",
    "cauchy", "binomial", "chisquare", "f", "geometric", "generalized_normal", "lognormal", "maxwell",
    "pareto", "rayleigh", "triangular", "wald", "weibull_min", "double_sided_maxwell", "multinomial",
})
_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_USES = "MLF603.uses"
Use = Tuple[ast.Name, ast.Call, str]  # the key, the call that consumes it, what the message calls it


def _key_name(ctx: ModuleContext, call: ast.Call) -> Optional[ast.Name]:
    node = ctx.arg_node(call, "key", 0)
    return node if isinstance(node, ast.Name) else None


class KeyReuse(CodeRule):
    codes = ("MLF603",)
    keywords = ("jax",)
    calls = tuple(f"jax.random.{name}" for name in SAMPLERS)
    wants_end = True

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        key = _key_name(ctx, node)
        if key is not None:
            ctx.state.setdefault(_USES, []).append((key, node, qualname))

    def on_end(self, ctx: ModuleContext) -> None:
        if is_test_file(ctx.path) or is_benchmark(ctx.path):
            return  # tests reuse keys on purpose (to compare two calls); benchmarks draw fake inputs
        uses: List[Use] = list(ctx.state.get(_USES, []))
        if "rngs" in ctx.source and ctx.imports_any("flax", "jax"):
            uses += _rngs_uses(ctx)
        if not uses:
            return
        parents = astutil.parents(ctx)
        by_scope: Dict[Tuple[int, str], List[Use]] = {}
        for use in uses:
            scope = astutil.enclosing_scope(ctx, use[0])
            by_scope.setdefault((id(scope), use[0].id), []).append(use)
        reported = set()
        for group in by_scope.values():
            group.sort(key=lambda u: (u[0].lineno, u[0].col_offset))
            for use in group:
                if id(use[0]) not in reported and _loop_repeats(ctx, parents, use):
                    reported.add(id(use[0]))
                    ctx.report(use[0], "MLF603",
                               f"the key '{use[0].id}' is used by {use[2]} in every iteration of this loop but "
                               "never replaced in it: JAX draws the same numbers from the same key, so each "
                               "iteration repeats them. Split a fresh key per iteration "
                               f"({use[0].id}, sub = jax.random.split({use[0].id})) or fold in the step "
                               "(jax.random.fold_in).", severity="note")
            for earlier, later in zip(group, group[1:]):
                if id(later[0]) in reported or not _straight_line(parents, earlier, later):
                    continue
                if _reassigned_between(ctx, later[0].id, earlier[1], later[1], parents):
                    continue
                reported.add(id(later[0]))
                ctx.report(later[0], "MLF603",
                           f"the key '{later[0].id}' was already used by {earlier[2]} on line "
                           f"{earlier[0].lineno}: the same key gives the same random bits, so these draws are "
                           f"correlated (identical for the same shape). Split it first: "
                           f"{later[0].id}, sub = jax.random.split({later[0].id}).", severity="note")


def _rngs_uses(ctx: ModuleContext) -> List[Use]:
    """Keys passed in a Flax ``rngs={"dropout": key}`` mapping (apply, init)."""
    out: List[Use] = []
    for call in astutil.calls_in(ctx.tree):
        found = astutil.keyword(call, "rngs")
        if found is not None and isinstance(found.value, ast.Dict):
            for name, value in zip(found.value.keys, found.value.values):
                if isinstance(value, ast.Name) and isinstance(name, ast.Constant):
                    out.append((value, call, f"rngs={{'{name.value}': ...}}"))
    return out


def _statement(parents: Dict[ast.AST, ast.AST], node: ast.AST) -> Tuple[ast.stmt, List[ast.stmt]]:
    """The statement holding ``node`` and the statement list that holds it."""
    child, up = node, parents.get(node)
    while up is not None:
        if isinstance(child, ast.stmt):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(up, field, None)
                if isinstance(block, list) and child in block:
                    return child, block
            for handler in getattr(up, "handlers", ()):
                if child in handler.body:
                    return child, handler.body
        child, up = up, parents.get(up)
    return child, []  # type: ignore[return-value]


def _straight_line(parents: Dict[ast.AST, ast.AST], earlier: Use, later: Use) -> bool:
    """``later`` runs after ``earlier`` whenever both run: the earlier statement, or a statement
    holding it, precedes the later one in one block (so not if/else branches of each other)."""
    first, block = _statement(parents, earlier[0])
    node: Optional[ast.AST] = later[0]
    while node is not None:
        if isinstance(node, ast.stmt) and node in block:
            if node is first:
                return not isinstance(first, _COMPOUND)
            return block.index(node) > block.index(first)
        node = parents.get(node)
    return False


def _stores(node: ast.AST, name: str) -> List[ast.AST]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)]


def _reassigned_between(ctx: ModuleContext, name: str, first: ast.Call, second: ast.Call,
                        parents: Dict[ast.AST, ast.AST]) -> bool:
    scope = astutil.enclosing_scope(ctx, first)
    start = (first.end_lineno or first.lineno, first.end_col_offset or 0)
    end = (second.lineno, second.col_offset)
    for store in _stores(scope, name):
        if start <= (store.lineno, store.col_offset) <= end:
            return True
        # key, sub = split(key): the store shares the line of the call that consumed it
        if store.lineno == first.lineno:
            return True
    return False


def _loop_repeats(ctx: ModuleContext, parents: Dict[ast.AST, ast.AST], use: Use) -> bool:
    """The use sits in a loop (of its own function) that never assigns the key."""
    scope = astutil.enclosing_scope(ctx, use[0])
    node = parents.get(use[0])
    while node is not None and node is not scope:
        if isinstance(node, _LOOPS):
            return not _stores(node, use[0].id)
        node = parents.get(node)
    return False

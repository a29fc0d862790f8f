"""MLF602: XLA_FLAGS with the determinism flag set in code after JAX initialised its backend.

XLA parses XLA_FLAGS once, when the backend starts: at the first computation, key, device query or
transfer, not at ``import jax`` (checked with jax 0.10.2, see docs/rules/MLF602.md). A set after
that is ignored without a word, so the run stays non-deterministic on a GPU.
"""
from __future__ import annotations

import ast
from typing import Iterator, Optional

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.evaluate import partial_text
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general import astutil
from mlf_lint.rules.general.environment import env_writes
from mlf_lint.rules.jax.xla import sets_determinism

# Calls that start the backend (every jax.numpy and jax.random call does as well).
BACKEND_STARTERS = frozenset({
    "jax.devices", "jax.local_devices", "jax.device_count", "jax.local_device_count", "jax.process_index",
    "jax.process_count", "jax.default_backend", "jax.device_put", "jax.device_get", "flax.nnx.Rngs",
})
_STARTER_PREFIXES = ("jax.numpy.", "jax.random.")
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def starts_backend(ctx: ModuleContext, node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = ctx.resolve(node.func)
    return name is not None and (name in BACKEND_STARTERS or name.startswith(_STARTER_PREFIXES))


def _statements_before(body: list, line: int) -> Iterator[ast.AST]:
    """Nodes of ``body`` (not inside nested functions or classes) that run before ``line``."""
    stack = [s for s in reversed(body) if s.lineno < line]
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED) or getattr(node, "lineno", 0) >= line:
            continue
        yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _is_main_guard(node: ast.stmt) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"


def first_backend_start(ctx: ModuleContext, write: ast.AST) -> Optional[ast.Call]:
    """The first call that started the backend before ``write`` runs: earlier in its own function or
    module body, or, for a write inside a function, at the module's top level (which runs at import,
    before any function is called; the ``if __name__ == "__main__":`` block is left out)."""
    scope = astutil.enclosing_scope(ctx, write)
    bodies = []
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        bodies.append((scope.body, write.lineno))
        top = [s for s in ctx.tree.body if not _is_main_guard(s)]
        bodies.append((top, max((s.end_lineno or s.lineno) for s in ctx.tree.body) + 1))
    elif scope is ctx.tree:
        bodies.append((ctx.tree.body, write.lineno))
    for body, line in bodies:
        for node in _statements_before(body, line):
            if starts_backend(ctx, node):
                return node  # type: ignore[return-value]
    return None


class XlaFlagsTooLate(CodeRule):
    codes = ("MLF602",)
    keywords = ("XLA_FLAGS",)
    wants_end = True

    def on_end(self, ctx: ModuleContext) -> None:
        if "XLA_FLAGS" not in ctx.source:
            return
        for write, name, value in env_writes(ctx):
            if name != "XLA_FLAGS":
                continue
            text = partial_text(value, ctx.constants) if value is not None else None
            if not text or not sets_determinism(text):
                continue  # only the determinism flag is this rule's business
            first = first_backend_start(ctx, write)
            if first is None:
                continue
            shown = ctx.resolve(first.func) or "a JAX call"
            ctx.report(write, "MLF602",
                       f"XLA_FLAGS is set after JAX started its backend ({shown} on line {first.lineno}): XLA "
                       "reads the variable once, at that moment, so the determinism flag is ignored and GPU "
                       "results still vary run to run. Set it before the first JAX computation (importing "
                       "jax is fine) or in the environment the run starts with.")

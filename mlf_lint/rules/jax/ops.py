"""MLF604: an op whose GPU gradient fails to compile under the XLA determinism flag with the pinned
jaxlib. The op table (``ops.yaml``) is data: names, the first fixed release, the reference."""
from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Dict, List, Tuple

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.engine.versions import Version
from mlf_lint.rules import table
from mlf_lint.rules.jax.xla import deterministic_flag, keras_on_jax

TABLE = Path(__file__).with_name("ops.yaml")
# Where XLA's GPU compiler comes from, most specific first: the PJRT plugin holds it; the plugin
# and jaxlib never run ahead of jax (setup.py pins them <= jax's version).
COMPILER_LIBRARIES = ("jax-cuda12-pjrt", "jax-cuda13-pjrt", "jax-cuda12-plugin", "jax-cuda13-plugin",
                      "jaxlib", "jax")


@functools.lru_cache(maxsize=None)
def _table() -> Tuple[Dict[str, dict], Dict[str, dict]]:
    """(always, keras_on_jax_only): qualified name -> entry."""
    always: Dict[str, dict] = {}
    keras: Dict[str, dict] = {}
    for entry in table.load(TABLE):
        for name in entry.get("names", ()):
            always[name] = entry
        for name in entry.get("keras_on_jax", ()):
            keras[name] = entry
    return always, keras


def compiler_version(ctx: ModuleContext) -> Tuple[Version, str]:
    """The oldest GPU compiler the pins allow, and the library whose pin says so."""
    found: List[Tuple[Version, str]] = [(ctx.facts.version(lib), lib) for lib in COMPILER_LIBRARIES]
    return min(found)


class RaisesUnderXlaDeterminism(CodeRule):
    codes = ("MLF604",)
    keywords = ("max_pool", "MaxPool")
    calls = tuple(sorted(set(_table()[0]) | set(_table()[1])))

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        always, keras = _table()
        entry = always.get(qualname)
        if entry is None:
            if not keras_on_jax(ctx):
                return
            entry = keras[qualname]
        state, _ = deterministic_flag(ctx)
        if state is not True:
            return
        version, library = compiler_version(ctx)
        fixed = Version.parse(entry["fixed_in"])
        if version >= fixed:
            return
        ctx.report(node, "MLF604",
                   f"with {library} {version} and the XLA determinism flag on, the gradient of "
                   f"{entry['op']} ({entry['hlo']}) has no deterministic GPU implementation: compiling the "
                   "training step fails with XlaRuntimeError UNIMPLEMENTED. Upgrade jax, jaxlib and the CUDA "
                   f"plugin to >= {entry['fixed_in']}, or use average pooling or a strided convolution.",
                   severity="error")

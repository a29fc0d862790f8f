"""MLF050: the runtime helper of a generated project was edited so that a step is lost.

Generated projects carry ``reproducibility.py`` with ``set_seeds`` and ``enable_determinism``;
its first lines name the library (``# mlf-lint: runtime-helper=pytorch``). The check is by
meaning: each step is a resolved call or assignment with the right arguments, wherever it sits in
the function (or in a function of the module that it calls), so renaming imports or reordering
lines is fine, and dropping ``np.random.seed`` or turning deterministic mode to ``False`` is not.
"""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import Any, Dict, List, Set


from mlf_lint.engine.context import ABSENT, ModuleContext
from mlf_lint.engine.evaluate import literal, partial_text
from mlf_lint.engine.registry import read_table
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general.environment import node_env_writes

MARKER = re.compile(r"^#\s*mlf-lint:\s*runtime-helper=(\w+)", re.M)
CODE = "MLF050"


@functools.lru_cache(maxsize=None)
def requirements() -> Dict[str, Dict[str, Dict[str, List[Dict[str, Any]]]]]:
    return read_table(Path(__file__).parent / "runtime_helper.yaml")


def _bodies(ctx: ModuleContext, function: ast.FunctionDef, functions: Dict[str, ast.FunctionDef]) -> List[ast.AST]:
    """The function and the module's functions it calls (one level: helpers split in two)."""
    found = [function]
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            found.append(functions[node.func.id])
    return found


def _satisfies(ctx: ModuleContext, node: ast.AST, way: Dict[str, Any]) -> bool:
    if "call" in way and isinstance(node, ast.Call):
        if ctx.resolve(node.func) != way["call"]:
            return False
        for name, wanted in (way.get("args") or {}).items():
            position = 0 if name == "mode" else None
            if ctx.arg(node, name, position) != wanted:
                return False
        for name, unwanted in (way.get("not_args") or {}).items():
            value = ctx.arg(node, name)
            if value is not ABSENT and value == unwanted:
                return False
        return True
    if "env" in way and isinstance(node, (ast.Assign, ast.Call)):
        return any(name == way["env"] and value is not None
                   and way.get("contains", "") in (partial_text(value, ctx.constants) or "")
                   for name, value in node_env_writes(ctx, node))
    if "assign" in way and isinstance(node, ast.Assign):
        return any(ctx.resolve(t) == way["assign"] for t in node.targets) and \
            literal(node.value, ctx.constants) == way["value"]
    return False


class RuntimeHelperSteps(CodeRule):
    codes = (CODE,)
    keywords = ("runtime-helper",)
    wants_end = True

    def on_end(self, ctx: ModuleContext) -> None:
        # Every parsed module ends here: a substring test before the regular expression.
        marker = MARKER.search(ctx.source) if "runtime-helper" in ctx.source else None
        if marker is None:
            return
        library = marker.group(1)
        table = requirements().get(library)
        if table is None:
            return
        functions = {n.name: n for n in ctx.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for name, steps in table.items():
            function = functions.get(name)
            if function is None:
                ctx.report(ctx.tree.body[0] if ctx.tree.body else ctx.tree, CODE,
                           f"the runtime helper ({library}) no longer defines {name}(): entry points that call "
                           f"it fail, and the steps it took ({', '.join(steps)}) are gone. Restore it from the "
                           "template (`mlf-lint sync`).", severity="error")
                continue
            nodes = [n for body in _bodies(ctx, function, functions) for n in ast.walk(body)]
            lost: Set[str] = {step for step, ways in steps.items()
                              if not any(_satisfies(ctx, n, way) for n in nodes for way in ways)}
            if lost:
                missing = ", ".join(step for step in steps if step in lost)
                ctx.report(function, CODE,
                           f"{name}() in the runtime helper ({library}) no longer covers: {missing}. Runs "
                           "that rely on it stop repeating. Restore the step (the template's version: "
                           "`mlf-lint sync`).", severity="error")

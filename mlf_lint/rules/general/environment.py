"""Environment variables set from code too late to matter: PYTHONHASHSEED (read only when the
interpreter starts) and CUBLAS_WORKSPACE_CONFIG after CUDA work began."""
from __future__ import annotations

import ast
from typing import Iterator, List, Optional, Tuple

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.evaluate import literal
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general import astutil

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def node_env_writes(ctx: ModuleContext, node: ast.AST) -> List[Tuple[str, Optional[ast.AST]]]:
    """(variable name, value node) that ``node`` writes: os.environ[...] = v, os.environ.setdefault /
    update, os.putenv. The value is None where the code does not show it."""
    found: List[Tuple[str, Optional[ast.AST]]] = []
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Subscript) and ctx.resolve(target.value) == "os.environ":
                name = literal(target.slice, ctx.constants)
                if isinstance(name, str):
                    found.append((name, node.value))
    elif isinstance(node, ast.Call):
        qualname = ctx.resolve(node.func)
        if qualname in ("os.putenv", "os.environ.setdefault") and node.args:
            name = literal(node.args[0], ctx.constants)
            if isinstance(name, str):
                found.append((name, node.args[1] if len(node.args) > 1 else None))
        elif qualname == "os.environ.update" and node.args and isinstance(node.args[0], ast.Dict):
            for key, value in zip(node.args[0].keys, node.args[0].values):
                name = literal(key, ctx.constants) if key is not None else None
                if isinstance(name, str):
                    found.append((name, value))
    return found


def env_writes(ctx: ModuleContext) -> Iterator[Tuple[ast.AST, str, Optional[ast.AST]]]:
    """(node, variable name, value node) of every environment write in the module."""
    for node in ast.walk(ctx.tree):
        if isinstance(node, (ast.Assign, ast.Call)):
            for name, value in node_env_writes(ctx, node):
                yield node, name, value


def _cuda_work(ctx: ModuleContext, node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "cuda" and ctx.resolve(func) is None:
        return True
    if ctx.resolve(func) == "torch.device" and node.args:
        value = literal(node.args[0], ctx.constants)
        return isinstance(value, str) and value.startswith("cuda")
    candidates = [kw.value for kw in node.keywords if kw.arg == "device"]
    if isinstance(func, ast.Attribute) and func.attr == "to":
        candidates.extend(node.args[:1])
    for value_node in candidates:
        value = literal(value_node, ctx.constants)
        if isinstance(value, str) and value.startswith("cuda"):
            return True
    return False


def _first_cuda_work(ctx: ModuleContext, scope: ast.AST, before: int) -> Optional[ast.Call]:
    """The first call in ``scope`` (not in functions nested in it) before line ``before`` that puts
    work on a GPU."""
    body = scope.body if isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) else []
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED) or getattr(node, "lineno", 0) >= before:
            continue
        if isinstance(node, ast.Call) and _cuda_work(ctx, node):
            return node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return None


class EnvironmentTooLate(CodeRule):
    codes = ("MLF420", "MLF421")
    keywords = ("environ", "putenv")
    wants_end = True

    def on_end(self, ctx: ModuleContext) -> None:
        if "PYTHONHASHSEED" not in ctx.source and "CUBLAS_WORKSPACE_CONFIG" not in ctx.source:
            return
        launches = ctx.imports_any("subprocess") or "os.exec" in ctx.source
        for node, name, _ in env_writes(ctx):
            if name == "PYTHONHASHSEED":
                if launches:
                    continue  # a launcher: the child processes it starts do see the variable
                ctx.report(node, "MLF420",
                           "setting PYTHONHASHSEED at run time does not change this interpreter's string "
                           "hashing (it is read at start-up), so set and dict-of-set orders still vary; only "
                           "child processes see it. Set it before Python starts (shell, Dockerfile ENV, "
                           "launcher) or re-exec the interpreter with it.")
            elif name == "CUBLAS_WORKSPACE_CONFIG":
                scope = astutil.enclosing_scope(ctx, node)
                first = _first_cuda_work(ctx, scope, node.lineno)
                if first is not None:
                    ctx.report(node, "MLF421",
                               f"CUBLAS_WORKSPACE_CONFIG is set after CUDA work started (line {first.lineno}); "
                               "cuBLAS reads it once, when its handle is created, so a set after the first "
                               "GPU matmul is ignored and matmuls stay non-deterministic. Set it at the very "
                               "top of the entry point, before anything touches the GPU.")

"""TensorFlow runtime set-ups with no determinism guarantee: TF1 sessions and parameter servers
(MLF220), overwritten threading setters (MLF222), generators created under a distribution
strategy (MLF223), Horovod without HOROVOD_FUSION_THRESHOLD=0 (MLF230)."""
from __future__ import annotations

import ast

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general import astutil

_SESSIONS = ("tensorflow.compat.v1.Session", "tensorflow.Session", "tensorflow.compat.v1.InteractiveSession",
             "tensorflow.InteractiveSession")
_PARAMETER_SERVERS = ("tensorflow.distribute.experimental.ParameterServerStrategy",
                      "tensorflow.distribute.ParameterServerStrategy",
                      "tensorflow.compat.v1.distribute.experimental.ParameterServerStrategy")
_GENERATORS = ("tensorflow.random.Generator", "tensorflow.random.Generator.from_seed",
               "tensorflow.random.Generator.from_non_deterministic_state",
               "tensorflow.random.experimental.Generator", "tensorflow.random.experimental.Generator.from_seed")
_HOROVOD_INIT = ("horovod.tensorflow.init", "horovod.keras.init", "horovod.tensorflow.keras.init")


class UnsupportedRuntime(CodeRule):
    codes = ("MLF220",)
    keywords = ("Session", "ParameterServerStrategy")
    calls = _SESSIONS + _PARAMETER_SERVERS

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if qualname in _SESSIONS:
            ctx.report(node, "MLF220",
                       f"{qualname.replace('tensorflow.', 'tf.', 1)} runs a TF1 graph, for which op "
                       "determinism gives no guarantee, so results can vary run to run. Port the code to "
                       "TF2 eager / tf.function.")
        else:
            ctx.report(node, "MLF220",
                       "ParameterServerStrategy updates variables asynchronously from several workers, "
                       "so the order of updates, and the model, differ run to run; op determinism does not "
                       "cover it. Use MirroredStrategy or MultiWorkerMirroredStrategy.")


class OverwrittenThreadingSetter(CodeRule):
    codes = ("MLF222",)
    keywords = ("threading",)
    assigns = ("tensorflow.config.threading.*",)

    def on_assign(self, ctx: ModuleContext, target: ast.Attribute, value: ast.AST, qualname: str) -> None:
        if not target.attr.startswith("set_"):
            return
        ctx.report(target, "MLF222",
                   f"this assigns to tf.config.threading.{target.attr} instead of calling it: the "
                   "function is replaced, the thread count is never set, and parallel reductions on the "
                   f"CPU keep their run-to-run variation. Call it: tf.config.threading.{target.attr}(1).",
                   severity="error")


def _under_strategy_scope(ctx: ModuleContext, node: ast.AST) -> bool:
    for up in astutil.ancestors(ctx, node):
        if isinstance(up, (ast.With, ast.AsyncWith)):
            for item in up.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and \
                        expr.func.attr == "scope" and not expr.args:
                    return True
        if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
    return False


class GeneratorUnderStrategy(CodeRule):
    codes = ("MLF223",)
    keywords = ("Generator",)
    calls = _GENERATORS

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if _under_strategy_scope(ctx, node):
            ctx.report(node, "MLF223",
                       "a tf.random.Generator created under strategy.scope() gives each replica its own "
                       "stream, so the numbers drawn depend on the number of replicas and devices. Create "
                       "it outside the scope and pass it in, or derive per-replica seeds explicitly.",
                       severity="note")


class HorovodFusion(CodeRule):
    codes = ("MLF230",)
    keywords = ("horovod",)
    calls = _HOROVOD_INIT

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if any(value.strip() == "0" for _, _, value in ctx.facts.env("HOROVOD_FUSION_THRESHOLD")):
            return
        ctx.report(node, "MLF230",
                   "Horovod fuses tensors into buffers whose grouping depends on timing, so allreduce "
                   "sums add in a different order run to run. Set HOROVOD_FUSION_THRESHOLD=0 in the "
                   "environment of every worker (before hvd.init()).")

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


# What makes a TF1 session a training session: a train op is built in the same module.
_TRAINING_METHODS = frozenset({"minimize", "apply_gradients", "compute_gradients", "fit", "fit_generator",
                               "train_on_batch"})
_TRAINING_FUNCTIONS = frozenset({"tensorflow.gradients", "tensorflow.compat.v1.gradients", "tensorflow.GradientTape"})


def _builds_a_train_op(ctx: ModuleContext) -> bool:
    """The module computes gradients or builds an optimizer step (``opt.minimize(loss)``,
    ``apply_gradients``, ``tf.gradients``, ``model.fit``): a session in it can run training."""
    for node in ast.walk(ctx.tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = ctx.resolve(func)
        if name is not None:
            if name in _TRAINING_FUNCTIONS or (name.startswith("tensorflow.") and name.endswith("Optimizer")):
                return True
        elif isinstance(func, ast.Attribute) and func.attr in _TRAINING_METHODS:
            return True
    return False


class UnsupportedRuntime(CodeRule):
    codes = ("MLF220",)
    keywords = ("Session", "ParameterServerStrategy")
    calls = _SESSIONS + _PARAMETER_SERVERS
    wants_end = True
    _KEY = "MLF220.sessions"

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if qualname in _SESSIONS:
            ctx.state.setdefault(self._KEY, []).append((node, qualname))
        else:
            ctx.report(node, "MLF220",
                       "ParameterServerStrategy updates variables asynchronously from several workers, "
                       "so the order of updates, and the model, differ run to run; op determinism does not "
                       "cover it. Use MirroredStrategy or MultiWorkerMirroredStrategy.")

    def on_end(self, ctx: ModuleContext) -> None:
        sessions = ctx.state.get(self._KEY)
        if not sessions or not _builds_a_train_op(ctx):
            return  # sessions that decode files, export, freeze or benchmark run no training
        for node, qualname in sessions:
            ctx.report(node, "MLF220",
                       f"{qualname.replace('tensorflow.', 'tf.', 1)} runs the TF1 graph this module trains, "
                       "and op determinism gives no guarantee for TF1 sessions, so results can vary run to "
                       "run. Port the training to TF2 eager / tf.function.")


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

"""Code that trains with TensorFlow/Keras while the project never seeds TF (MLF201) or never turns
op determinism on (MLF202). One finding per module, at its first training call."""
from __future__ import annotations

import ast

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.names import dotted
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.engine.versions import Version
from mlf_lint.rules.general import astutil
from mlf_lint.engine.paths import is_test_file
from mlf_lint.rules.tensorflow.mode import imports_tensorflow, op_determinism_on

# Keyword arguments only Keras' Model.fit takes together with a model-like receiver.
_FIT_KEYWORDS = frozenset({"epochs", "validation_data", "validation_split", "steps_per_epoch",
                           "initial_epoch", "validation_steps"})
_DONE = "MLF201.done"


def _is_keras_fit(ctx: ModuleContext, node: ast.Call) -> bool:
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    name = (dotted(receiver) or "") if receiver is not None else ""
    made_by = ctx.assigned_calls.get(name, "")
    if made_by.startswith("tensorflow.keras."):
        return True
    if node.func.attr != "fit" or any(kw.arg in _FIT_KEYWORDS for kw in node.keywords):  # type: ignore[attr-defined]
        return True
    last = name.rsplit(".", 1)[-1].lower()
    return last in ("model", "keras_model", "autoencoder", "classifier", "net", "network") or \
        last.endswith("_model")


def _in_class(ctx: ModuleContext, node: ast.AST) -> bool:
    return any(isinstance(up, ast.ClassDef) for up in astutil.ancestors(ctx, node))


class MissingTfSeedOrDeterminism(CodeRule):
    codes = ("MLF201", "MLF202")
    keywords = ("fit", "GradientTape", "apply_gradients", "train_on_batch")
    calls = ("tensorflow.GradientTape",)
    methods = ("fit", "fit_generator", "train_on_batch", "apply_gradients")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        self._trains(ctx, node, "tf.GradientTape")

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        if method in ("fit", "fit_generator", "train_on_batch") and not _is_keras_fit(ctx, node):
            return
        self._trains(ctx, node, f"{method}()")

    def _trains(self, ctx: ModuleContext, node: ast.Call, shown: str) -> None:
        if ctx.state.get(_DONE) or not imports_tensorflow(ctx) or is_test_file(ctx.path):
            return
        if _in_class(ctx, node) and not ctx.facts.programs:
            return  # a class no program reaches (a library's trainer): its caller's run is what counts
        ctx.state[_DONE] = True
        mode_on = op_determinism_on(ctx)
        if not ctx.facts.tf_seeded:
            if mode_on:
                ctx.report(node, "MLF201",
                           f"this code trains ({shown}) with op determinism on but the project never seeds "
                           "TensorFlow: random ops without a seed raise under op determinism, and weights and "
                           "shuffling differ every run. Call tf.keras.utils.set_random_seed(SEED) at the start "
                           "of the entry point.", severity="error")
            else:
                ctx.report(node, "MLF201",
                           f"this code trains ({shown}) but the project never seeds TensorFlow: weight "
                           "initialisation, dropout and shuffling differ every run. Call "
                           "tf.keras.utils.set_random_seed(SEED) (Python, NumPy and TF at once) at the start "
                           "of the entry point.")
        if not mode_on:
            ctx.report(node, "MLF202",
                       f"this code trains ({shown}) but the project never turns TensorFlow op determinism "
                       "on: GPU kernels that add with atomics give different results run to run even with a "
                       f"seed. {_switch(ctx.facts.version('tensorflow'))}")


def _switch(version: Version) -> str:
    if version >= Version.parse("2.8"):
        return "Call tf.config.experimental.enable_op_determinism() right after seeding."
    if version >= Version.parse("2.1"):
        return f"TensorFlow {version} predates enable_op_determinism: set TF_DETERMINISTIC_OPS=1 in the environment."
    return f"TensorFlow {version} predates TF_DETERMINISTIC_OPS: set TF_CUDNN_DETERMINISTIC=1 in the environment."

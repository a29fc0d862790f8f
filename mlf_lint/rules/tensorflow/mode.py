"""Whether the project turns TensorFlow op determinism on (the API, or TF_DETERMINISTIC_OPS)."""
from __future__ import annotations

from mlf_lint.engine.context import ModuleContext

_OFF = ("", "0", "false", "False", "FALSE")


def op_determinism_on(ctx: ModuleContext) -> bool:
    if ctx.facts.tf_op_determinism:
        return True
    return any(value not in _OFF for _, _, value in ctx.facts.env("TF_DETERMINISTIC_OPS"))


def imports_tensorflow(ctx: ModuleContext) -> bool:
    """The module imports TensorFlow/Keras, or the project does (a train.py that fits a model
    built in model.py need not import TensorFlow itself)."""
    return ctx.imports_any("tensorflow", "keras", "tf_keras") or bool(ctx.facts.frameworks.get("tensorflow"))

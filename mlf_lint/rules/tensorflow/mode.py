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


def is_test_file(path: str) -> bool:
    """Test modules are not training runs: the missing-seed rules skip them."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return name.startswith("test_") or name.endswith("_test.py") or "tests" in parts[:-1] or name == "conftest.py"

"""MLF601: code trains with JAX (or Keras 3 on JAX) while no XLA_FLAGS the run sees turns XLA's GPU
determinism on. One finding per module, at its first training call."""
from __future__ import annotations

import ast

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general import astutil
from mlf_lint.rules.tensorflow.training import is_keras_fit
from mlf_lint.rules.jax.xla import FLAG_ADVICE, cpu_only, deterministic_flag, keras_on_jax

# Calls that compute gradients for a training step, by canonical name -> how the message shows them.
TRAINING_CALLS = {
    "jax.grad": "jax.grad",
    "jax.value_and_grad": "jax.value_and_grad",
    "flax.nnx.grad": "nnx.grad",
    "flax.nnx.value_and_grad": "nnx.value_and_grad",
    "optax.apply_updates": "optax.apply_updates",
    "equinox.filter_grad": "eqx.filter_grad",
    "equinox.filter_value_and_grad": "eqx.filter_value_and_grad",
}
_JAX_MODULES = ("jax", "flax", "optax", "equinox", "haiku")
_DONE = "MLF601.done"


class MissingXlaDeterminism(CodeRule):
    codes = ("MLF601",)
    keywords = ("jax", "flax", "optax", "equinox", "keras")
    calls = tuple(TRAINING_CALLS)
    methods = ("apply_gradients", "fit")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if ctx.imports_any(*_JAX_MODULES):
            self._trains(ctx, node, TRAINING_CALLS[qualname])

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        if method == "apply_gradients":
            # flax's TrainState.apply_gradients(grads=...); TensorFlow's optimizers take a zip positionally.
            if ctx.imports_any("flax") and any(kw.arg == "grads" for kw in node.keywords):
                self._trains(ctx, node, "TrainState.apply_gradients")
        elif ctx.imports_any("keras") and keras_on_jax(ctx) and is_keras_fit(ctx, node):
            self._trains(ctx, node, "fit() on Keras' JAX backend")

    def _trains(self, ctx: ModuleContext, node: ast.Call, shown: str) -> None:
        if ctx.state.get(_DONE) or ctx.off_training_path or ctx.no_grad:
            return  # tests, benchmarks, evaluation code: no training run is judged here
        if any(isinstance(up, ast.ClassDef) for up in astutil.ancestors(ctx, node)):
            return  # a method (a library's TrainState or optimizer): judged where the program calls it
        ctx.state[_DONE] = True
        if cpu_only(ctx):
            return  # XLA:CPU runs these ops deterministically
        state, places = deterministic_flag(ctx)
        if state is not False:
            return
        switched_off = [f"{path}:{line}" for path, line, value in places if "deterministic" in value]
        setting = (f"XLA_FLAGS turns it off ({', '.join(switched_off)})" if switched_off
                   else "no XLA_FLAGS the run sees turns it on")
        ctx.report(node, "MLF601",
                   f"this code trains with JAX ({shown}) but XLA's GPU determinism is off: {setting}. On a "
                   "GPU, XLA picks GEMM and convolution kernels by timing them and adds scatter and "
                   "max-pool gradients with atomics, so weights differ run to run even with fixed keys. "
                   f"Set {FLAG_ADVICE} where the run starts (Dockerfile ENV, MLproject, CI env) or in "
                   "os.environ before the first JAX computation.")

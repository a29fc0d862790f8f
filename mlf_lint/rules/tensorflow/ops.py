"""TensorFlow op table (ops.yaml): ops with no deterministic GPU implementation (MLF203) and ops that
op determinism fixes (MLF204); plus BatchNormalization layers called with training=False."""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple


from mlf_lint.engine.context import ABSENT, UNKNOWN, ModuleContext
from mlf_lint.engine.evaluate import literal
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules import table
from mlf_lint.rules.general import astutil
from mlf_lint.rules.tensorflow.mode import op_determinism_on

RAISES = "MLF203"
FIXABLE = "MLF204"
BATCH_NORM = "tensorflow.keras.layers.BatchNormalization"
# Functions whose body is differentiated: a gradient-only problem matters there.
_DIFFERENTIATED = frozenset({"call", "__call__", "train_step", "compute_loss", "forward", "loss_fn"})
_RESIZE_METHODS = {"NEAREST_NEIGHBOR": "nearest", "BILINEAR": "bilinear", "BICUBIC": "bicubic",
                   "AREA": "area", "LANCZOS3": "lanczos3", "LANCZOS5": "lanczos5", "GAUSSIAN": "gaussian",
                   "MITCHELLCUBIC": "mitchellcubic"}


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str
    conditions: Tuple[table.Condition, ...]
    backward_only: bool
    what: str
    instead: str


@functools.lru_cache(maxsize=None)
def load_table() -> Dict[str, List[Entry]]:
    return table.index((data["functions"], Entry(data["name"], data["kind"], table.conditions(data),
                                                 bool(data.get("backward_only", False)), data["what"],
                                                 data["instead"]))
                       for data in table.load(Path(__file__).parent / "ops.yaml"))


class _TfArguments(table.CallArguments):
    """String arguments compare in lower case; tf.image.ResizeMethod members read as their value."""

    def value(self, name: str, pos: Optional[int]) -> Any:
        node = self.node(name, pos)
        return ABSENT if node is None else _value(self.ctx, node)


def _value(ctx: ModuleContext, node: ast.AST) -> Any:
    """A literal, or a tf.image.ResizeMethod member as its string value."""
    value = literal(node, ctx.constants)
    if value is UNKNOWN:
        name = ctx.resolve(node)
        if name and ".ResizeMethod." in name:
            return _RESIZE_METHODS.get(name.rsplit(".", 1)[1], UNKNOWN)
    if isinstance(value, str):
        return value.lower()
    return value


def _in_differentiated_code(ctx: ModuleContext, node: ast.AST) -> bool:
    for up in astutil.ancestors(ctx, node):
        if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)) and up.name in _DIFFERENTIATED:
            return True
        if isinstance(up, (ast.With, ast.AsyncWith)):
            for item in up.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and ctx.resolve(expr.func) == "tensorflow.GradientTape":
                    return True
    return False


def _report(ctx: ModuleContext, node: ast.AST, entry: Entry, shown: str) -> None:
    mode_on = op_determinism_on(ctx)
    if entry.kind == "fixable":
        if not mode_on:
            ctx.report(node, FIXABLE,
                       f"{shown} is non-deterministic on a GPU: {entry.what}. "
                       "tf.config.experimental.enable_op_determinism() (TF >= 2.8) makes it deterministic.")
    elif mode_on:
        ctx.report(node, RAISES,
                   f"{shown} has no deterministic GPU implementation ({entry.what}), so under the op "
                   f"determinism this project enables it raises UnimplementedError on a GPU. Instead: "
                   f"{entry.instead}.", severity="error")
    else:
        ctx.report(node, RAISES,
                   f"{shown} has no deterministic GPU implementation: {entry.what}, so results can differ "
                   f"run to run on a GPU, and under op determinism it raises UnimplementedError. Instead: "
                   f"{entry.instead}.")


class TfOpTable(CodeRule):
    codes = (RAISES, FIXABLE)
    keywords = ("tensorflow", "keras")
    wants_end = True

    def __init__(self) -> None:
        self.ops = load_table()
        self.calls = tuple(self.ops) + (BATCH_NORM,)

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if qualname == BATCH_NORM:
            ctx.state.setdefault("MLF203.batchnorm", []).append(node)
            return
        for entry in self.ops[qualname]:
            if not self._holds(ctx, node, entry):
                continue
            if entry.backward_only and not _in_differentiated_code(ctx, node):
                continue
            _report(ctx, node, entry, _shown(qualname))
            return

    @staticmethod
    def _holds(ctx: ModuleContext, node: ast.Call, entry: Entry) -> bool:
        if entry.conditions and astutil.has_star_kwargs(node):
            return False
        return table.all_hold(entry.conditions, _TfArguments(ctx, node))

    def on_end(self, ctx: ModuleContext) -> None:
        """BatchNormalization layers (trainable) called with training=False: fused batch norm in
        inference mode, whose gradient has no deterministic GPU implementation."""
        layers = ctx.state.get("MLF203.batchnorm")
        if not layers:
            return
        parents = astutil.parents(ctx)
        names = set()
        for layer in layers:
            if astutil.has_star_kwargs(layer):
                continue  # BatchNormalization(**config): trainable=False may be among them
            trainable = astutil.keyword(layer, "trainable")
            if trainable is not None and literal(trainable.value, ctx.constants) is False:
                continue  # a frozen layer: no gradient flows through it
            assign = parents.get(layer)
            if isinstance(assign, ast.Assign):
                for target in assign.targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
                    elif isinstance(target, ast.Attribute):
                        names.add(target.attr)
        if not names:
            return
        entry = Entry("BatchNormalization(training=False)", "raises", (), True,
                      "a trainable BatchNormalization layer called with training=False runs fused batch "
                      "norm in inference mode, whose gradient accumulates with atomic adds",
                      "freeze the layer (layer.trainable = False) so no gradient flows through it, or call "
                      "it with training=True")
        for node in astutil.calls_in(ctx.tree):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if called not in names:
                continue
            training = astutil.keyword(node, "training")
            if training is None or literal(training.value, ctx.constants) is not False:
                continue
            _report(ctx, node, entry, "BatchNormalization(training=False)")


def _shown(qualname: str) -> str:
    return qualname.replace("tensorflow.", "tf.", 1)

"""tf.data ordering (MLF210) and stateful random ops in parallel map functions (MLF211)."""
from __future__ import annotations

import ast
from typing import Iterable, List

from mlf_lint.engine.context import ABSENT, UNKNOWN, ModuleContext
from mlf_lint.engine.evaluate import literal
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.rules.general import astutil
from mlf_lint.rules.tensorflow.mode import imports_tensorflow

# Legacy stateful random ops: their state is shared across the parallel calls of a map function.
STATEFUL_RANDOM = frozenset({
    "tensorflow.random.uniform", "tensorflow.random.normal", "tensorflow.random.truncated_normal",
    "tensorflow.random.shuffle", "tensorflow.random.categorical", "tensorflow.random.gamma",
    "tensorflow.random.poisson", "tensorflow.random_uniform", "tensorflow.random_normal",
    "tensorflow.random_shuffle", "tensorflow.truncated_normal", "tensorflow.compat.v1.random_uniform",
    "tensorflow.compat.v1.random_normal", "tensorflow.image.random_flip_left_right",
    "tensorflow.image.random_flip_up_down", "tensorflow.image.random_brightness",
    "tensorflow.image.random_contrast", "tensorflow.image.random_hue", "tensorflow.image.random_saturation",
    "tensorflow.image.random_crop", "tensorflow.image.random_jpeg_quality",
})
_ORDERING_METHODS = ("map", "interleave", "batch", "padded_batch", "parallel_map", "parallel_interleave")


class DataOrdering(CodeRule):
    codes = ("MLF210",)
    keywords = ("deterministic", "sloppy")
    methods = _ORDERING_METHODS
    calls = ("tensorflow.data.experimental.parallel_interleave",)
    assign_attrs = ("experimental_deterministic", "deterministic")

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        if ctx.arg(node, "deterministic") is False and imports_tensorflow(ctx):
            ctx.report(node, "MLF210",
                       f"Dataset.{method}(deterministic=False) lets elements come out in the order parallel "
                       "calls finish, so batches differ run to run. Drop deterministic=False (the default "
                       "keeps the order).")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if ctx.arg(node, "sloppy") is True:
            ctx.report(node, "MLF210",
                       "parallel_interleave(sloppy=True) emits elements in the order they are ready, so "
                       "batches differ run to run. Use sloppy=False, or Dataset.interleave(..., "
                       "num_parallel_calls=...) which keeps the order.")

    def on_assign(self, ctx: ModuleContext, target: ast.Attribute, value: ast.AST, qualname: str) -> None:
        constant = literal(value, ctx.constants)
        in_training = constant is False or (constant is UNKNOWN and _false_in_training(value) is False)
        if not in_training or not imports_tensorflow(ctx):
            return
        receiver = target.value
        # options.deterministic = False / options.experimental_deterministic = False; not trainer.deterministic.
        name = receiver.id if isinstance(receiver, ast.Name) else \
            receiver.attr if isinstance(receiver, ast.Attribute) else ""
        if target.attr == "deterministic" and "option" not in name.lower():
            return
        when = "" if constant is False else " during training (the expression is False when the training flag is set)"
        ctx.report(target, "MLF210",
                   f"tf.data.Options.{target.attr} = False{when} lets parallel transformations emit elements "
                   "in completion order, so batches differ run to run. Leave it at its default (True).")


_TRAINING_WORDS = ("train",)
_OTHER_MODES = ("eval", "test", "infer", "predict", "valid")


def _flag_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id.lower()
    if isinstance(node, ast.Attribute):
        return node.attr.lower()
    return ""


def _false_in_training(node: ast.AST) -> object:
    """The value of a boolean expression in a training run: flags named for training are True,
    flags named for another mode and every other flag (debug switches) False. UNKNOWN unless the
    expression mentions a training flag: without one there is nothing to judge it by."""
    if not any("train" in _flag_name(n) or isinstance(n, ast.Constant) and isinstance(n.value, str)
               and "train" in n.value.lower() for n in ast.walk(node)):
        return UNKNOWN
    return _value_in_training(node)


def _value_in_training(node: ast.AST) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    name = _flag_name(node)
    if name:
        if any(word in name for word in _TRAINING_WORDS):
            return True
        return False if any(word in name for word in _OTHER_MODES) or name.startswith(("is_", "_", "debug", "use_")) \
            or "debug" in name else UNKNOWN
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _value_in_training(node.operand)
        return UNKNOWN if inner is UNKNOWN else not inner
    if isinstance(node, ast.BoolOp):
        values = [_value_in_training(v) for v in node.values]
        if isinstance(node.op, ast.Or):
            return True if True in values else (UNKNOWN if UNKNOWN in values else False)
        return False if False in values else (UNKNOWN if UNKNOWN in values else True)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.comparators[0], ast.Constant) \
            and isinstance(node.comparators[0].value, str) and "train" in node.comparators[0].value.lower():
        if isinstance(node.ops[0], ast.Eq):
            return True
        if isinstance(node.ops[0], ast.NotEq):
            return False
    return UNKNOWN


def _function_bodies(ctx: ModuleContext, fn: ast.AST) -> Iterable[ast.AST]:
    if isinstance(fn, ast.Lambda):
        return [fn.body]
    name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
    if name is None:
        return []
    return astutil.functions_by_name(ctx).get(name, [])


class StatefulRandomInParallelMap(CodeRule):
    codes = ("MLF211",)
    keywords = ("num_parallel_calls",)
    methods = ("map",)

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        parallel = astutil.keyword(node, "num_parallel_calls")
        if parallel is None or not imports_tensorflow(ctx):
            return
        value = literal(parallel.value, ctx.constants)
        if value is not UNKNOWN and (value is None or value == 1):
            return
        fn = ctx.arg_node(node, "map_func", 0)
        if fn is None:
            return
        seen: List[int] = ctx.state.setdefault("MLF211.seen", [])
        for body in _function_bodies(ctx, fn):
            for call in astutil.calls_in(body):
                name = ctx.resolve(call.func)
                if name in STATEFUL_RANDOM and id(call) not in seen:
                    seen.append(id(call))
                    shown = name.replace("tensorflow.", "tf.", 1)
                    ctx.report(call, "MLF211",
                               f"{shown} is a stateful random op inside a function mapped with "
                               "num_parallel_calls: the parallel calls draw from one shared state in "
                               "whatever order they run, so each element's randomness changes run to run. "
                               "Use the tf.random.stateless_* / tf.image.stateless_random_* ops with a "
                               "per-element seed.")


_LIST_FILES = ("tensorflow.data.Dataset.list_files", "tensorflow.compat.v1.data.Dataset.list_files",
               "tensorflow.compat.v2.data.Dataset.list_files")


class UnseededListFiles(CodeRule):
    """MLF212: Dataset.list_files shuffles by default, with no seed when none is given."""

    codes = ("MLF212",)
    keywords = ("list_files",)
    calls = _LIST_FILES

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        shuffle = ctx.arg(node, "shuffle", 1)
        seed = ctx.arg(node, "seed", 2)
        if shuffle not in (ABSENT, None, True) or seed not in (ABSENT, None):
            return  # shuffle=False, or a seed (a variable too: where it is None is not visible here)
        if ctx.facts.tf_seeded:
            return  # a global seed (tf.random.set_seed) fixes the op seed of every later op
        ctx.report(node, "MLF212",
                   "Dataset.list_files shuffles the file names by default, and with no seed here and no "
                   "global TensorFlow seed in the project the order of the files, and so of the data, "
                   "differs on every run. Pass seed=SEED, or shuffle=False and shuffle later with a seed, "
                   "or call tf.keras.utils.set_random_seed(SEED) at the start of the entry point.")

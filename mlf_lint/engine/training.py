"""Where gradients flow: the places where no backward pass runs, shared by the analyzer (one
file) and the fact pass (the call graph of a root).

Backward-only non-determinism (atomic adds in a backward kernel) cannot show where no backward
pass runs: under ``torch.no_grad()`` / ``torch.inference_mode()``, in the ``else:`` of
``if self.training:`` (or the body of ``if not self.training:``), in functions named for
inference, evaluation, post-processing or export, in functions only such code calls, and in
modules that are not on a training path (tests, data pipelines, evaluation, post-processing,
visualisation, demos, export).
"""
from __future__ import annotations

import ast
import functools
import re
from typing import Optional

NO_GRAD = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                     "torch.autograd.grad_mode.no_grad", "torch.autograd.grad_mode.inference_mode"})
# Function names that say no backward pass runs in them.
INFERENCE_NAME = re.compile(r"^_*(?:eval|evaluate|evaluation|inference|infer|predict|postprocess|post_process|"
                            r"export|visuali[sz]e|test_time|tta|demo)(?:_|$)|_(?:inference|postprocess|"
                            r"post_process|predict|predictions)$", re.I)
# Function names that say a backward pass there measures speed, not trains (yolov5's profile()).
TIMING_NAME = re.compile(r"^_*(?:profile|profiling|benchmark|bench|measure|timeit|timing)(?:_|$)", re.I)
# Folders and module names whose code runs no backward pass: data pipelines carry no gradient,
# evaluation / post-processing / visualisation / export code runs after training.
_OFF_PATH_PARTS = frozenset({
    "data", "datasets", "dataset", "transforms", "transform", "converters", "evaluation", "evaluator",
    "evaluators", "eval", "postprocessing", "post_processing", "visualization", "visualizations", "vis",
    "visualizer", "demo", "demos", "export", "deploy", "serving", "test_time_augmentation", "tta",
    "inference", "predict", "prediction", "val", "validate", "validation", "metrics", "dataloader", "dataloaders",
    "benchmark", "benchmarks",
})


@functools.lru_cache(maxsize=4096)
def inference_name(name: str) -> bool:
    """A function named for inference, evaluation, post-processing or export (memoised: the
    analyzer asks for every function of every file, and names repeat)."""
    return INFERENCE_NAME.search(name) is not None


def off_training_path(rel: str) -> bool:
    """A module whose path says no backward pass runs in it (tests count: they are not training runs)."""
    from mlf_lint.engine.paths import is_test_file

    if is_test_file(rel):
        return True
    parts = rel.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return stem in _OFF_PATH_PARTS or any(part in _OFF_PATH_PARTS for part in parts[:-1])


def training_branch(test: ast.AST) -> Optional[bool]:
    """``if self.training:`` -> True (its body may train, its ``else`` does not); ``if not
    self.training:`` -> False (its body does not train); anything else -> None."""
    negated = False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, negated = test.operand, True
    if isinstance(test, ast.Attribute) and test.attr == "training" and isinstance(test.value, ast.Name) \
            and test.value.id == "self":
        return not negated
    return None


def opens_no_grad(resolve, node: ast.AST) -> bool:
    """A ``with torch.no_grad():`` block, or a function decorated with no_grad/inference_mode."""
    if isinstance(node, (ast.With, ast.AsyncWith)):
        exprs = [item.context_expr for item in node.items]
    else:
        exprs = node.decorator_list  # type: ignore[attr-defined]
    for expr in exprs:
        target = expr.func if isinstance(expr, ast.Call) else expr
        if resolve(target) in NO_GRAD:
            return True
        # A project's own wrapper (yolov5's smart_inference_mode) says so in its name.
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
        if name.endswith(("no_grad", "inference_mode")):
            return True
    return False

"""cuDNN flags: benchmark mode, misspelled attributes, deterministic together with benchmark."""
from __future__ import annotations

import ast
import difflib
from typing import List

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.evaluate import literal
from mlf_lint.engine.facts import Where
from mlf_lint.engine.rulebase import CodeRule

CUDNN = "torch.backends.cudnn"
# Attributes torch.backends.cudnn really has (assigning anything else is a silent no-op).
KNOWN_ATTRIBUTES = frozenset({
    "benchmark", "deterministic", "enabled", "allow_tf32", "benchmark_limit", "is_available",
    "version", "flags", "is_acceptable", "set_flags", "CUDNN_TENSOR_DTYPES", "rnn", "cudnn",
})


def _value(ctx: ModuleContext, node: ast.AST):
    return literal(node, ctx.constants)


class CudnnFlags(CodeRule):
    codes = ("MLF120", "MLF121", "MLF122")
    keywords = ("cudnn",)
    assigns = (f"{CUDNN}.*",)

    def on_assign(self, ctx: ModuleContext, target: ast.Attribute, value: ast.AST, qualname: str) -> None:
        attr = target.attr
        if attr not in KNOWN_ATTRIBUTES:
            close = difflib.get_close_matches(attr, KNOWN_ATTRIBUTES, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else "."
            ctx.report(target, "MLF121",
                       f"torch.backends.cudnn has no attribute `{attr}`: this assignment creates a new "
                       f"attribute and changes nothing{hint}", severity="error")
            return
        flag = _value(ctx, value)
        if attr == "benchmark" and flag is True:
            ctx.report(target, "MLF120",
                       "torch.backends.cudnn.benchmark = True lets cuDNN time several algorithms and pick "
                       "the fastest on each run, so results can differ run to run on a GPU. Set it to False.")
        elif attr == "deterministic" and flag is True:
            benchmarks = _training_benchmarks(ctx)
            if not benchmarks:
                return
            path, line = benchmarks[0]
            ctx.report(target, "MLF122",
                       f"cudnn.deterministic = True while cudnn.benchmark = True ({path}:{line}): benchmark "
                       "mode still times cuDNN's deterministic convolution algorithms and keeps the fastest, "
                       "which can be a different one on the next run, and each rounds differently, so "
                       "results can still differ between runs. Set benchmark = False too.")


def _training_benchmarks(ctx: ModuleContext) -> List[Where]:
    """Where the program turns benchmark mode on: the program model keeps only the sites its run
    reaches (a flag set in a class's ``__init__`` only where that class is built, lint/summaries.py
    ``BUILT_ONLY``), so a live-stream loader's flag does not count for a training script."""
    return list(ctx.facts.cudnn_benchmark)


class DeterministicModeWarnOnly(CodeRule):
    codes = ("MLF123",)
    keywords = ("deterministic",)
    calls = ("torch.use_deterministic_algorithms", "torch.set_deterministic_debug_mode")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if qualname == "torch.use_deterministic_algorithms":
            if ctx.arg(node, "warn_only") is True:
                ctx.report(node, "MLF123",
                           "use_deterministic_algorithms(True, warn_only=True) only warns: non-deterministic "
                           "ops still run and results still vary. Drop warn_only once the warnings are fixed.")
            return
        mode = ctx.arg(node, "debug_mode", 0)
        if mode in ("warn", 1):
            ctx.report(node, "MLF123",
                       f"set_deterministic_debug_mode({mode!r}) only warns about non-deterministic ops. "
                       "Use \"error\" (or torch.use_deterministic_algorithms(True)).")


class RemovedSetDeterministic(CodeRule):
    codes = ("MLF124",)
    keywords = ("deterministic",)
    calls = ("torch.set_deterministic", "torch.is_deterministic")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        new = "use_deterministic_algorithms" if qualname.endswith("set_deterministic") else \
            "are_deterministic_algorithms_enabled"
        ctx.report(node, "MLF124",
                   f"{qualname} was removed in torch 1.10 (AttributeError). Use torch.{new}.",
                   severity="error")

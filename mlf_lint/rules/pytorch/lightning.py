"""Lightning Trainer and seed_everything."""
from __future__ import annotations

import ast

from mlf_lint.engine.context import ABSENT, ModuleContext
from mlf_lint.engine.paths import is_test_file
from mlf_lint.engine.rulebase import CodeRule

TRAINER = "lightning.pytorch.Trainer"
FROM_ARGS = "lightning.pytorch.Trainer.from_argparse_args"  # Lightning < 2.0
SEED_EVERYTHING = "lightning.pytorch.seed_everything"


class TrainerFlags(CodeRule):
    codes = ("MLF140", "MLF141", "MLF142")
    keywords = ("Trainer", "trainer")
    calls = (TRAINER,)
    assign_attrs = ("deterministic", "benchmark")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if any(kw.arg is None for kw in node.keywords):
            return  # Trainer(**config): the flags are not visible here
        benchmark = ctx.arg(node, "benchmark")
        if benchmark is True:
            ctx.report(node, "MLF140",
                       "Trainer(benchmark=True) turns on cudnn.benchmark, which picks convolution "
                       "algorithms by timing on each run. Use benchmark=False.")
        deterministic = ctx.arg(node, "deterministic")
        if deterministic is ABSENT or deterministic is None or deterministic is False:
            if is_test_file(ctx.path):
                return  # a test's Trainer is not a training run
            if deterministic is not False and ctx.facts.torch_deterministic_api:
                return  # the project calls torch.use_deterministic_algorithms(True) itself
            ctx.report(node, "MLF141",
                       "Trainer without deterministic=True leaves PyTorch's non-deterministic GPU kernels "
                       "on. Pass deterministic=True (it calls torch.use_deterministic_algorithms and sets "
                       "CUBLAS_WORKSPACE_CONFIG).")

    def on_assign(self, ctx: ModuleContext, target: ast.Attribute, value: ast.AST, qualname: str) -> None:
        receiver = target.value
        if not isinstance(receiver, ast.Name) or ctx.assigned_calls.get(receiver.id) not in (TRAINER, FROM_ARGS):
            return
        ctx.report(target, "MLF142",
                   f"assigning {receiver.id}.{target.attr} after the Trainer is built has no effect: the "
                   f"flag is applied in the constructor. Pass {target.attr}=... to Trainer(...).",
                   severity="error")


class SeedEverything(CodeRule):
    codes = ("MLF143", "MLF144")
    keywords = ("seed_everything",)
    calls = (SEED_EVERYTHING,)

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        seed = ctx.arg(node, "seed", 0)
        if seed is ABSENT or seed is None:
            ctx.report(node, "MLF144",
                       "seed_everything() without a seed uses PL_GLOBAL_SEED or picks one at random "
                       "(0 in newer versions), so the seed is not written in the code. Pass a fixed seed.")
        workers = ctx.arg(node, "workers", 1)
        if workers is not True and ctx.facts.dataloader_workers:
            path, line = ctx.facts.dataloader_workers[0]
            ctx.report(node, "MLF143",
                       f"seed_everything without workers=True while DataLoaders use worker processes "
                       f"({path}:{line}): workers then share NumPy/`random` state. Pass workers=True.")

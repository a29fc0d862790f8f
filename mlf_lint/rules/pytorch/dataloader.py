"""DataLoader workers: each worker copies the parent's NumPy and `random` state."""
from __future__ import annotations

import ast

from mlf_lint.engine.context import ABSENT, ModuleContext
from mlf_lint.engine.rulebase import CodeRule


def uses_workers(ctx: ModuleContext, node: ast.Call) -> bool:
    workers = ctx.arg(node, "num_workers", 5)
    return workers is not ABSENT and workers != 0


class DataLoaderWorkers(CodeRule):
    codes = ("MLF130",)
    keywords = ("DataLoader",)
    calls = ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if not uses_workers(ctx, node):
            return
        if ctx.arg_node(node, "worker_init_fn", 9) is not None:
            return
        if ctx.facts.workers_seeded:
            return  # lightning.seed_everything(..., workers=True) installs a worker_init_fn
        ctx.report(node, "MLF130",
                   "DataLoader with num_workers > 0 and no worker_init_fn: every worker starts with the "
                   "same NumPy and `random` state, so random augmentations repeat across workers and "
                   "depend on scheduling. Pass worker_init_fn that reseeds numpy/random from "
                   "torch.initial_seed(), and generator=torch.Generator().manual_seed(SEED).")

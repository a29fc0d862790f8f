"""Seeding rules: training without a seed, non-deterministic seeds, per-device seeding gaps."""
from __future__ import annotations

import ast

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.names import dotted
from mlf_lint.engine.paths import is_test_file
from mlf_lint.engine.rulebase import CodeRule

# Calls that show a module trains (the place the missing-seed finding points at).
_TRAIN_METHODS = ("backward", "fit", "step")


def _is_training_call(node: ast.Call, method: str) -> bool:
    receiver = dotted(node.func.value) if isinstance(node.func, ast.Attribute) else None
    if method == "backward":
        return True
    receiver = (receiver or "").lower()
    if method == "fit":
        return "trainer" in receiver
    return "optim" in receiver or receiver.endswith("opt")  # optimizer.step()


class MissingTorchSeed(CodeRule):
    codes = ("MLF110",)
    keywords = ("torch", "lightning")
    methods = _TRAIN_METHODS

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        if "MLF110" in ctx.state or is_test_file(ctx.path):
            return  # a test module is not a training run
        if not ctx.imports_any("torch", "lightning") and not (
                ctx.facts.frameworks.get("torch") or ctx.facts.frameworks.get("lightning")):
            return
        if not _is_training_call(node, method):
            return
        ctx.state["MLF110"] = True
        if ctx.facts.torch_seeded:
            return
        ctx.report(node, "MLF110",
                   "this code trains, but the project never seeds PyTorch: weights, dropout and "
                   "shuffling differ every run. Call torch.manual_seed(SEED) (or "
                   "lightning.seed_everything(SEED, workers=True)) at the start of the entry point.")


class NondeterministicSeed(CodeRule):
    codes = ("MLF111",)
    keywords = ("seed",)
    calls = ("torch.seed", "torch.random.seed", "torch.cuda.seed", "torch.cuda.seed_all")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        ctx.report(node, "MLF111",
                   f"{qualname}() seeds PyTorch with a non-deterministic random number, so every run "
                   "differs. Use torch.manual_seed(SEED) with a fixed SEED.")


class CudaSeedOnly(CodeRule):
    codes = ("MLF113",)
    keywords = ("manual_seed",)
    calls = ("torch.cuda.manual_seed",)

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if ctx.facts.torch_seeded:
            return
        ctx.report(node, "MLF113",
                   "torch.cuda.manual_seed seeds only the current GPU, not the CPU or other GPUs. "
                   "Use torch.manual_seed(SEED), which seeds every device.")

"""Seeding rules: training without a seed, non-deterministic seeds, per-device seeding gaps."""
from __future__ import annotations

import ast

from mlf_lint.engine.context import ModuleContext
from mlf_lint.engine.names import dotted
from mlf_lint.engine.seeders import is_training_step
from mlf_lint.engine.paths import is_test_file
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.engine.training import TIMING_NAME
from mlf_lint.rules.general import astutil

_TRAIN_METHODS = ("backward", "fit", "step", "train")
_DIST_BACKWARD = "torch.distributed.autograd.backward"


class MissingTorchSeed(CodeRule):
    codes = ("MLF110",)
    keywords = ("torch", "lightning")
    also = ("backward", "fit(", "step(", "train(")  # what it listens to, as the text shows it
    methods = _TRAIN_METHODS
    calls = (_DIST_BACKWARD,)

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        self._trains(ctx, node, "dist_autograd.backward()")

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        receiver = dotted(node.func.value) if isinstance(node.func, ast.Attribute) else None
        if not is_training_step(None, method, receiver, ctx.assigned_calls.get(receiver or "")):
            return
        self._trains(ctx, node, f"{method}()")

    def _trains(self, ctx: ModuleContext, node: ast.Call, shown: str) -> None:
        if "MLF110" in ctx.state or is_test_file(ctx.path):
            return  # a test module is not a training run
        if any(isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)) and TIMING_NAME.search(up.name)
               for up in astutil.ancestors(ctx, node)):
            return  # a backward pass timed for speed (profile(), benchmark()) trains nothing
        if not ctx.imports_any("torch", "lightning", "transformers", "accelerate") and not (
                ctx.facts.frameworks.get("torch") or ctx.facts.frameworks.get("lightning")):
            return
        ctx.state["MLF110"] = True
        facts = ctx.facts
        if facts.torch_seeded or facts.seeding_unknown or facts.torch_cuda_seeded:
            return  # seeded (CUDA-only seeding is MLF113's, at the seeding call)
        if facts.torch_seeded_late:
            path, line = facts.torch_seeded_late[0]
            ctx.report(node, "MLF110",
                       f"this code trains, but PyTorch is seeded only after the model was built ({path}:{line}; "
                       "a Hugging Face Trainer(model=...) seeds in its constructor): the weights the model "
                       "initialises itself, such as a new classification head, differ every run. Seed before "
                       "building the model (transformers.set_seed(SEED)) or pass Trainer(model_init=...).")
            return
        ctx.report(node, "MLF110",
                   f"this code trains ({shown}), but the program never seeds PyTorch: weights, dropout and "
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
    calls = ("torch.cuda.manual_seed", "torch.cuda.manual_seed_all", "torch.cuda.random.manual_seed",
             "torch.cuda.random.manual_seed_all")

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if ctx.facts.torch_seeded or ctx.facts.seeding_unknown or is_test_file(ctx.path):
            return
        shown = qualname.replace("torch.cuda.random.", "torch.cuda.")
        what = "the current GPU" if shown.endswith("manual_seed") else "the GPUs"
        ctx.report(node, "MLF113",
                   f"{shown} seeds only {what}, and the program never seeds the CPU generator, which draws "
                   "the initial weights (modules are built on the CPU), dropout and shuffling on the CPU: they "
                   "differ every run. Use torch.manual_seed(SEED), which seeds the CPU and every GPU.")

"""All code rules. Each library package lists its rule classes; this module collects them."""
from __future__ import annotations

import functools
import importlib
from typing import List

from mlf_lint.engine.rulebase import CodeRule

# "module:Class" of every code rule. A new rule also needs its rules.yaml entry, a fixture, its
# generated page and perhaps a fixer: CONTRIBUTING.md has the whole checklist.
RULE_CLASSES = (
    "mlf_lint.rules.general.runtime_helper:RuntimeHelperSteps",
    "mlf_lint.rules.pytorch.ops:OpTableRule",
    "mlf_lint.rules.pytorch.seeding:MissingTorchSeed",
    "mlf_lint.rules.pytorch.seeding:NondeterministicSeed",
    "mlf_lint.rules.pytorch.seeding:CudaSeedOnly",
    "mlf_lint.rules.pytorch.cudnn:CudnnFlags",
    "mlf_lint.rules.pytorch.cudnn:DeterministicModeWarnOnly",
    "mlf_lint.rules.pytorch.cudnn:RemovedSetDeterministic",
    "mlf_lint.rules.pytorch.dataloader:DataLoaderWorkers",
    "mlf_lint.rules.pytorch.lightning:TrainerFlags",
    "mlf_lint.rules.pytorch.lightning:SeedEverything",
    "mlf_lint.rules.general.seeding:UnseededGlobalSeed",
    "mlf_lint.rules.general.seeding:UnseededGenerator",
    "mlf_lint.rules.general.seeding:UnseededGlobalRng",
    "mlf_lint.rules.general.seeding:RunVaryingSeed",
    "mlf_lint.rules.general.ordering:FileListingOrder",
    "mlf_lint.rules.general.ordering:CompletionOrder",
    "mlf_lint.rules.general.sklearn:SklearnRandomState",
    "mlf_lint.rules.general.environment:EnvironmentTooLate",
    "mlf_lint.rules.tensorflow.training:MissingTfSeedOrDeterminism",
    "mlf_lint.rules.tensorflow.ops:TfOpTable",
    "mlf_lint.rules.tensorflow.data:DataOrdering",
    "mlf_lint.rules.tensorflow.data:StatefulRandomInParallelMap",
    "mlf_lint.rules.tensorflow.runtime:UnsupportedRuntime",
    "mlf_lint.rules.tensorflow.runtime:OverwrittenThreadingSetter",
    "mlf_lint.rules.tensorflow.runtime:GeneratorUnderStrategy",
    "mlf_lint.rules.tensorflow.runtime:HorovodFusion",
    "mlf_lint.rules.xgboost.params:XgbParams",
)


@functools.lru_cache(maxsize=None)
def code_rules() -> List[CodeRule]:
    rules = []
    for target in RULE_CLASSES:
        module, cls = target.split(":")
        rules.append(getattr(importlib.import_module(module), cls)())
    return rules

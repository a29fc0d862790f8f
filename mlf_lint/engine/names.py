"""Import-aware name resolution: ``import torch.nn.functional as F`` makes ``F.interpolate``
resolve to ``torch.nn.functional.interpolate``; ``from torch import histc as h`` makes ``h``
resolve to ``torch.histc``. A name defined locally (``def histc``) shadows nothing imported and
resolves to nothing, so a local function of the same name never matches a rule.
"""
from __future__ import annotations

import ast
from typing import Dict, List, Optional

# Canonical spellings: users import the same module under several names.
CANONICAL_PREFIXES = (
    ("pytorch_lightning.", "lightning.pytorch."),
    ("lightning.pytorch.trainer.trainer.", "lightning.pytorch."),
    ("lightning.fabric.utilities.seed.", "lightning.pytorch."),
    ("lightning.pytorch.utilities.seed.", "lightning.pytorch."),
    ("lightning.fabric.", "lightning.pytorch."),
    ("lightning.Trainer", "lightning.pytorch.Trainer"),
    ("lightning.seed_everything", "lightning.pytorch.seed_everything"),
    ("tensorflow.python.keras.", "tensorflow.keras."),
    ("keras.", "tensorflow.keras."),
    ("torch.nn.modules.", "torch.nn."),
    ("tf_keras.", "tensorflow.keras."),
    ("xgboost.sklearn.", "xgboost."),
    ("xgboost.training.", "xgboost."),
    ("xgboost.core.", "xgboost."),
)
# torch.nn.modules.conv.Conv2d -> torch.nn.Conv2d: drop the submodule of nn.modules.
_NN_SUBMODULES = {"conv", "pooling", "padding", "upsampling", "sparse", "loss", "activation",
                  "linear", "batchnorm", "normalization", "dropout", "rnn", "module", "container"}


def canonical(name: str) -> str:
    for prefix, replacement in CANONICAL_PREFIXES:
        if name.startswith(prefix):
            name = replacement + name[len(prefix):]
    if name.startswith("torch.nn."):
        parts = name.split(".")
        if len(parts) > 3 and parts[2] in _NN_SUBMODULES:
            name = ".".join(parts[:2] + parts[3:])
    return name


class ImportMap:
    """Local name -> qualified name, for one module (scopes are merged: cheap and rarely wrong)."""

    __slots__ = ("aliases", "local_defs")

    def __init__(self) -> None:
        self.aliases: Dict[str, str] = {}
        self.local_defs: set = set()

    def add_import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                self.aliases[top] = top

    def add_import_from(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:  # relative imports are the project's own code
            for alias in node.names:
                self.local_defs.add(alias.asname or alias.name)
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def add_local(self, name: str) -> None:
        self.local_defs.add(name)
        self.aliases.pop(name, None)

    def resolve(self, node: ast.AST) -> Optional[str]:
        """The canonical qualified name of a Name/Attribute chain, or None if it is not imported."""
        chain = _chain(node)
        if chain is None:
            return None
        base = self.aliases.get(chain[0])
        if base is None:
            return None
        return canonical(".".join((base, *chain[1:])))


def _chain(node: ast.AST) -> Optional[List[str]]:
    """``a.b.c`` as ["a", "b", "c"]; None unless it is a name followed by attributes."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    attrs.append(node.id)
    attrs.reverse()
    return attrs


def dotted(node: ast.AST) -> Optional[str]:
    """``a.b.c`` as written (no import resolution), or None for anything else."""
    chain = _chain(node)
    return ".".join(chain) if chain is not None else None

"""Package names: PEP 503 normalisation and the aliases under which ML libraries are published."""
from __future__ import annotations

import re

# Distributions that install the same importable library; the version model keys on the right side.
ALIASES = {
    "pytorch": "torch",
    "pytorch-gpu": "torch",
    "pytorch-cpu": "torch",
    "pytorch-lightning": "lightning",
    "lightning": "lightning",
    "tensorflow-cpu": "tensorflow",
    "tensorflow-gpu": "tensorflow",
    "tensorflow-macos": "tensorflow",
    "tf-nightly": "tensorflow",
    "xgboost-cpu": "xgboost",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "py-xgboost-gpu": "xgboost",
}
# Libraries whose version selects rules (``ProjectFacts.versions`` keys).
TRACKED = ("torch", "torchvision", "lightning", "tensorflow", "keras", "xgboost", "jax", "jaxlib", "flax",
           "optax", "jax-cuda12-plugin", "jax-cuda12-pjrt", "jax-cuda13-plugin", "jax-cuda13-pjrt")
# Installer tooling: its version does not change what the program computes, so pinning it is not asked for.
TOOLING = frozenset({"pip", "setuptools", "wheel", "uv", "conda", "mamba"})


def normalize(name: str) -> str:
    """PEP 503 form: lower case, runs of ``-_.`` become one ``-``."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def canonical(name: str) -> str:
    """The library a distribution name stands for (``pytorch`` -> ``torch``), else its normalised name."""
    norm = normalize(name)
    return ALIASES.get(norm, norm)

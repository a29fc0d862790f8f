"""The runtime helper every generated project carries: one source, one section per library.

The source lives in ``templates/_runtime/reproducibility.py.j2`` (inside the templates folder so
that the package data globs ship it). Templates pull it in through the cookiecutter Jinja
extension :class:`mlf_lint.scaffold.runtime.extension.RuntimeExtension`, which makes
``{{ mlf_reproducibility_module("pytorch") }}`` available in any template file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Tuple

from mlf_lint.scaffold.registry import TEMPLATES_DIR

SHARED_DIR = TEMPLATES_DIR / "_runtime"
RUNTIME_SOURCE = SHARED_DIR / "reproducibility.py.j2"


class _LibrarySpec:
    def __init__(self, title: str, distributions: Tuple[str, ...], env_vars: Tuple[str, ...]) -> None:
        self.title = title
        self.distributions = distributions
        self.env_vars = env_vars


_COMMON_DISTRIBUTIONS = ("numpy", "mlflow", "mlflow-skinny")
LIBRARIES: Dict[str, _LibrarySpec] = {
    "pytorch": _LibrarySpec(
        "PyTorch and Lightning",
        ("torch", "lightning", "pytorch-lightning", *_COMMON_DISTRIBUTIONS),
        ("PYTHONHASHSEED", "CUBLAS_WORKSPACE_CONFIG", "CUDA_VISIBLE_DEVICES"),
    ),
    "tensorflow": _LibrarySpec(
        "TensorFlow and Keras",
        ("tensorflow", "tensorflow-cpu", "keras", *_COMMON_DISTRIBUTIONS),
        ("PYTHONHASHSEED", "TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC", "CUDA_VISIBLE_DEVICES"),
    ),
    "xgboost": _LibrarySpec(
        "XGBoost",
        ("xgboost", "xgboost-cpu", *_COMMON_DISTRIBUTIONS),
        ("PYTHONHASHSEED", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES"),
    ),
}


def _tuple_literal(items: Tuple[str, ...]) -> str:
    return ", ".join(repr(item) for item in items) + ("," if len(items) == 1 else "")


def render_reproducibility_module(library: str) -> str:
    """The Python source of ``reproducibility.py`` for ``library`` (pytorch, tensorflow, xgboost)."""
    from jinja2 import Environment, StrictUndefined

    spec = LIBRARIES.get(library)
    if spec is None:
        raise ValueError(f"no runtime helper for library {library!r}; expected one of {sorted(LIBRARIES)}")
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True,
                      trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(Path(RUNTIME_SOURCE).read_text(encoding="utf-8"))
    return template.render(library=library, library_title=spec.title,
                           distributions=_tuple_literal(spec.distributions),
                           env_vars=_tuple_literal(spec.env_vars))


def shared_file(name: str) -> str:
    """The source of a file every template carries, kept once in ``_runtime/`` (a ``.j2`` file
    is rendered with the project's answers: see ``mlf_shared_file`` in the extension)."""
    path = SHARED_DIR / name
    if path.parent != SHARED_DIR or not path.is_file():
        raise ValueError(f"no shared template file {name!r} in {SHARED_DIR}")
    return path.read_text(encoding="utf-8")


def library_profile(library: str) -> Dict[str, Any]:
    """What the shared project files say for ``library``: pins, start-up variables, pip's first step."""
    import yaml

    profiles = yaml.safe_load((SHARED_DIR / "libraries.yaml").read_text(encoding="utf-8"))
    if library not in profiles:
        raise ValueError(f"no library profile {library!r}; expected one of {sorted(profiles)}")
    return {"requirements": [], "environment": {}, "pip_first": "", **profiles[library]}

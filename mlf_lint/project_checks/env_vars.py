"""MLF401-MLF405: environment variables the run sees, from code (facts) and project files.

Project files that set variables: MLproject ``docker_env.environment``, Dockerfile ``ENV`` and GitHub
workflow ``env:`` blocks. Values that are templates (``${{ ... }}``, ``$VAR``) are unknown here and
are never judged.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks.findings import make
from mlf_lint.engine.versions import pinned_in

EnvVars = Dict[str, List[Tuple[str, int, str]]]
CUBLAS = "CUBLAS_WORKSPACE_CONFIG"
# The only values PyTorch's deterministic check accepts (at::Context::checkCuBLASConfigDeterministic).
TORCH_CUBLAS_VALUES = (":4096:8", ":16:8")
_CUBLAS_GRAMMAR = re.compile(r"^(:\d+:\d+)+$")
_TRUE = ("1", "true", "yes", "on")


def env_findings(root: Path, facts: ProjectFacts) -> List[Finding]:
    """The env-var findings of a project, from its facts (code and project files alike)."""
    env = facts.env_vars
    out: List[Finding] = []
    out += _cublas_missing(root, facts, env)
    out += _cublas_invalid(facts, env)
    out += _tf_deprecated(facts, env)
    out += _tf_autotune(facts, env)
    out += _hash_seed(env)
    return out


def _templated(value: str) -> bool:
    return "$" in value


def _torch_needs_cublas(facts: ProjectFacts) -> bool:
    """Deterministic mode on CUDA under a torch that checks the variable (1.8-2.9, or an unknown version)."""
    if not (facts.torch_deterministic or facts.torch_deterministic_warn_only) or not facts.uses_cuda:
        return False
    return pinned_in(facts.versions, "torch", ">=1.8,<2.10") is not False


def _set_by_lightning(root: Path, facts: ProjectFacts) -> bool:
    """Trainer(deterministic=True) sets CUBLAS_WORKSPACE_CONFIG itself (Lightning >= 1.5)."""
    places = facts.torch_deterministic + facts.torch_deterministic_warn_only
    if pinned_in(facts.versions, "lightning", ">=1.5") is False:
        return False
    for path, line in places:
        try:
            text = (root / path).read_text(encoding="utf-8").splitlines()[line - 1]
        except (OSError, UnicodeDecodeError, IndexError):
            return False
        if "use_deterministic_algorithms" in text or "deterministic" not in text:
            return False
    return bool(places)


def _cublas_missing(root: Path, facts: ProjectFacts, env: EnvVars) -> List[Finding]:
    if CUBLAS in env or not _torch_needs_cublas(facts) or _set_by_lightning(root, facts):
        return []
    path, line = (facts.torch_deterministic or facts.torch_deterministic_warn_only)[0]
    version = facts.versions.get("torch")
    which = f"torch {version}" if version else "torch 1.8-2.9 (torch is not pinned; 2.10+ does not need it)"
    return [make("MLF401", path, line, (
        f"Deterministic mode is on and the code uses CUDA, but CUBLAS_WORKSPACE_CONFIG is not set anywhere "
        f"the run sees: with {which} the first CUDA matmul raises RuntimeError (CUDA >= 10.2). "
        f"Set CUBLAS_WORKSPACE_CONFIG=:4096:8 before the process starts (Dockerfile ENV, MLproject "
        f"docker_env.environment, CI env) or in os.environ before the first CUDA call."))]


def _cublas_invalid(facts: ProjectFacts, env: EnvVars) -> List[Finding]:
    out: List[Finding] = []
    for path, line, value in env.get(CUBLAS, []):
        text = value.strip()
        if _templated(text):
            continue
        if not _CUBLAS_GRAMMAR.match(text):
            out.append(make("MLF402", path, line, (
                f"CUBLAS_WORKSPACE_CONFIG='{value}' is not a cuBLAS workspace setting (':SIZE_KiB:COUNT', note "
                f"the leading colon): cuBLAS ignores it and PyTorch's deterministic mode rejects it. "
                f"Use :4096:8 (or :16:8 to save memory).")))
        elif text not in TORCH_CUBLAS_VALUES and _torch_needs_cublas(facts):
            out.append(make("MLF402", path, line, (
                f"CUBLAS_WORKSPACE_CONFIG='{value}' is valid for cuBLAS, but PyTorch's deterministic check "
                f"accepts only :4096:8 or :16:8: the first CUDA matmul raises RuntimeError. Use :4096:8 "
                f"(it also covers RNNs) or :16:8.")))
    return out


def _tf_deprecated(facts: ProjectFacts, env: EnvVars) -> List[Finding]:
    if pinned_in(facts.versions, "tensorflow", ">=2.8") is False:
        return []  # before 2.8 the variables are the documented switch
    out: List[Finding] = []
    for name in ("TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC"):
        for path, line, value in env.get(name, []):
            empty = " An empty value crashes TensorFlow 2.21 at import." if not value.strip() else ""
            out.append(make("MLF403", path, line, (
                f"{name} is deprecated since TensorFlow 2.8 and covers fewer ops than the API that replaced "
                f"it.{empty} Call tf.config.experimental.enable_op_determinism() (after "
                f"tf.keras.utils.set_random_seed(seed)) at the start of the program instead.")))
    return out


def _tf_autotune(facts: ProjectFacts, env: EnvVars) -> List[Finding]:
    determinism = bool(facts.tf_op_determinism) or any(
        value.strip().lower() in _TRUE
        for name in ("TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC") for _, _, value in env.get(name, []))
    if not determinism:
        return []
    return [make("MLF404", path, line, (
        "TF_USE_CUDNN_AUTOTUNE=0 together with op determinism: with autotuning off TensorFlow takes cuDNN's "
        "default algorithms instead of choosing among the deterministic ones, which defeats the determinism "
        "setting. Remove TF_USE_CUDNN_AUTOTUNE."))
        for path, line, value in env.get("TF_USE_CUDNN_AUTOTUNE", [])
        if value.strip().lower() in ("0", "false")]


def _hash_seed(env: EnvVars) -> List[Finding]:
    out: List[Finding] = []
    for path, line, value in env.get("PYTHONHASHSEED", []):
        if path.endswith((".py", ".ipynb")) or _templated(value):
            continue  # os.environ in code is a code rule (only child processes see it)
        text = value.strip()
        if text.isdigit() and int(text) <= 4294967295:
            continue
        if text.lower() == "random" or not text:
            state = "'random'" if text else "an empty value (which means 'random')"
            message = (f"PYTHONHASHSEED is set to {state}: str/bytes hashes are salted differently in every "
                       f"process, so set/frozenset iteration order changes between runs. Set a fixed integer, "
                       f"e.g. PYTHONHASHSEED=0.")
        else:
            message = (f"PYTHONHASHSEED='{value}' is neither 'random' nor an integer in 0..4294967295: Python "
                       f"refuses to start. Set a fixed integer, e.g. PYTHONHASHSEED=0.")
        out.append(make("MLF405", path, line, message))
    return out

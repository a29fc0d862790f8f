"""What the run's environment tells about JAX: the XLA deterministic flag, the platform, Keras' backend.

Everything here reads environment variables the run sees (``ctx.facts.env``): set in code through
``os.environ`` (values partly known are kept as ``? <known text>``), in a Dockerfile ``ENV``, an
MLproject or a CI workflow. ``jax.config.update("jax_platforms", ...)`` and
``keras.config.set_backend(...)`` count as the variables they stand for (the fact collector records
them as JAX_PLATFORMS and KERAS_BACKEND).
"""
from __future__ import annotations

import shlex
from typing import Iterable, List, Optional, Tuple

from mlf_lint.engine.context import ModuleContext

# Either flag makes XLA:GPU pick deterministic kernels (RequireDeterminism in XLA's
# stream_executor_util.cc reads both); deterministic_ops also turns autotuning off.
DETERMINISM_FLAGS = ("xla_gpu_deterministic_ops", "xla_gpu_exclude_nondeterministic_ops")
FLAG_ADVICE = "XLA_FLAGS=--xla_gpu_deterministic_ops=true"
# absl's bool flag parser: these spell true; a bare --flag is true as well.
_TRUE = ("true", "t", "1", "yes", "y")
UNKNOWN_MARK = "?"


def flag_value(flags: str, name: str) -> Optional[bool]:
    """The value ``--name`` gets in an XLA_FLAGS string (the last mention wins); None when absent."""
    value: Optional[bool] = None
    try:
        tokens = shlex.split(flags)
    except ValueError:
        tokens = flags.split()
    for token in tokens:
        flag, sep, text = token.lstrip("-").partition("=")
        if token.startswith("-") and flag == name:
            value = True if not sep else text.strip().lower() in _TRUE
    return value


def sets_determinism(flags: str) -> Optional[bool]:
    """True when the string turns either determinism flag on, False when it mentions one only to turn
    it off, None when it mentions neither."""
    values = [flag_value(flags, name) for name in DETERMINISM_FLAGS]
    if any(v is True for v in values):
        return True
    return False if any(v is False for v in values) else None


def _unknown(value: str) -> bool:
    """A value nothing can be said about: a template (``${{ env.X }}``, ``$X``) or code whose value is
    not static (``?``) with no known text at all."""
    return "$" in value or value.strip() == UNKNOWN_MARK


def deterministic_flag(ctx: ModuleContext) -> Tuple[Optional[bool], List[Tuple[str, int, str]]]:
    """(state, places) of the XLA determinism flag where the run sets XLA_FLAGS. State: True when
    some setting turns it on; None when a setting cannot be read (stay silent); False otherwise
    (not set, or set off)."""
    places = list(ctx.facts.env("XLA_FLAGS"))
    verdicts = [sets_determinism(value) for _, _, value in places]
    if any(v is True for v in verdicts):
        return True, places
    if any(_unknown(value) for _, _, value in places):
        return None, places
    return False, places


def _values(ctx: ModuleContext, names: Iterable[str]) -> List[str]:
    return [value.strip().strip("'\"").lower() for name in names for _, _, value in ctx.facts.env(name)]


def cpu_only(ctx: ModuleContext) -> bool:
    """The run is meant for the CPU: pinned to it (JAX_PLATFORMS=cpu, JAX_PLATFORM_NAME=cpu, or the
    config option), or it splits the host into fake devices (--xla_force_host_platform_device_count,
    JAX's way to try multi-device code on a CPU)."""
    values = _values(ctx, ("JAX_PLATFORMS", "JAX_PLATFORM_NAME"))
    if values and all(v == "cpu" for v in values):
        return True
    # Fake devices are a property of a script: a program's own settings count; in code no program
    # reaches (judged with the whole root's facts) only the module's own, or a project file's.
    pooled = not ctx.facts.programs
    return any(flag_value(value, "xla_force_host_platform_device_count") is not None
               for path, _, value in ctx.facts.env("XLA_FLAGS")
               if not pooled or path == ctx.path or not path.endswith((".py", ".ipynb")))


def keras_on_jax(ctx: ModuleContext) -> bool:
    """Keras 3 runs on JAX in this run: KERAS_BACKEND=jax (read when keras is imported) or
    keras.config.set_backend("jax")."""
    values = _values(ctx, ("KERAS_BACKEND",))
    return bool(values) and all(v == "jax" for v in values)

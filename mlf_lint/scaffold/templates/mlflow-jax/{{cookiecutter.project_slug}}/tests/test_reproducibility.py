from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import jax
import mlflow
import numpy as np
import pytest

from {{cookiecutter.package_name}}.reproducibility import (
    XLA_DETERMINISM_FLAG, data_fingerprints, enable_determinism, log_environment, make_rngs, set_seeds,
)


def draw(seed: int) -> tuple:
    set_seeds(seed)
    rngs = make_rngs(seed)
    return random.random(), float(np.random.rand()), jax.random.normal(rngs.params(), (3,)).tolist()


def test_same_seed_same_draws() -> None:
    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed_is_refused(seed: object) -> None:
    with pytest.raises(ValueError):
        set_seeds(seed)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        make_rngs(seed)  # type: ignore[arg-type]


def test_enable_determinism_sets_the_xla_flag_before_jax_starts() -> None:
    """In a fresh process, as an entry point runs: the flag is in XLA_FLAGS when JAX reads it."""
    code = ("import os\n"
            "from {{cookiecutter.package_name}}.reproducibility import enable_determinism\n"
            "enable_determinism()\n"
            "import jax.numpy as jnp\n"
            "jnp.ones(2).sum().block_until_ready()\n"
            "print(os.environ['XLA_FLAGS'])\n")
    env = {key: value for key, value in os.environ.items() if key != "XLA_FLAGS"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    assert XLA_DETERMINISM_FLAG in result.stdout.split()


def test_enable_determinism_keeps_other_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLA_FLAGS", f"--xla_gpu_autotune_level=0 {XLA_DETERMINISM_FLAG}")
    enable_determinism()
    assert os.environ["XLA_FLAGS"] == f"--xla_gpu_autotune_level=0 {XLA_DETERMINISM_FLAG}"


def test_log_environment_records_data_hash_and_xla_flags(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("x,label\n1,0\n", encoding="utf-8")
    with mlflow.start_run() as run:
        info = log_environment([data])
    expected = hashlib.sha256(data.read_bytes()).hexdigest()
    assert info["data_sha256"] == {data.as_posix(): expected}
    assert info["jax"]["backend"] in ("cpu", "gpu", "tpu")
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["data.sha256.data.csv"] == expected
    assert "env.var.XLA_FLAGS" in tags


def test_missing_data_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        data_fingerprints([tmp_path / "absent.csv"])

"""End to end: generated projects train reproducibly on CPU, and the linter sees what breaks that.

The ``lint_e2e`` marker needs a line in pyproject's ``markers`` (the module cannot register it:
pytest only runs ``pytest_configure`` from conftest files and plugins).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

from mlf_lint.scaffold.registry import get_template
from mlf_lint.scaffold.render import render

TRAIN_ARGS = {"mlflow-pytorch": ["--epochs", "2"], "mlflow-xgboost": ["--rounds", "20"],
              "mlflow-tensorflow": ["--epochs", "2"], "mlflow-jax": ["--epochs", "2"]}
# Model files whose bytes repeat (a .keras archive stores its save time, so only its weights hash counts).
MODEL_FILES = {"mlflow-pytorch": "model.pt", "mlflow-xgboost": "model.json", "mlflow-jax": "params.msgpack"}
REQUIRED = {"mlflow-pytorch": ["torch", "lightning", "mlflow"], "mlflow-xgboost": ["xgboost", "mlflow"],
            "mlflow-tensorflow": ["tensorflow", "mlflow"], "package-prediction": ["xgboost", "mlflow"],
            "mlflow-jax": ["jax", "flax", "optax", "mlflow"]}


def make_project(tmp_path: Path, handle: str) -> Path:
    template = get_template(handle)
    assert template is not None
    return render(template, {"project_name": "demo"}, tmp_path)


def train(project: Path, handle: str, seed: int, run_name: str) -> Tuple[Dict[str, str], str]:
    """Train in a fresh process, as a user would; return the printed metrics and weights hash."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
           "MLFLOW_TRACKING_URI": (project / "mlruns").as_uri(), "MLFLOW_ALLOW_FILE_STORE": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "demo.train", "--seed", str(seed), "--output-dir", str(project / run_name),
         *TRAIN_ARGS[handle]], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    values = dict(re.findall(r"^(\w+)=(\S+)$", result.stdout, re.M))
    digest = values.pop("weights_sha256")
    assert values, result.stdout
    return values, digest


@pytest.mark.slow
@pytest.mark.parametrize("handle", ["mlflow-pytorch", "mlflow-xgboost", "mlflow-tensorflow", "mlflow-jax"])
def test_same_seed_is_bit_identical_other_seed_differs(tmp_path: Path, handle: str) -> None:
    for module in REQUIRED[handle]:
        pytest.importorskip(module)
    project = make_project(tmp_path, handle)
    first = train(project, handle, seed=11, run_name="a")
    second = train(project, handle, seed=11, run_name="b")
    other = train(project, handle, seed=12, run_name="c")
    assert first == second  # metrics printed with repr(): equal strings mean equal bits
    assert other[1] != first[1]
    model_file = MODEL_FILES.get(handle)
    if model_file:
        assert (project / "a" / model_file).read_bytes() == (project / "b" / model_file).read_bytes()


# --- the linter on generated projects (needs the teammates' linter) ----------------------------

def lint(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlf_lint", "check", str(project)],
                          capture_output=True, text=True, timeout=600)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def drop_seeding(project: Path) -> None:
    _edit(project / "demo" / "train.py", "    set_seeds(seed)\n", "")


def cudnn_benchmark(project: Path) -> None:
    _edit(project / "demo" / "train.py", "    enable_determinism()\n",
          "    enable_determinism()\n    torch.backends.cudnn.benchmark = True\n")


def drop_op_determinism(project: Path) -> None:
    _edit(project / "demo" / "reproducibility.py", "    tf.config.experimental.enable_op_determinism()\n",
          "    pass\n")


def unseeded_data(project: Path) -> None:
    """XGBoost seeds with 0 by default, so dropping set_seeds changes nothing there; what the
    XGBoost project's reproducibility rests on is its explicitly seeded data generator."""
    _edit(project / "demo" / "data.py", "np.random.default_rng(seed)", "np.random.default_rng()")


def helper_loses_numpy_seed(project: Path) -> None:
    """An edit inside the shared runtime helper that drops one step (by meaning: MLF050)."""
    _edit(project / "demo" / "reproducibility.py", "    np.random.seed(seed)\n", "")


def helper_turns_mode_off(project: Path) -> None:
    """(For PyTorch, dropping np.random.seed loses nothing: seed_everything seeds NumPy too.)"""
    _edit(project / "demo" / "reproducibility.py", "torch.use_deterministic_algorithms(True)",
          "torch.use_deterministic_algorithms(False)")


def keys_from_the_clock(project: Path) -> None:
    _edit(project / "demo" / "train.py", "import argparse\n", "import argparse\nimport time\n")
    _edit(project / "demo" / "train.py", "    rngs = make_rngs(seed)\n", "    rngs = nnx.Rngs(int(time.time()))\n")


def helper_loses_xla_flag(project: Path) -> None:
    _edit(project / "demo" / "reproducibility.py", 'XLA_DETERMINISM_FLAG = "--xla_gpu_deterministic_ops=true"',
          'XLA_DETERMINISM_FLAG = "--xla_gpu_autotune_level=0"')


def shotgun(project: Path) -> None:
    _edit(project / "demo" / "train.py", "booster = xgb.train(params, dtrain,",
          'booster = xgb.train({"booster": "gblinear", "updater": "shotgun", "seed": seed}, dtrain,')


# (template, mutation, how, the code that must report it)
MUTATIONS: List[Tuple[str, str, Callable[[Path], None], str]] = [
    ("mlflow-pytorch", "drop set_seeds", drop_seeding, "MLF110"),
    ("mlflow-pytorch", "cudnn.benchmark=True", cudnn_benchmark, "MLF120"),
    ("mlflow-tensorflow", "drop set_seeds", drop_seeding, "MLF201"),
    ("mlflow-tensorflow", "drop enable_op_determinism", drop_op_determinism, "MLF202"),
    ("mlflow-xgboost", "unseeded data generator", unseeded_data, "MLF003"),
    ("mlflow-xgboost", "gblinear + shotgun", shotgun, "MLF301"),
    ("mlflow-pytorch", "helper turns deterministic mode off", helper_turns_mode_off, "MLF050"),
    ("mlflow-xgboost", "helper drops np.random.seed", helper_loses_numpy_seed, "MLF050"),
    ("mlflow-jax", "helper drops the XLA determinism flag", helper_loses_xla_flag, "MLF050"),
    ("mlflow-jax", "JAX keys from the clock", keys_from_the_clock, "MLF002"),
]


@pytest.mark.lint_e2e
@pytest.mark.parametrize("handle", ["mlflow-jax", "mlflow-pytorch", "mlflow-tensorflow", "mlflow-xgboost",
                                    "package-prediction"])
def test_generated_project_is_clean(tmp_path: Path, handle: str) -> None:
    result = lint(make_project(tmp_path, handle))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.lint_e2e
@pytest.mark.parametrize("handle, name, mutate, code", MUTATIONS, ids=[f"{h}:{n}" for h, n, *_ in MUTATIONS])
def test_broken_project_is_reported(tmp_path: Path, handle: str, name: str,
                                    mutate: Callable[[Path], None], code: str) -> None:
    project = make_project(tmp_path, handle)
    mutate(project)
    result = lint(project)
    assert result.returncode == 1, f"{name}: exit {result.returncode}\n{result.stdout}{result.stderr}"
    assert f": {code} " in result.stdout, result.stdout

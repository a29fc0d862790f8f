from __future__ import annotations

import hashlib
import random
from pathlib import Path

import mlflow
import numpy as np
import pytest
import xgboost

from {{cookiecutter.package_name}}.reproducibility import (
    data_fingerprints, log_environment, set_seeds, xgboost_params,
)


def test_same_seed_same_draws() -> None:
    set_seeds(7)
    first = (random.random(), float(np.random.rand()))
    set_seeds(7)
    assert (random.random(), float(np.random.rand())) == first


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed_is_refused(seed: object) -> None:
    with pytest.raises(ValueError):
        set_seeds(seed)  # type: ignore[arg-type]


def test_params_are_deterministic() -> None:
    assert xgboost_params(5)["seed"] == 5
    linear = xgboost_params(5, booster="gblinear")
    assert linear["updater"] == "coord_descent"  # shotgun races between threads


def test_log_environment_records_data_hash(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("x,label\\n1,0\\n", encoding="utf-8")
    with mlflow.start_run() as run:
        info = log_environment([data])
    expected = hashlib.sha256(data.read_bytes()).hexdigest()
    assert info["data_sha256"] == {data.as_posix(): expected}
    assert xgboost.__version__ in info["versions"].values()
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["data.sha256.data.csv"] == expected


def test_missing_data_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        data_fingerprints([tmp_path / "absent.csv"])

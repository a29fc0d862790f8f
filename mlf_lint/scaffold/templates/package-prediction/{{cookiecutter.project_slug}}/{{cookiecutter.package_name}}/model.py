"""Train, save, load and apply the model: the functions the CLI and other code share."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Union

import mlflow
import numpy as np
import xgboost as xgb

from {{cookiecutter.package_name}}.data import ensure_dataset, load_dataset, split
from {{cookiecutter.package_name}}.reproducibility import (
    enable_determinism, log_environment, set_seeds, weights_sha256, xgboost_params,
)


class ModelError(Exception):
    """A model or input file that cannot be used: reported by the CLI as one line."""


def train_model(data: Path, output: Path, seed: int = 0, rounds: int = 30) -> Dict[str, Any]:
    """Train the reference model on ``data`` and save it to ``output`` (XGBoost JSON)."""
    set_seeds(seed)
    enable_determinism()
    data_file = ensure_dataset(data)
    (x_train, y_train), (x_val, y_val) = split(*load_dataset(data_file))
    params = xgboost_params(seed, objective="binary:logistic", eval_metric="logloss",
                            max_depth=3, eta=0.2, subsample=0.8)
    with mlflow.start_run() as run:
        log_environment([data_file])
        mlflow.log_params({**{k: str(v) for k, v in params.items()}, "rounds": rounds})
        history: Dict[str, Dict[str, List[float]]] = {}
        booster = xgb.train(params, xgb.DMatrix(x_train, label=y_train), num_boost_round=rounds,
                            evals=[(xgb.DMatrix(x_val, label=y_val), "val")], evals_result=history,
                            verbose_eval=False)
        metrics = {"val_logloss": float(history["val"]["logloss"][-1])}
        mlflow.log_metrics(metrics)
        output.parent.mkdir(parents=True, exist_ok=True)
        booster.save_model(str(output))
        mlflow.log_artifact(str(output))
        digest = weights_sha256(booster)
        mlflow.set_tag("model.weights_sha256", digest)
    return {"metrics": metrics, "weights_sha256": digest, "run_id": run.info.run_id}


def load_model(path: Union[str, Path]) -> xgb.Booster:
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    booster = xgb.Booster()
    try:
        booster.load_model(str(path))
    except xgb.core.XGBoostError as error:
        raise ModelError(f"{path} is not an XGBoost model: {str(error).splitlines()[0]}") from error
    return booster


def read_features(path: Union[str, Path], n_features: int) -> np.ndarray:
    """Feature rows from a CSV with a header; a trailing ``label`` column is dropped."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"input file not found: {path}")
    header = path.read_text(encoding="utf-8").splitlines()[:1]
    columns = header[0].split(",") if header else []
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    except ValueError as error:
        raise ModelError(f"{path}: not a numeric CSV ({error})") from error
    if columns and columns[-1].strip() == "label":
        table = table[:, :-1]
    if table.shape[1] != n_features:
        raise ModelError(f"{path}: expected {n_features} feature columns, found {table.shape[1]}")
    return table.astype(np.float32)


def predict(booster: xgb.Booster, features: np.ndarray) -> np.ndarray:
    """Probability of class 1 for each row."""
    return booster.predict(xgb.DMatrix(features))

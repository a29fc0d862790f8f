"""Train the Keras classifier and track the run with MLflow: ``python -m {{cookiecutter.package_name}}.train``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import mlflow

from {{cookiecutter.package_name}}.data import DEFAULT_DATA, ensure_dataset, load_dataset, split
from {{cookiecutter.package_name}}.model import build_model
from {{cookiecutter.package_name}}.reproducibility import (
    enable_determinism, log_environment, set_seeds, weights_sha256,
)


def train(seed: int = 0, epochs: int = 5, data: Path = DEFAULT_DATA, batch_size: int = 32,
          output_dir: Path = Path("outputs")) -> Dict[str, Any]:
    """Train once; return the final metrics, the weights' sha256 and the MLflow run id."""
    set_seeds(seed)
    enable_determinism()
    data_file = ensure_dataset(data)
    (x_train, y_train), (x_val, y_val) = split(*load_dataset(data_file))
    model = build_model(n_features=x_train.shape[1])
    with mlflow.start_run() as run:
        log_environment([data_file])
        mlflow.log_params({"seed": seed, "epochs": epochs, "batch_size": batch_size, "data": str(data_file)})
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                            batch_size=batch_size, shuffle=True, verbose=0)
        metrics = {name: float(values[-1]) for name, values in sorted(history.history.items())}
        mlflow.log_metrics(metrics)
        digest = weights_sha256(model)
        mlflow.set_tag("model.weights_sha256", digest)
        output_dir.mkdir(parents=True, exist_ok=True)
        model_file = output_dir / "model.keras"
        model.save(model_file)
        mlflow.log_artifact(str(model_file))
    return {"metrics": metrics, "weights_sha256": digest, "run_id": run.info.run_id}


{{ mlf_shared_file("train_cli.py.j2", options=[["epochs", 5], ["batch_size", 32]]) -}}

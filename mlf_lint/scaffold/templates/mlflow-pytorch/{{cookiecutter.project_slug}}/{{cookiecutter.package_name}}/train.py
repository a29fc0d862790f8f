"""Train the classifier and track the run with MLflow: ``python -m {{cookiecutter.package_name}}.train``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import lightning.pytorch as pl
import mlflow
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from {{cookiecutter.package_name}}.data import DEFAULT_DATA, ensure_dataset, load_dataset, split
from {{cookiecutter.package_name}}.model import Classifier
from {{cookiecutter.package_name}}.reproducibility import (
    enable_determinism, log_environment, make_generator, seed_worker, set_seeds, weights_sha256,
)


def make_loaders(features: np.ndarray, labels: np.ndarray, seed: int, batch_size: int,
                 num_workers: int) -> Tuple[DataLoader, DataLoader]:
    (x_train, y_train), (x_val, y_val) = split(features, labels)
    train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    val_set = TensorDataset(torch.from_numpy(x_val), torch.from_numpy(y_val))
    # The generator fixes the shuffling order; worker_init_fn reseeds numpy/random per worker.
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=num_workers,
                              worker_init_fn=seed_worker, generator=make_generator(seed))
    val_loader = DataLoader(val_set, batch_size=batch_size, num_workers=num_workers,
                            worker_init_fn=seed_worker, generator=make_generator(seed))
    return train_loader, val_loader


def train(seed: int = 0, epochs: int = 5, data: Path = DEFAULT_DATA, batch_size: int = 32,
          num_workers: int = 0, output_dir: Path = Path("outputs")) -> Dict[str, Any]:
    """Train once; return the final metrics, the weights' sha256 and the MLflow run id."""
    set_seeds(seed)
    enable_determinism()
    data_file = ensure_dataset(data)
    features, labels = load_dataset(data_file)
    train_loader, val_loader = make_loaders(features, labels, seed, batch_size, num_workers)
    model = Classifier(n_features=features.shape[1])
    with mlflow.start_run() as run:
        log_environment([data_file])
        mlflow.log_params({"seed": seed, "epochs": epochs, "batch_size": batch_size,
                           "num_workers": num_workers, "data": str(data_file)})
        trainer = pl.Trainer(max_epochs=epochs, deterministic=True, logger=False,
                             enable_checkpointing=False, enable_progress_bar=False,
                             enable_model_summary=False)
        trainer.fit(model, train_loader, val_loader)
        metrics = {name: float(value) for name, value in sorted(trainer.callback_metrics.items())}
        mlflow.log_metrics(metrics)
        digest = weights_sha256(model)
        mlflow.set_tag("model.weights_sha256", digest)
        output_dir.mkdir(parents=True, exist_ok=True)
        weights_file = output_dir / "model.pt"
        torch.save(model.state_dict(), weights_file)
        mlflow.log_artifact(str(weights_file))
    return {"metrics": metrics, "weights_sha256": digest, "run_id": run.info.run_id}


{{ mlf_shared_file("train_cli.py.j2", options=[["epochs", 5], ["batch_size", 32], ["num_workers", 0]]) -}}

"""Train the Flax classifier with Optax and track the run with MLflow: ``python -m {{cookiecutter.package_name}}.train``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import jax
import jax.numpy as jnp
import mlflow
import numpy as np
import optax
from flax import nnx

from {{cookiecutter.package_name}}.data import DEFAULT_DATA, ensure_dataset, load_dataset, split
from {{cookiecutter.package_name}}.model import MLP
from {{cookiecutter.package_name}}.reproducibility import (
    enable_determinism, log_environment, make_rngs, params_bytes, set_seeds, weights_sha256,
)


def loss_fn(model: MLP, x: jax.Array, y: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(model(x), y).mean()


@nnx.jit
def train_step(model: MLP, optimizer: nnx.Optimizer, x: jax.Array, y: jax.Array) -> jax.Array:
    loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
    optimizer.update(model, grads)
    return loss


@nnx.jit
def evaluate(model: MLP, x: jax.Array, y: jax.Array) -> Dict[str, jax.Array]:
    logits = model(x)
    return {"val_loss": optax.softmax_cross_entropy_with_integer_labels(logits, y).mean(),
            "val_accuracy": jnp.mean(jnp.argmax(logits, axis=-1) == y)}


def train(seed: int = 0, epochs: int = 5, data: Path = DEFAULT_DATA, batch_size: int = 32, lr: float = 1e-2,
          output_dir: Path = Path("outputs")) -> Dict[str, Any]:
    """Train once; return the final metrics, the weights' sha256 and the MLflow run id."""
    set_seeds(seed)
    enable_determinism()  # before the first JAX computation: XLA reads its flags when JAX starts
    data_file = ensure_dataset(data)
    (x_train, y_train), (x_val, y_val) = split(*load_dataset(data_file))
    rngs = make_rngs(seed)
    model = MLP(n_features=x_train.shape[1], rngs=rngs)
    optimizer = nnx.Optimizer(model, optax.adam(lr), wrt=nnx.Param)
    shuffle_key = rngs.shuffle()
    with mlflow.start_run() as run:
        log_environment([data_file])
        mlflow.log_params({"seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr,
                           "data": str(data_file)})
        for epoch in range(epochs):
            # One key per epoch, folded in from the seed: the order differs between epochs and repeats
            # between runs.
            order = np.asarray(jax.random.permutation(jax.random.fold_in(shuffle_key, epoch), len(y_train)))
            model.train()
            losses = [train_step(model, optimizer, jnp.asarray(x_train[batch]), jnp.asarray(y_train[batch]))
                      for batch in (order[start:start + batch_size] for start in range(0, len(order), batch_size))]
            model.eval()
            metrics = {"loss": float(np.mean(losses)),
                       **{name: float(value) for name, value in evaluate(model, jnp.asarray(x_val),
                                                                         jnp.asarray(y_val)).items()}}
            mlflow.log_metrics(metrics, step=epoch)
        digest = weights_sha256(model)
        mlflow.set_tag("model.weights_sha256", digest)
        output_dir.mkdir(parents=True, exist_ok=True)
        model_file = output_dir / "params.msgpack"
        model_file.write_bytes(params_bytes(model))
        mlflow.log_artifact(str(model_file))
    return {"metrics": metrics, "weights_sha256": digest, "run_id": run.info.run_id}


{{ mlf_shared_file("train_cli.py.j2", options=[["epochs", 5], ["batch_size", 32]]) -}}

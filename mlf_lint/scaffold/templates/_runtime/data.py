"""The project's dataset: a small synthetic classification set written to CSV on first use.

Generated rather than downloaded so that training runs offline; the data has its own fixed seed
so that changing the training seed changes the model, never the data.
"""
from __future__ import annotations

from pathlib import Path
from typing import Tuple, Union

import numpy as np

DATA_SEED = 20240601
N_FEATURES = 8
DEFAULT_DATA = Path("data") / "train.csv"


def make_dataset(path: Union[str, Path], n_samples: int = 512, seed: int = DATA_SEED) -> Path:
    """Write ``n_samples`` rows of features plus a 0/1 label to ``path`` (CSV with a header)."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n_samples, N_FEATURES))
    weights = rng.normal(size=N_FEATURES)
    noise = rng.normal(scale=0.5, size=n_samples)
    labels = (features @ weights + noise > 0).astype(np.int64)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ",".join([f"x{i}" for i in range(N_FEATURES)] + ["label"])
    # %.17g round-trips every float64 exactly, so the file (and its sha256) never drifts.
    np.savetxt(path, np.column_stack([features, labels]), delimiter=",", header=header,
               comments="", fmt="%.17g")
    return path


def ensure_dataset(path: Union[str, Path] = DEFAULT_DATA) -> Path:
    """The dataset at ``path``, generated first if it does not exist yet."""
    path = Path(path)
    return path if path.is_file() else make_dataset(path)


def load_dataset(path: Union[str, Path]) -> Tuple[np.ndarray, np.ndarray]:
    """Features (float32) and labels (int64) from a CSV written by ``make_dataset``."""
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if table.shape[1] < 2:
        raise ValueError(f"{path}: expected feature columns and a label column")
    return table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)


def split(features: np.ndarray, labels: np.ndarray, val_fraction: float = 0.25
          ) -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """A fixed train/validation split: the rows are already in random order."""
    cut = int(len(labels) * (1 - val_fraction))
    return (features[:cut], labels[:cut]), (features[cut:], labels[cut:])

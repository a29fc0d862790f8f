"""The model: a small multi-layer perceptron in Flax (nnx)."""
from __future__ import annotations

import jax
from flax import nnx


class MLP(nnx.Module):
    """Linear -> ReLU -> Dropout -> Linear. Weights and dropout masks draw from the ``rngs`` given."""

    def __init__(self, n_features: int, hidden: int = 16, dropout: float = 0.1, n_classes: int = 2, *,
                 rngs: nnx.Rngs) -> None:
        self.hidden = nnx.Linear(n_features, hidden, rngs=rngs)
        self.dropout = nnx.Dropout(dropout, rngs=rngs)
        self.out = nnx.Linear(hidden, n_classes, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.out(self.dropout(nnx.relu(self.hidden(x))))

"""The model: a small multi-layer perceptron in Keras."""
from __future__ import annotations

import tensorflow as tf


def build_model(n_features: int, hidden: int = 16, dropout: float = 0.1, lr: float = 1e-2) -> tf.keras.Model:
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(n_features,)),
        tf.keras.layers.Dense(hidden, activation="relu"),
        tf.keras.layers.Dropout(dropout),
        tf.keras.layers.Dense(2),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=lr),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model

"""JAX, Flax, Optax and Keras 3 on JAX (MLF6xx)."""

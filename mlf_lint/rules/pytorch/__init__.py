"""PyTorch and Lightning rules (MLF1xx)."""

"""xgboost rules."""

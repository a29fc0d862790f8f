"""tensorflow rules."""

"""The rule engine: findings, rule registry, contexts, the single-walk analyzer, runner, cache."""

"""The run, above the engine: file discovery, project facts, check dispatch per file and notebook,
and the whole-run runner. The CLI, the flake8 plugin and the cache all compute facts through
:mod:`mlf_lint.lint.facts`."""

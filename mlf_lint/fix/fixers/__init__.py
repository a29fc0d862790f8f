"""Fixers, one module per library, in the same split as ``mlf_lint.rules``."""

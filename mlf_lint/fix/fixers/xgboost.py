"""Fixes for the XGBoost rules (filled in as the MLF3xx codes settle)."""
from __future__ import annotations

from typing import Tuple

from mlf_lint.fix.edits import Fixer

FIXERS: Tuple[Fixer, ...] = ()

"""Which codes have a fix, and whether it is safe. ``rules.yaml`` ``fix:`` fields must agree
(tests/test_fix_registry.py checks it), so the rule pages tell the truth."""
from __future__ import annotations

import functools
from typing import Dict, Optional

from mlf_lint.fix.edits import Fixer

# Modules with a FIXERS tuple; a new library adds its module here.
FIXER_MODULES = (
    "mlf_lint.fix.fixers.general",
    "mlf_lint.fix.fixers.pytorch",
    "mlf_lint.fix.fixers.lightning",
    "mlf_lint.fix.fixers.xgboost",
)


@functools.lru_cache(maxsize=None)
def all_fixers() -> Dict[str, Fixer]:
    import importlib

    table: Dict[str, Fixer] = {}
    for name in FIXER_MODULES:
        for fixer in importlib.import_module(name).FIXERS:
            if fixer.code in table:
                raise RuntimeError(f"two fixers for {fixer.code}")  # a programming error, caught by tests
            table[fixer.code] = fixer
    return table


def get_fixer(code: str) -> Optional[Fixer]:
    return all_fixers().get(code)

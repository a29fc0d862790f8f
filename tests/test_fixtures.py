"""Every rule fixture: the findings are exactly those its comments announce."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixture_support import actual, expectations, fixture_files

FILES = fixture_files("general", "pytorch", "tensorflow", "xgboost", "jax")


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    want = expectations(source)
    got = actual(path, source)
    missing = sorted(want - got)
    unexpected = sorted(got - want)
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: {unexpected}"


def test_every_code_rule_has_a_fixture() -> None:
    """Each code a code rule can report is announced by at least one fixture."""
    from mlf_lint.rules import code_rules

    announced = set()
    for path in FILES:
        announced |= {code for _, _, code in expectations(path.read_text(encoding="utf-8"))}
    codes = {code for rule in code_rules() for code in rule.codes}
    assert codes - announced == set()

"""The ``fix:`` field of every rule agrees with the fixer registry, so rule pages tell the truth."""
from __future__ import annotations

import pytest

from mlf_lint.engine.registry import all_rules, get_rule
from mlf_lint.fix.registry import all_fixers

FIXERS = all_fixers()


@pytest.mark.parametrize("code", sorted(FIXERS))
def test_rules_yaml_fix_field_matches_the_fixer(code: str) -> None:
    rule = get_rule(code)
    if rule is None:
        pytest.skip(f"{code} has no rules.yaml entry yet (it needs `fix: "
                    f"{'safe' if FIXERS[code].safe else 'unsafe'}`)")
    assert rule.fix == ("safe" if FIXERS[code].safe else "unsafe")
    assert ("Fixable" in rule.page()) and (("--unsafe-fixes" in rule.page()) != FIXERS[code].safe)


def test_no_rule_claims_a_fix_the_registry_lacks() -> None:
    claimed = {code for code, rule in all_rules().items() if rule.fix != "none"}
    assert claimed <= set(FIXERS), sorted(claimed - set(FIXERS))


def test_analysis_does_not_import_libcst() -> None:
    import subprocess
    import sys

    code = ("import sys; from mlf_lint.lint.check import check_source; "
            "from mlf_lint.engine.facts import ProjectFacts; import mlf_lint.cli.check; "
            "check_source('a.py', 'import torch\\ntorch.backends.cudnn.benchmark = True\\n', ProjectFacts()); "
            "print('libcst' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""Fixes are planned on the smallest statement around each finding (so a JSON or SARIF report can
carry every fix cheaply); they must be exactly what planning on the whole module gives."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from mlf_lint.lint.check import check_source
from mlf_lint.engine.finding import Finding
from mlf_lint.lint.summaries import combine, summarize
from mlf_lint.fix.apply import SourceFixer

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "fix").glob("*.in.py"))

INDENTED = '''import glob
import os

import numpy as np
import torch


class Loader:
    """Doc."""

    @staticmethod
    def files(folder):
        names = glob.glob(folder + "/*.png")  # a trailing comment
        return names[0]

    def more(self, folder):
        if folder:
            for i, name in enumerate(os.listdir(folder)):
                print(i, name)
            return np.random.default_rng(), """
a string that reaches left
"""


def setup():
    torch.backends.cudnn.benchmark = True; x = 1
    return x


rng = np.random.default_rng()
'''


class _WholeModule(SourceFixer):
    def _region(self, finding, fixer):  # type: ignore[no-untyped-def]
        return self.whole


def _findings(name: str, source: str) -> List[Finding]:
    facts = combine({name: summarize(source)}, {name: source})
    found, _ = check_source(name, source, facts, None)
    return found


@pytest.mark.parametrize("source", [p.read_text(encoding="utf-8") for p in FIXTURES] + [
    INDENTED, INDENTED.replace("\n", "\r\n"), INDENTED.replace("Doc.", "Dœc — ünïcode")],
    ids=[p.name for p in FIXTURES] + ["indented", "crlf", "non-ascii"])
def test_statement_regions_fix_like_the_whole_module(source: str) -> None:
    findings = _findings("m.py", source)
    small, whole = SourceFixer(source, "m.py"), _WholeModule(source, "m.py")
    small_found, whole_found = small.candidates(findings), whole.candidates(findings)
    assert [c.fix for c in small_found] == [c.fix for c in whole_found]
    assert small_found, "the source has something to fix"
    assert small.apply(small_found).source == whole.apply(whole_found).source


def test_regions_are_statements_that_stand_alone() -> None:
    fixer = SourceFixer(INDENTED, "m.py")
    regions = {c.finding.line: c.region for c in fixer.candidates(_findings("m.py", INDENTED))}
    assert (regions[13].start, regions[13].end, regions[13].indent) == (13, 13, " " * 8)
    # the statement's string reaches column 0: the region widens to the class (at column 0)
    assert (regions[20].start, regions[20].end, regions[20].indent) == (8, 22, "")
    # `torch...benchmark = True; x = 1` shares its line: the function is the region
    assert (regions[26].start, regions[26].end, regions[26].indent) == (25, 27, "")

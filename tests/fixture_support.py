"""Fixture files with inline expectations, flake8-bugbear style.

A trailing comment ``# MLF102 0`` (code, 0-based column) announces a finding on that line;
several are separated by commas (``# MLF101 4, MLF110 0``). Every finding the file does not
announce fails the test, so the near-misses in a fixture are asserted too. A header comment
``# fixture: torch=1.13.1`` pins library versions for the file.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import List, Set, Tuple

from mlf_lint.lint.check import check_source
from mlf_lint.lint.programs import build
from mlf_lint.lint.summaries import summarize
from mlf_lint.engine.registry import all_rules

FIXTURES = Path(__file__).parent / "fixtures"
EXPECT = re.compile(r"#\s*((?:MLF\d{3}\s+\d+\s*,?\s*)+)$")
HEADER = re.compile(r"^#\s*fixture:\s*(.+)$", re.M)

Expectation = Tuple[int, int, str]


def expectations(source: str) -> Set[Expectation]:
    found = set()
    for number, line in enumerate(source.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            for code, col in re.findall(r"(MLF\d{3})\s+(\d+)", match.group(1)):
                found.add((number, int(col), code))
    return found


def versions(source: str) -> dict:
    pins = {}
    for header in HEADER.findall(source):
        for item in header.split():
            lib, _, ver = item.partition("=")
            pins[lib] = ver
    return pins


def actual(path: Path, source: str) -> Set[Expectation]:
    """The findings of the file as a project of its own: a program when it has a ``__main__``
    guard or trains at module level, library code otherwise."""
    model = build(path.parent, {path.name: summarize(source)}, {path.name: source})
    for facts in (model.library, *model.facts):
        facts.versions.update(versions(source))
    findings, _ = check_source(path.name, source, model.for_file(path.name), set(all_rules()))
    return {(f.line, f.col, f.code) for f in findings}


def fixture_files(*folders: str) -> List[Path]:
    return sorted(p for folder in folders for p in (FIXTURES / folder).glob("*.py"))

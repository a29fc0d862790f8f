"""Suppression comments, with flake8's semantics: ``# noqa`` (every code on the line),
``# noqa: MLF101,MLF102`` (those codes), and ``# mlf-lint: noqa`` / ``# flake8: noqa`` for a file."""
from __future__ import annotations

import re
from typing import Dict, FrozenSet, Iterable, List, Optional

from mlf_lint.engine.finding import Finding

# The same pattern flake8 uses (flake8.defaults.NOQA_INLINE_REGEX).
NOQA_INLINE = re.compile(
    r"# noqa"
    r"(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
NOQA_FILE = re.compile(r"#\s*(?:mlf-lint|flake8)[:=]\s*noqa\b(?P<codes>:\s?[A-Z]\S*)?", re.I)
_SEP = re.compile(r"[,\s]+")

ALL = frozenset({"*"})


def file_is_exempt(source: str) -> bool:
    """``# mlf-lint: noqa`` (or flake8's ``# flake8: noqa``) without codes skips the whole file."""
    for match in NOQA_FILE.finditer(source):
        if not match.group("codes"):
            return True
    return False


def line_suppressions(lines: List[str]) -> Dict[int, FrozenSet[str]]:
    """1-based line -> codes suppressed there (``ALL`` for a bare ``# noqa``)."""
    found: Dict[int, FrozenSet[str]] = {}
    for number, line in enumerate(lines, start=1):
        if "noqa" not in line.lower():
            continue
        match = NOQA_INLINE.search(line)
        if not match:
            continue
        codes = match.group("codes")
        found[number] = ALL if not codes else frozenset(c.upper() for c in _SEP.split(codes.strip()) if c)
    return found


def is_suppressed(finding: Finding, suppressions: Dict[int, FrozenSet[str]]) -> bool:
    codes: Optional[FrozenSet[str]] = suppressions.get(finding.line)
    if codes is None:
        return False
    return codes is ALL or any(finding.code.startswith(c) for c in codes)


def apply(findings: Iterable[Finding], source: str) -> List[Finding]:
    findings = list(findings)
    if not findings:
        return findings
    suppressions = line_suppressions(source.splitlines())
    return [f for f in findings if not is_suppressed(f, suppressions)]

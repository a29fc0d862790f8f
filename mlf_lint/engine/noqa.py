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


UNUSED = "MLF904"
UNKNOWN = "MLF905"


def _in_string(line: str, position: int) -> bool:
    """A cheap test that a ``#`` sits inside a string literal on its line (odd quotes before it)."""
    before = line[:position]
    return before.count('"') % 2 == 1 or before.count("'") % 2 == 1


def apply(findings: Iterable[Finding], source: str, path: str = "",
          enabled: Optional[Iterable[str]] = None) -> List[Finding]:
    """Drop suppressed findings; add MLF905 for a noqa naming an MLF code that does not exist and
    MLF904 for a noqa code that suppresses nothing on its line (when those codes are enabled)."""
    findings = list(findings)
    if "noqa" not in source.lower():
        return findings
    lines = source.splitlines()
    suppressions = line_suppressions(lines)
    kept = [f for f in findings if not is_suppressed(f, suppressions)]
    wanted = set(enabled) if enabled is not None else {UNKNOWN}
    if not wanted & {UNUSED, UNKNOWN}:
        return kept
    from mlf_lint.engine.registry import all_rules, is_known_selector

    rules = all_rules()
    for number, codes in sorted(suppressions.items()):
        if codes is ALL:
            continue
        line = lines[number - 1]
        match = NOQA_INLINE.search(line)
        if match is None or _in_string(line, match.start()):
            continue
        here = [f.code for f in findings if f.line == number]
        for code in sorted(c for c in codes if c.startswith("MLF")):
            if not is_known_selector(code):
                if UNKNOWN in wanted:
                    kept.append(Finding(path, number, match.start(), UNKNOWN,
                                        f"`# noqa: {code}` names no mlf-lint rule, so it suppresses nothing; "
                                        "fix the code (`mlf-lint rules` lists them) or remove it.",
                                        severity=rules[UNKNOWN].severity if UNKNOWN in rules else "warning"))
            elif UNUSED in wanted and not any(c.startswith(code) for c in here):
                kept.append(Finding(path, number, match.start(), UNUSED,
                                    f"`# noqa: {code}` suppresses nothing on this line (no {code} finding "
                                    "here any more); remove it, or it will hide the next real one.",
                                    severity="note"))
    return kept

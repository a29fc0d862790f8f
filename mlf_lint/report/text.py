"""Text output: ``path:line:col: CODE message`` (columns 1-based, like flake8 and ruff)."""
from __future__ import annotations

from collections import Counter
from typing import List

from mlf_lint.engine.finding import Finding
from mlf_lint.engine.result import RunResult

_COLORS = {"error": "red", "warning": "yellow", "note": "blue"}


def location(finding: Finding) -> str:
    cell = f"cell {finding.cell}:" if finding.cell else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.col + 1}"


def _line(finding: Finding, color: bool) -> str:
    if not color:
        return f"{location(finding)}: {finding.code} {finding.message}"
    from rich.markup import escape

    style = _COLORS.get(finding.severity, "white")
    return f"[bold]{escape(location(finding))}[/bold]: [{style} bold]{finding.code}[/] {escape(finding.message)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def summary(result: RunResult) -> str:
    count = len(result.findings)
    checked = f"{_plural(result.files_checked, 'file')} checked"
    if not count:
        return f"All checks passed ({checked})."
    severities = Counter(f.severity for f in result.findings)
    parts = ", ".join(_plural(severities[s], s) for s in ("error", "warning", "note") if severities[s])
    return f"Found {_plural(count, 'finding')} ({parts}) in {checked}." + fixable_line(result)


def fixable_line(result: RunResult) -> str:
    """ruff's "[*] N fixable" line, from each rule's declared fix (no file is parsed for it):
    safe fixes with `--fix`, the ones that may change results with `--unsafe-fixes` too."""
    from mlf_lint.engine.registry import all_rules

    rules = all_rules()
    kinds = Counter(rules[f.code].fix for f in result.findings if f.code in rules)
    safe, unsafe = kinds["safe"], kinds["unsafe"]
    if not safe and not unsafe:
        return ""
    if not safe:
        return f"\n[*] {unsafe} fixable with `--fix --unsafe-fixes` (the fixes change results: review them)."
    more = f" ({unsafe} more with `--fix --unsafe-fixes`)" if unsafe else ""
    return f"\n[*] {safe} fixable with `--fix`{more}."


def render(result: RunResult, color: bool = False) -> str:
    lines: List[str] = [_line(f, color) for f in result.findings]
    lines.extend(f"note: {note}" for note in result.notes)
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def render_concise(result: RunResult, color: bool = False) -> str:
    """One line per finding and nothing else (for editors and grep)."""
    return "".join(f"{location(f)}: {f.code} {f.message}\n" for f in result.findings)


def statistics(result: RunResult) -> str:
    from mlf_lint.engine.registry import all_rules

    rules = all_rules()
    counts = Counter(f.code for f in result.findings)
    rows = [f"{counts[code]:6d}  {code}  {rules[code].name if code in rules else ''}"
            for code in sorted(counts, key=lambda c: (-counts[c], c))]
    return "\n".join(rows) + ("\n" if rows else "")

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


def summary(result: RunResult) -> str:
    count = len(result.findings)
    if not count:
        return f"All checks passed ({result.files_checked} files checked)."
    severities = Counter(f.severity for f in result.findings)
    parts = ", ".join(f"{severities[s]} {s}{'s' if severities[s] != 1 else ''}"
                      for s in ("error", "warning", "note") if severities[s])
    fixable = sum(1 for f in result.findings if f.fix is not None)
    extra = f"; {fixable} fixable with --fix" if fixable else ""
    return (f"Found {count} finding{'s' if count != 1 else ''} ({parts}) in "
            f"{result.files_checked} files checked{extra}.")


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

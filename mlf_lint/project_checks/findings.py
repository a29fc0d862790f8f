"""Building findings for project files: severity comes from the rule table, paths are root-relative POSIX."""
from __future__ import annotations

from pathlib import Path

from mlf_lint.engine.finding import Finding
from mlf_lint.engine.paths import printable, relative
from mlf_lint.engine.registry import get_rule


def relpath(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (printable); a path outside the root stays as given."""
    resolved, base = path.resolve(), root.resolve()
    return relative(resolved, base) if base in resolved.parents else printable(path.as_posix())


def make(code: str, path: str, line: int, message: str, col: int = 0) -> Finding:
    rule = get_rule(code)
    severity = rule.severity if rule else "warning"
    return Finding(path=path, line=max(1, line), col=max(0, col), code=code, message=message, severity=severity)

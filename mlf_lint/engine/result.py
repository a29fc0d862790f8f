"""What one run produced, handed to the reporters."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Tuple

from mlf_lint.engine.finding import Finding


@dataclass
class RunResult:
    root: Path                                   # project root: paths in findings are relative to it
    findings: List[Finding] = field(default_factory=list)  # sorted by Finding.sort_key
    files_checked: int = 0
    # Files that could not be analysed (path, reason): each also has an MLF9xx finding.
    unanalysed: List[Tuple[str, str]] = field(default_factory=list)
    # Codes enabled for this run (reporters list them, e.g. SARIF tool.driver.rules).
    enabled_codes: List[str] = field(default_factory=list)
    # Files analysed in this run rather than taken from the cache (relative paths, sorted).
    analysed: List[str] = field(default_factory=list)
    # One-line remarks about the run itself (template folders not read), shown by the text report.
    notes: List[str] = field(default_factory=list)

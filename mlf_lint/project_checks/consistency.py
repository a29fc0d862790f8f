"""MLF509: one library pinned to different versions in different files of the project."""
from __future__ import annotations

from typing import Dict, List

from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks.findings import make
from mlf_lint.project_checks.names import TOOLING
from mlf_lint.project_checks.specs import EXACT, Pin, same_release


def mismatch_findings(pins: List[Pin]) -> List[Finding]:
    """Each pin that disagrees with the first exact pin of its library in another file."""
    first: Dict[str, Pin] = {}
    out: List[Finding] = []
    for pin in sorted((p for p in pins if p.kind == EXACT and p.version), key=lambda p: (p.path, p.line)):
        if pin.name in TOOLING:
            continue
        seen = first.setdefault(pin.name, pin)
        if seen.path != pin.path and not same_release(seen.version or "", pin.version or ""):
            out.append(make("MLF509", pin.path, pin.line, (
                f"{pin.name} is pinned to {pin.version} here but to {seen.version} in {seen.path}:{seen.line}: "
                f"which one a run gets depends on how the environment was built. Pin one version everywhere.")))
    return out

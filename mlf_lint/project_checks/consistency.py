"""MLF509: one library pinned to different versions in files that describe the same environment.

Two files describe the same environment only when one lies in the folder of the other or in a
folder below it (a root ``Dockerfile`` and ``train/requirements.txt``); sibling folders (each
example of a repository with its own ``requirements.txt``) are separate programs that never share
an environment, so their pins are not compared.
"""
from __future__ import annotations

import posixpath
from typing import Dict, List

from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks.findings import make
from mlf_lint.project_checks.names import TOOLING
from mlf_lint.project_checks.specs import EXACT, Pin, same_release


def _related(a: str, b: str) -> bool:
    """Whether the files ``a`` and ``b`` (POSIX paths) lie on one path from the root."""
    first, second = posixpath.dirname(a), posixpath.dirname(b)
    if len(first) > len(second):
        first, second = second, first
    return not first or second == first or second.startswith(first + "/")


def mismatch_findings(pins: List[Pin]) -> List[Finding]:
    """Each pin that disagrees with the first exact pin of its library in a related other file
    (files nearer the root first, then by path)."""
    by_name: Dict[str, Dict[str, Pin]] = {}   # library -> file -> the first pin of that file
    out: List[Finding] = []
    # Files nearer the root first: a subfolder's pin is judged against the folders above it.
    exact = (p for p in pins if p.kind == EXACT and p.version)
    for pin in sorted(exact, key=lambda p: (p.path.count("/"), p.path, p.line)):
        if pin.name in TOOLING:
            continue
        earlier = by_name.setdefault(pin.name, {})
        seen = next((p for path, p in earlier.items() if path != pin.path and _related(path, pin.path)), None)
        earlier.setdefault(pin.path, pin)
        if seen is not None and not same_release(seen.version or "", pin.version or ""):
            out.append(make("MLF509", pin.path, pin.line, (
                f"{pin.name} is pinned to {pin.version} here but to {seen.version} in {seen.path}:{seen.line}: "
                f"which one a run gets depends on how the environment was built. Pin one version everywhere.")))
    return out

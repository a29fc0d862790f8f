"""MLF501/MLF502: turn parsed pins into findings, one wording for every kind of file."""
from __future__ import annotations

import re
from typing import Iterable, List

from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks.findings import make
from mlf_lint.project_checks.names import TOOLING
from mlf_lint.project_checks.specs import EXACT, NONE, RANGE, Pin


def pin_findings(pins: Iterable[Pin], where: str) -> List[Finding]:
    """``where`` completes the sentence "... in <where>" (e.g. "environment.yml", "a RUN pip install")."""
    out: List[Finding] = []
    for pin in pins:
        if pin.name in TOOLING or pin.name == "python":
            continue
        if pin.kind == NONE:
            out.append(make("MLF501", pin.path, pin.line, (
                f"'{pin.raw}' in {where} is not pinned: each install can pick a newer release and change results. "
                f"Pin the exact version you tested ({_example(pin)}).")))
        elif pin.kind == RANGE:
            out.append(make("MLF502", pin.path, pin.line, (
                f"'{pin.raw}' in {where} allows a range of versions: a rebuild can install a different release "
                f"than the one you tested. Pin one version ({_example(pin)}).")))
    return out


def _example(pin: Pin) -> str:
    if "://" in pin.raw or pin.raw.startswith(("git+", "hg+", "svn+", "bzr+")):
        return "a commit: @<sha>"
    written = re.match(r"^(?:[^\s:]+::)?([A-Za-z0-9_.\-]+)", pin.raw)
    name = written.group(1) if written else pin.name
    return f"{name}=={pin.version or 'X.Y.Z'}"


__all__ = ["pin_findings", "EXACT", "RANGE", "NONE"]

"""MLF501/MLF502: turn parsed pins into findings, one wording for every kind of file."""
from __future__ import annotations

import re
from typing import Iterable, List, Optional, Tuple

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
                f"Pin the exact version you tested ({_example(pin)}).{_stream_change(pin)}")))
        elif pin.kind == RANGE:
            out.append(make("MLF502", pin.path, pin.line, (
                f"'{pin.raw}' in {where} allows a range of versions: a rebuild can install a different release "
                f"than the one you tested. Pin one version ({_example(pin)}).{_stream_change(pin)}")))
    return out


# Releases that changed every random stream drawn from the same seed: library -> (release, what).
STREAM_CHANGES = {
    "jax": ((0, 5), "jax 0.5.0 made partitionable Threefry the default PRNG, so the same key draws different "
                    "initial weights, dropout masks and shuffles on either side of it"),
}
_BOUND = re.compile(r"(>=|>|~=|<=|<|==)\s*v?(\d+(?:\.\d+)*)")


def _stream_change(pin: Pin) -> str:
    """A second sentence where the versions a pin allows straddle a release that changed random streams."""
    change = STREAM_CHANGES.get(pin.name)
    if change is None:
        return ""
    release, what = change
    low: Tuple[int, ...] = ()
    high: Optional[Tuple[Tuple[int, ...], bool]] = None  # (bound, inclusive)
    if pin.manager == "conda" and pin.version:
        prefix = _tuple(pin.version)  # conda's jax=0.4 installs the newest 0.4.x
        low, high = prefix, (prefix[:-1] + (prefix[-1] + 1,), False)
    for op, text in _BOUND.findall(pin.raw.split(";", 1)[0]):
        bound = _tuple(text)
        if op in (">=", ">", "~="):
            low = max(low, bound)
        if op == "~=" and len(bound) > 1:  # ~=0.4.30 is >=0.4.30, ==0.4.*
            ceiling = (bound[:-2] + (bound[-2] + 1,), False)
            high = min(high, ceiling) if high else ceiling
        elif op in ("<", "<="):
            high = min(high, (bound, op == "<=")) if high else (bound, op == "<=")
    below = _compare(low, release) < 0
    reaches = high is None or _compare(high[0], release) > 0 or (high[1] and _compare(high[0], release) == 0)
    return f" For jax this matters more: {what}." if below and reaches else ""


def _tuple(version: str) -> Tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _compare(a: Tuple[int, ...], b: Tuple[int, ...]) -> int:
    width = max(len(a), len(b))
    a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (a > b) - (a < b)


def _example(pin: Pin) -> str:
    if "://" in pin.raw or pin.raw.startswith(("git+", "hg+", "svn+", "bzr+")):
        return "a commit: @<sha>"
    written = re.match(r"^(?:[^\s:]+::)?([A-Za-z0-9_.\-]+)", pin.raw)
    name = written.group(1) if written else pin.name
    return f"{name}=={pin.version or 'X.Y.Z'}"


__all__ = ["pin_findings", "EXACT", "RANGE", "NONE"]

"""The run against the static analysis: what the run confirmed, what it did not, what only it saw.

- confirmed: a static finding on a line the run executed, and the run reported the same code there
  (at the call, at the line that built the layer, or anywhere on the stack that reached it);
- not observed: a static finding on a line that ran, but its condition never happened (a
  backward-only operator that never ran backward, a branch with another argument);
- runtime only: a finding of the run that no static finding announces — a library's operator, a
  seed that came too late, an argument only known at run time.
The last two keep the static rules honest.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

from mlf_lint.audit.judge import UNSEEDED_DRAW, RuntimeFinding
from mlf_lint.engine.finding import Finding

# Codes both sides can report; others (pins, Dockerfiles...) are outside what a run shows.
COMPARABLE = frozenset({"MLF001", "MLF003", "MLF101", "MLF102", "MLF103", "MLF110", "MLF111", "MLF113",
                        "MLF120", "MLF122", "MLF401", "MLF402", "MLF150"})
# Codes about the whole run rather than one line: the run confirms them wherever it saw them.
RUN_WIDE = frozenset({"MLF110", "MLF113", "MLF120", "MLF122", "MLF401", "MLF402"})
OPERATOR_CODES = frozenset({"MLF101", "MLF102", "MLF103"})


@dataclass
class CrossCheck:
    confirmed: List[Tuple[Finding, RuntimeFinding]] = field(default_factory=list)
    not_observed: List[Tuple[Finding, str]] = field(default_factory=list)   # with what the run saw there
    runtime_only: List[RuntimeFinding] = field(default_factory=list)
    not_reached: List[Finding] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.confirmed or self.not_observed or self.runtime_only or self.not_reached)


def _lines(finding: RuntimeFinding) -> Set[Tuple[str, int]]:
    lines = set(finding.user_lines)
    for place in (finding.place, finding.built_at):
        if place is not None:
            lines.add((place.path, place.line))
    return lines


def _same_meaning(static_code: str, runtime: RuntimeFinding) -> bool:
    if static_code == runtime.code:
        return True
    # MLF110: the project never seeds torch; the run drew from torch's generator and never seeded it.
    return static_code == "MLF110" and runtime.code == UNSEEDED_DRAW and runtime.rng in ("torch", "cuda") \
        and runtime.never_seeded


def compare(static: Iterable[Finding], runtime: List[RuntimeFinding], executed: Set[Tuple[str, int]],
            operators_at: Optional[Dict[Tuple[str, int], Set[str]]] = None) -> CrossCheck:
    out = CrossCheck()
    matched: Set[int] = set()
    for finding in sorted((f for f in static if f.code in COMPARABLE), key=Finding.sort_key):
        spot = (finding.path, finding.line)
        hits = [r for r in runtime if _same_meaning(finding.code, r)
                and (finding.code in RUN_WIDE or spot in _lines(r))]
        if hits:
            out.confirmed.append((finding, hits[0]))
            matched.update(id(r) for r in hits)
            continue
        if spot not in executed:
            out.not_reached.append(finding)
            continue
        other = [r.code for r in runtime if r.code in OPERATOR_CODES and spot in _lines(r)]
        seen = f"the run reported {', '.join(sorted(set(other)))} there" if other else "the condition never happened"
        ran = sorted((operators_at or {}).get(spot, ()))
        if ran:
            seen += "; ran there: " + ", ".join(f"aten::{op}" for op in ran[:4]) + (" …" if len(ran) > 4 else "")
        out.not_observed.append((finding, seen))
    out.runtime_only = [r for r in runtime if id(r) not in matched]
    return out

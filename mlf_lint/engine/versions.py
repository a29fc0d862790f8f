"""Library versions: parse, compare, and the newest release each op table knows."""
from __future__ import annotations

import re
from typing import NamedTuple, Optional, Tuple

# With no pin, rules assume these (the newest releases the catalog's tables were checked against).
NEWEST_KNOWN = {
    "torch": "2.15.0",
    "torchvision": "0.30.0",
    "lightning": "2.6.6",
    "tensorflow": "2.21.0",
    "keras": "3.15.1",
    "xgboost": "3.4.1",
}


class Version(NamedTuple):
    parts: Tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> "Version":
        nums = re.findall(r"\d+", text.split("+", 1)[0])[:3]
        return cls(tuple(int(n) for n in nums) + (0,) * (3 - len(nums)))

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)


def newest_known(library: str) -> Version:
    return Version.parse(NEWEST_KNOWN.get(library, "999"))


def in_range(version: Version, spec: Optional[str]) -> bool:
    """``spec`` is a comma-separated list such as ``>=1.13,<2.6`` (empty: every version)."""
    if not spec:
        return True
    for clause in spec.split(","):
        match = re.match(r"\s*(>=|<=|<|>|==)\s*([\d.]+)\s*$", clause)
        if not match:
            raise ValueError(f"bad version range {spec!r}")
        op, bound = match.group(1), Version.parse(match.group(2))
        ok = {">=": version >= bound, "<=": version <= bound, "<": version < bound,
              ">": version > bound, "==": version == bound}[op]
        if not ok:
            return False
    return True

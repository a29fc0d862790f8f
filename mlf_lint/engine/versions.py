"""Versions, one model for all: library versions the rules and project checks judge (parse,
compare, ranges, "unknown"), and a project's own ``X.Y.Z[-SNAPSHOT]`` version (bump-version, sync).

"Unknown" has one answer: a version that cannot be read is ``None`` from :func:`parse_version`, a
range test on it is ``None`` from :func:`pinned_in`, and a rule that needs a version assumes the
newest release its tables were checked against (:func:`newest_known`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

# With no pin, rules assume these (the newest releases the op tables were checked against).
NEWEST_KNOWN = {
    "torch": "2.15.0",
    "lightning": "2.6.6",
    "tensorflow": "2.21.0",
    "keras": "3.15.1",
    "xgboost": "3.4.1",
}

_RELEASE = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")
_PROJECT_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(-SNAPSHOT)?$")
_CLAUSE = re.compile(r"\s*(>=|<=|<|>|==)\s*([\d.]+)\s*$")
LEVELS = ("major", "minor", "patch")


@dataclass(frozen=True, order=True)
class Version:
    """``major.minor.patch`` (shorter versions padded with zeros, local labels such as ``+cu118``
    and pre-release tails such as ``rc1`` ignored); ``final`` is False for a project's
    ``-SNAPSHOT``, which sorts before its release (1.3.0-SNAPSHOT < 1.3.0)."""

    parts: Tuple[int, int, int]
    final: bool = field(default=True)

    @classmethod
    def parse(cls, text: str) -> "Version":
        """A library version (``2.4``, ``2.1.0+cu118``, ``v1.13``); ValueError when there is none."""
        found = parse_version(text)
        if found is None:
            raise ValueError(f"{text!r} is not a version")
        return found

    @classmethod
    def project(cls, text: str) -> "Version":
        """A project version, exactly ``X.Y.Z`` or ``X.Y.Z-SNAPSHOT``; ValueError otherwise."""
        match = _PROJECT_VERSION.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a version: expected X.Y.Z or X.Y.Z-SNAPSHOT, e.g. 1.4.0")
        major, minor, patch, snapshot = match.groups()
        return cls((int(major), int(minor), int(patch)), snapshot is None)

    @property
    def major(self) -> int:
        return self.parts[0]

    @property
    def minor(self) -> int:
        return self.parts[1]

    @property
    def patch(self) -> int:
        return self.parts[2]

    def difference(self, other: "Version") -> Optional[str]:
        """The most significant part that differs: "major", "minor", "patch", or None."""
        for level, mine, theirs in zip(LEVELS, self.parts, other.parts):
            if mine != theirs:
                return level
        return None if self.final == other.final else "patch"

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts) + ("" if self.final else "-SNAPSHOT")


def release(text: str) -> Tuple[int, ...]:
    """The numeric release part of a version (``2.1.0+cu118`` -> (2, 1, 0)) as written; () if none."""
    match = _RELEASE.match(text or "")
    return tuple(int(p) for p in match.group(1).split(".")) if match else ()


def parse_version(text: Optional[str]) -> Optional[Version]:
    """A library version, or None when ``text`` holds none (unknown)."""
    parts = release(text or "")[:3]
    if not parts:
        return None
    return Version(parts + (0,) * (3 - len(parts)))  # type: ignore[arg-type]


def newest_known(library: str) -> Version:
    return Version.parse(NEWEST_KNOWN.get(library, "999"))


def in_range(version: Version, spec: Optional[str]) -> bool:
    """``spec`` is a comma-separated list such as ``>=1.13,<2.6`` (empty: every version)."""
    if not spec:
        return True
    for clause in spec.split(","):
        match = _CLAUSE.match(clause)
        if not match:
            raise ValueError(f"bad version range {spec!r}")
        op, bound = match.group(1), Version.parse(match.group(2))
        ok = {">=": version >= bound, "<=": version <= bound, "<": version < bound,
              ">": version > bound, "==": version == bound}[op]
        if not ok:
            return False
    return True


def pinned_in(versions: Mapping[str, str], library: str, spec: Optional[str]) -> Optional[bool]:
    """Whether the pinned version of ``library`` lies in ``spec``; None when it is unknown."""
    version = parse_version(versions.get(library))
    return None if version is None else in_range(version, spec)

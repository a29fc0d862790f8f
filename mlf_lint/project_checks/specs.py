"""Dependency specifications (PEP 508 for pip, match specs for conda) and how tightly each pins.

A pin is *exact* when it selects one release: ``==2.1.0``/``===2.1.0`` for pip; for conda ``==2.1.0``,
``=2.1.0`` with three or more components, ``=2.1.0=<build>`` and ``pkg 2.1.0``. conda's ``=2.1`` is a
prefix match (it installs the newest 2.1.x), so it counts as a range; Python itself is the exception,
where a major.minor pin is the usual level.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from mlf_lint.engine.versions import release
from mlf_lint.project_checks.names import canonical

EXACT, RANGE, NONE, URL = "exact", "range", "none", "url"

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_PEP508 = re.compile(rf"^(?P<name>{_NAME})\s*(?:\[(?P<extras>[^\]]*)\])?\s*(?P<rest>.*)$")
_VERSION = r"[A-Za-z0-9_.*+!-]+"
_CLAUSE = re.compile(rf"^\s*(===|~=|==|!=|<=|>=|<|>)\s*({_VERSION})\s*$")
_BRANCHES = frozenset({"main", "master", "develop", "dev", "trunk", "head", "latest"})
_HEX = re.compile(r"^[0-9a-fA-F]{7,40}$")


class SpecError(ValueError):
    """A dependency string that does not parse; the message says what was expected."""


@dataclass(frozen=True)
class Pin:
    """One declared dependency: where, which library, and how tightly it is pinned."""

    name: str          # canonical name (``pytorch`` -> ``torch``)
    kind: str          # EXACT | RANGE | NONE | URL
    version: Optional[str]  # the exact (or conda prefix) version when there is one
    path: str
    line: int
    raw: str
    manager: str = "pip"  # pip | conda | docker


def parse_pip(text: str, path: str = "", line: int = 0) -> Pin:
    """A PEP 508 requirement (``name[extras] specs ; marker`` or ``name @ url``)."""
    match = _PEP508.match(text.strip())
    if not match:
        raise SpecError(f"'{text.strip()}' is not a requirement (expected name[extras] followed by versions)")
    name, rest = match.group("name"), match.group("rest").strip()
    if rest.startswith("@"):
        url = rest[1:].split(";", 1)[0].strip()
        if not url:
            raise SpecError(f"'{text.strip()}' has '@' without a URL")
        return Pin(canonical(name), url_kind(url), None, path, line, text.strip())
    rest = rest.split(";", 1)[0].strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1].strip()
    if not rest:
        return Pin(canonical(name), NONE, None, path, line, text.strip())
    kind, version = RANGE, None
    for clause in rest.split(","):
        clause_match = _CLAUSE.match(clause)
        if not clause_match:
            raise SpecError(f"'{clause.strip()}' in '{text.strip()}' is not a version clause (expected e.g. ==2.1.0)")
        op, ver = clause_match.groups()
        if op in ("==", "===") and "*" not in ver:
            kind, version = EXACT, ver
    return Pin(canonical(name), kind, version, path, line, text.strip())


def url_kind(url: str) -> str:
    """A VCS URL is pinned by a commit or tag after '@'; a branch or no revision floats."""
    if not re.match(r"^(git|hg|svn|bzr)\+", url):
        return URL
    tail = url.split("://", 1)[-1].split("#", 1)[0]
    if "@" not in tail.split("/", 1)[-1]:
        return NONE
    rev = tail.rsplit("@", 1)[1]
    if rev.lower() in _BRANCHES:
        return NONE
    return URL


_CONDA = re.compile(r"^(?:(?P<channel>[^\s:]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)(?P<rest>.*)$")


def parse_conda(text: str, path: str = "", line: int = 0) -> Pin:
    """A conda match spec: ``[channel::]name[=ver[=build]]``, ``name==ver``, ``name>=ver``, ``name ver build``."""
    raw = text.strip()
    match = _CONDA.match(raw)
    if not match:
        raise SpecError(f"'{raw}' is not a conda package spec (expected [channel::]name[=version[=build]])")
    name, rest = canonical(match.group("name")), match.group("rest").strip()
    if not rest:
        return Pin(name, NONE, None, path, line, raw, "conda")
    if rest.startswith("["):
        inner = re.search(r"version\s*=\s*['\"]?([^'\",\]]+(?:,[^'\"\]]+)*)['\"]?", rest)
        if not rest.endswith("]"):
            raise SpecError(f"'{raw}' has an unclosed '['")
        rest = inner.group(1) if inner else ""
        if not rest:
            return Pin(name, NONE, None, path, line, raw, "conda")
    if rest[0] in "<>!~" or any(c in rest for c in ",|"):
        return Pin(name, RANGE, None, path, line, raw, "conda")
    if rest.startswith("=="):
        version = rest[2:].split("=", 1)[0].strip()
        return _conda_version(name, version, True, path, line, raw)
    if rest.startswith("="):
        version, _, build = rest[1:].partition("=")
        return _conda_version(name, version.strip(), bool(build.strip()), path, line, raw)
    parts = rest.split()
    return _conda_version(name, parts[0], True, path, line, raw)


def _conda_version(name: str, version: str, exact: bool, path: str, line: int, raw: str) -> Pin:
    if not version or not re.match(r"^[A-Za-z0-9_.*+!]+$", version):
        raise SpecError(f"'{raw}' has no valid version after the operator")
    if version.endswith("*"):
        return Pin(name, RANGE, version.rstrip(".*") or None, path, line, raw, "conda")
    if exact or version.count(".") >= 2 or (name == "python" and version.count(".") >= 1):
        return Pin(name, EXACT, version, path, line, raw, "conda")
    return Pin(name, RANGE, version, path, line, raw, "conda")


def same_release(a: str, b: str) -> bool:
    """Two pins agree when one is a prefix of the other (conda ``=2.1`` vs pip ``==2.1.3``)."""
    ra, rb = release(a), release(b)
    n = min(len(ra), len(rb))
    return ra[:n] == rb[:n]

"""requirements*.txt and constraints*.txt: pip's file format, line by line with real line numbers.

Handles comments, ``\\`` continuations (reported at the line where the requirement starts), options
(``-r``/``-c`` includes, index options), per-requirement options (``--hash``), extras, markers,
``name @ url`` and VCS URLs. Editable installs and local paths are the project's own code: not pins.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import List, Tuple

from mlf_lint.project_checks.specs import Pin, SpecError, URL, parse_pip, url_kind

# Options that take the next token as their value (pip's requirement-file options).
_VALUE_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host",
    "--no-binary", "--only-binary", "--use-feature", "--config-settings", "-C", "--global-option",
}
_INCLUDE_OPTIONS = {"-r": "requirement", "--requirement": "requirement",
                    "-c": "constraint", "--constraint": "constraint"}
_FLAG_OPTIONS = {"--pre", "--prefer-binary", "--require-hashes", "--no-index"}
_PER_REQ_OPTION = re.compile(r"\s--(hash|config-settings|global-option|install-option)(=|\s+)\S+")
# Files that describe tooling (tests, docs, linters), not the environment a result is computed in.
_TOOLING_FILE = re.compile(r"(^|[-_./])(dev|test|tests|testing|docs|doc|lint|ci|style)([-_.]|$)")


@dataclass
class RequirementsFile:
    pins: List[Pin] = field(default_factory=list)
    # (line, kind, target): -r/-c includes, resolved by the caller relative to this file.
    includes: List[Tuple[int, str, str]] = field(default_factory=list)
    errors: List[Tuple[int, str]] = field(default_factory=list)


def is_requirements_name(rel: str) -> bool:
    p = PurePosixPath(rel)
    if p.suffix not in (".txt", ".in"):
        return False
    return "requirements" in p.name.lower() or "constraints" in p.name.lower() or p.parent.name == "requirements"


# Folders whose requirements build tooling, not the training environment: a Sphinx site (doc/,
# docs/), and the repository's own automation under .github/ (flax's issue analytics: pandas,
# requests, matplotlib); a workflow's own install steps are checked as the workflow.
_TOOLING_FOLDERS = frozenset({"doc", "docs", "documentation", ".github"})


def is_tooling_file(rel: str) -> bool:
    path = PurePosixPath(rel)
    if any(part.lower() in _TOOLING_FOLDERS for part in path.parts[:-1]):
        return True
    return bool(_TOOLING_FILE.search(path.stem.lower()))


def logical_lines(text: str) -> List[Tuple[int, str]]:
    """Join ``\\`` continuations and drop comments; each logical line keeps the line it starts on."""
    out: List[Tuple[int, str]] = []
    buffer, start = "", 0
    for number, physical in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        stripped = re.sub(r"(^|\s)#.*$", "", physical)
        if stripped.rstrip().endswith("\\"):
            buffer += stripped.rstrip()[:-1] + " "
            continue
        buffer += stripped
        if buffer.strip():
            out.append((start, buffer.strip()))
        buffer = ""
    if buffer.strip():
        out.append((start, buffer.strip()))
    return out


def parse(text: str, path: str) -> RequirementsFile:
    result = RequirementsFile()
    for line, content in logical_lines(text):
        if content.startswith("-"):
            _option(content, line, result)
            continue
        requirement = _PER_REQ_OPTION.sub("", " " + content).strip()
        if _is_local(requirement):
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*://", requirement) or re.match(r"^(git|hg|svn|bzr)\+", requirement):
            name = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", requirement)
            result.pins.append(Pin(name.group(1) if name else requirement, url_kind(requirement), None, path, line,
                                   requirement))
            continue
        try:
            result.pins.append(parse_pip(requirement, path, line))
        except SpecError as exc:
            result.errors.append((line, str(exc)))
    return result


def _option(content: str, line: int, result: RequirementsFile) -> None:
    try:
        tokens = shlex.split(content)
    except ValueError as exc:
        result.errors.append((line, f"'{content}' does not parse: {exc}"))
        return
    option, _, inline = tokens[0].partition("=")
    value = inline or (tokens[1] if len(tokens) > 1 else "")
    if option in _INCLUDE_OPTIONS:
        if not value:
            result.errors.append((line, f"'{option}' needs a file name"))
        else:
            result.includes.append((line, _INCLUDE_OPTIONS[option], value))
    elif option in ("-e", "--editable"):
        return  # the project's own code, or a VCS checkout handled by pip
    elif option in _VALUE_OPTIONS:
        if not value:
            result.errors.append((line, f"'{option}' needs a value"))
    elif option not in _FLAG_OPTIONS:
        result.errors.append((line, f"'{tokens[0]}' is not a pip requirements-file option"))


def _is_local(requirement: str) -> bool:
    if requirement.startswith((".", "/", "~", "file:")):
        return True
    return requirement.endswith((".whl", ".tar.gz", ".zip")) and "://" not in requirement


__all__ = ["RequirementsFile", "parse", "is_requirements_name", "is_tooling_file", "logical_lines", "URL"]

"""``--pin LIB=VERSION``: exact pins for unpinned or range-pinned entries (MLF501/MLF502) of
environment.yml and requirements/constraints files, with the version the user names.

Never a guessed version: only the libraries named on the command line change, and a line whose
hashes would no longer match (``--hash``) is left alone with a message.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from mlf_lint.engine.paths import on_disk
from mlf_lint.engine.result import RunResult
from mlf_lint.fix.textio import SourceError, read_source
from mlf_lint.project_checks.names import canonical

PIN_CODES = ("MLF501", "MLF502")
_VERSION = re.compile(r"^\d+(\.\d+)*([a-z]+\d*)?(\.post\d+)?(\+[\w.]+)?$")
_REQUIREMENT = re.compile(
    r"^(?P<indent>\s*)(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?"
    r"(?P<spec>[^;#]*?)(?P<rest>\s*(?:[;#].*)?)$")
_CONDA = re.compile(
    r"^(?P<indent>\s*-\s*)(?P<channel>[\w.-]+::)?(?P<name>[A-Za-z0-9][\w.-]*)"
    r"(?P<spec>[^#]*?)(?P<rest>\s*(?:#.*)?)$")


def parse_pins(specs: Sequence[str]) -> Dict[str, str]:
    """``torch=2.5.1`` (or ``torch==2.5.1``) -> {"torch": "2.5.1"}; ValueError with a clear message."""
    pins: Dict[str, str] = {}
    for spec in specs:
        name, sep, version = spec.replace("==", "=").partition("=")
        if not sep or not name.strip() or not _VERSION.match(version.strip()):
            raise ValueError(f"--pin {spec!r}: expected LIBRARY=VERSION with an exact version, e.g. torch=2.5.1")
        pins[canonical(name)] = version.strip()
    return pins


def _in_pip_block(lines: List[str], index: int) -> bool:
    """Whether environment.yml's line ``index`` sits under a ``- pip:`` entry."""
    indent = len(lines[index]) - len(lines[index].lstrip())
    for previous in range(index - 1, -1, -1):
        text = lines[previous]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        level = len(text) - len(text.lstrip())
        if level < indent:
            return text.strip().rstrip() in ("- pip:", "-  pip:")
    return False


def _pinned_line(line: str, environment: bool, in_pip: bool, pins: Dict[str, str]) -> Optional[str]:
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    if environment and not in_pip:
        match = _CONDA.match(body)
        if not match or canonical(match.group("name")) not in pins:
            return None
        version = pins[canonical(match.group("name"))]
        return (f"{match.group('indent')}{match.group('channel') or ''}{match.group('name')}={version}"
                f"{match.group('rest')}{ending}")
    prefix = ""
    if environment:  # a pip entry inside environment.yml: "- name>=1"
        dash = re.match(r"^(\s*-\s*)", body)
        if not dash:
            return None
        prefix, body = dash.group(1), body[dash.end():]
    match = _REQUIREMENT.match(body)
    if not match or canonical(match.group("name")) not in pins:
        return None
    version = pins[canonical(match.group("name"))]
    return (f"{prefix}{match.group('indent')}{match.group('name')}{match.group('extras') or ''}=={version}"
            f"{match.group('rest')}{ending}")


def plan_pins(result: RunResult, pins: Dict[str, str]) -> Tuple[List[Tuple[Path, str, object, str]], List[str], int]:
    """Files to rewrite as (path, relative path, original SourceText, new text), messages, and
    how many entries were pinned."""
    by_file: Dict[str, List[int]] = {}
    for finding in result.findings:
        if finding.code in PIN_CODES:
            by_file.setdefault(finding.path, []).append(finding.line)
    edits, messages = [], []
    count = 0
    root = Path(result.root)
    for rel, numbers in sorted(by_file.items()):
        name = Path(rel).name
        environment = name.endswith((".yml", ".yaml"))
        if not (environment or name.endswith(".txt")):
            continue  # Dockerfile RUN lines, pyproject: pin those by hand
        try:
            original = read_source(root / on_disk(rel))
        except SourceError as exc:
            messages.append(str(exc))
            continue
        lines = original.text.splitlines(keepends=True)
        changed = False
        for number in sorted(set(numbers)):
            line = lines[number - 1]
            if "--hash" in line or line.rstrip("\r\n").endswith("\\"):
                messages.append(f"{rel}:{number}: not pinned: the entry carries hashes that the new "
                                "version would not match; regenerate the file (pip-compile --generate-hashes)")
                continue
            new = _pinned_line(line, environment, environment and _in_pip_block(lines, number - 1), pins)
            if new is not None and new != line:
                lines[number - 1] = new
                changed = True
                count += 1
        if changed:
            edits.append((root / on_disk(rel), rel, original, "".join(lines)))
    return edits, messages, count

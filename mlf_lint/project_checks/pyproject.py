"""pyproject.toml and setup.cfg dependencies, checked only where they define the run environment.

A library states ranges on purpose (its users resolve them), so ranges there are normal. The list is
the run environment of an *application*: a project with an MLproject file, a pyproject without a
``[build-system]`` (and no setup.py/setup.cfg), or one that opts out of packaging
(``[tool.uv] package = false``, ``[tool.poetry] package-mode = false``, ``[tool.pdm] distribution = false``).
A Python lock file (uv.lock, poetry.lock, pdm.lock) pins an application, so then nothing is reported.
"""
from __future__ import annotations

import configparser
import re
from typing import Any, Dict, List, Tuple

from mlf_lint.project_checks.names import canonical
from mlf_lint.project_checks.specs import EXACT, NONE, RANGE, URL, Pin, SpecError, parse_pip


def is_application(data: Dict[str, Any], has_mlproject: bool, has_setup_files: bool) -> bool:
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    if has_mlproject:
        return True
    if _get(tool, "uv", "package") is False or _get(tool, "poetry", "package-mode") is False \
            or _get(tool, "pdm", "distribution") is False:
        return True
    return "build-system" not in data and not has_setup_files


def _get(table: Dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


def pyproject_pins(data: Dict[str, Any], text: str, path: str) -> Tuple[List[Pin], List[Tuple[int, str]]]:
    """Pins of [project].dependencies and [tool.poetry.dependencies], with the line each is written on."""
    lines = text.splitlines()
    pins: List[Pin] = []
    errors: List[Tuple[int, str]] = []
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    deps = project.get("dependencies", [])
    start = _line_after(lines, r"^\s*\[project\]\s*$", 0)
    start = _line_after(lines, r"^\s*dependencies\s*=", start)
    for dep in deps if isinstance(deps, list) else []:
        line = _line_of_string(lines, str(dep), start)
        try:
            pins.append(parse_pip(str(dep), path, line))
        except SpecError as exc:
            errors.append((line, str(exc)))
    poetry = _get(data, "tool", "poetry", "dependencies")
    if isinstance(poetry, dict):
        section = _line_after(lines, r"^\s*\[tool\.poetry\.dependencies\]\s*$", 0)
        for name, spec in poetry.items():
            if canonical(name) == "python":
                continue
            line = _line_after(lines, rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=", section) or section
            version = spec.get("version") if isinstance(spec, dict) else spec
            pins.append(_poetry_pin(name, version, path, line, spec))
    return pins, errors


def _poetry_pin(name: str, version: Any, path: str, line: int, spec: Any) -> Pin:
    raw = f"{name} = {version!r}" if version is not None else f"{name} = {spec!r}"
    if version is None:  # a git, path or url dependency: a git one floats unless it names a rev or tag
        floating = isinstance(spec, dict) and "git" in spec and not (spec.get("rev") or spec.get("tag"))
        return Pin(canonical(name), NONE if floating else URL, None, path, line, raw)
    text = str(version).strip()
    if text in ("", "*"):
        return Pin(canonical(name), NONE, None, path, line, raw)
    if re.match(r"^(==)?\s*\d[\w.+!-]*$", text) and "*" not in text:  # poetry: a bare version is exact
        return Pin(canonical(name), EXACT, text.lstrip("= "), path, line, raw)
    return Pin(canonical(name), RANGE, None, path, line, raw)


def setup_cfg_pins(text: str, path: str) -> Tuple[List[Pin], List[Tuple[int, str]]]:
    """[options] install_requires of a setup.cfg (configparser has no line numbers: track them here)."""
    pins: List[Pin] = []
    errors: List[Tuple[int, str]] = []
    section, in_key = "", False
    for number, raw in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\[([^\]]+)\]\s*$", raw)
        if header:
            section, in_key = header.group(1).strip(), False
            continue
        if section != "options":
            continue
        key = re.match(r"^(\S[^=:]*?)\s*[=:]\s*(.*)$", raw)
        if key:
            in_key = key.group(1).strip() == "install_requires"
            value = key.group(2)
        elif in_key and (raw[:1].isspace() or not raw.strip()):
            value = raw
        else:
            in_key = False
        if not in_key:
            continue
        entry = re.sub(r"(^|\s)#.*$", "", value).strip()
        if entry:
            try:
                pins.append(parse_pip(entry, path, number))
            except SpecError as exc:
                errors.append((number, str(exc)))
    return pins, errors


def check_setup_cfg_syntax(text: str) -> Tuple[int, str]:
    """(line, message) when setup.cfg is not valid INI, else (0, '')."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None) or 1
        return int(line), str(exc).splitlines()[0]
    return 0, ""


def _line_after(lines: List[str], pattern: str, start: int) -> int:
    """1-based number of the first line at or after ``start`` (1-based) matching; 0 when none."""
    for index in range(max(start - 1, 0), len(lines)):
        if re.search(pattern, lines[index]):
            return index + 1
    return 0


def _line_of_string(lines: List[str], value: str, start: int) -> int:
    for quote in ('"', "'"):
        found = _line_after(lines, re.escape(f"{quote}{value}{quote}"), start)
        if found:
            return found
    return start or 1

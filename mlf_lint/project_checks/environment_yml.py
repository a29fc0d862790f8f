"""conda environment files (environment.yml, conda.yaml): keys, conda and pip pins, the python pin."""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import List, Tuple

from yaml.nodes import Node

from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks import yaml_lines as Y
from mlf_lint.project_checks.findings import make
from mlf_lint.project_checks.requirements import logical_lines, parse as parse_requirements
from mlf_lint.project_checks.specs import EXACT, Pin, SpecError, parse_conda

REQUIRED_KEYS = ("name", "channels", "dependencies")


def is_environment_name(rel: str) -> bool:
    p = PurePosixPath(rel)
    if p.suffix not in (".yml", ".yaml") or ".github" in p.parts:
        return False
    stem = p.stem.lower()
    if stem.startswith("conda-lock") or stem.endswith(".conda-lock"):
        return False
    return (stem.startswith("environment") or stem.endswith("environment") or stem in ("env", "conda")
            or stem.startswith(("conda-env", "conda_env", "conda.")) or stem.endswith((".env", "-env", "_env")))


def parse(root_node: Node, path: str) -> Tuple[List[Pin], List[Tuple[int, str]], List[Tuple[int, str]]]:
    """(pins, -r includes inside ``pip:`` as (line, target), spec errors as (line, message))."""
    pins: List[Pin] = []
    includes: List[Tuple[int, str]] = []
    errors: List[Tuple[int, str]] = []
    for entry in Y.seq(Y.get(root_node, "dependencies")):
        text = Y.scalar(entry)
        if text is not None:
            try:
                pins.append(parse_conda(text, path, Y.line(entry)))
            except SpecError as exc:
                errors.append((Y.line(entry), str(exc)))
            continue
        for pip_entry in Y.seq(Y.get(entry, "pip")):
            line_text = Y.scalar(pip_entry)
            if line_text is None:
                continue
            parsed = parse_requirements(line_text, path)
            line = Y.line(pip_entry)
            pins.extend(Pin(p.name, p.kind, p.version, path, line, p.raw, "pip") for p in parsed.pins)
            includes.extend((line, target) for _, _, target in parsed.includes)
            errors.extend((line, message) for _, message in parsed.errors)
    return pins, includes, errors


def structure_findings(root_node: Node, path: str, pins: List[Pin]) -> List[Finding]:
    """MLF503 (a required key missing) and MLF504 (no exact python pin)."""
    out: List[Finding] = []
    if not Y.is_mapping(root_node):
        return [make("MLF503", path, 1, (
            "This conda environment file is not a mapping with name, channels and dependencies: conda cannot "
            "create an environment from it. Write it as `name:`, `channels:`, `dependencies:` keys."))]
    for key in REQUIRED_KEYS:
        if Y.get(root_node, key) is None:
            out.append(make("MLF503", path, 1, _MISSING[key]))
    deps = Y.get(root_node, "dependencies")
    if deps is None:
        return out
    python = [p for p in pins if p.name == "python" and p.manager == "conda"]
    if not python:
        out.append(make("MLF504", path, Y.line(deps), (
            "The environment does not pin python: conda installs whatever Python is newest, and library builds "
            "(and results) change with it. Add `- python=3.X` to dependencies.")))
    for pin in python:
        if pin.kind != EXACT:
            out.append(make("MLF504", path, pin.line, (
                f"'{pin.raw}' does not fix the Python version: conda can pick a different interpreter on "
                "each create. Pin major.minor at least (`python=3.X`).")))
    return out


_MISSING = {
    "name": ("The environment has no `name`: `conda env create -f` then needs `-n` on every call, and "
             "scripts that activate the environment by name break. Add `name: <project>`."),
    "channels": ("The environment lists no `channels`: packages then come from whatever channels the user's "
                 ".condarc configures, so two machines can install different builds. List the channels "
                 "explicitly (e.g. `channels: [conda-forge]`)."),
    "dependencies": ("The environment has no `dependencies`: it pins nothing, so the run uses whatever is "
                     "installed. List the packages with exact versions."),
}

__all__ = ["is_environment_name", "parse", "structure_findings", "logical_lines"]

"""MLflow ``MLproject`` files and the ``python_env.yaml`` they point at.

MLflow resolves ``conda_env`` / ``python_env`` relative to the project directory (the MLproject's
folder); ``docker_env.environment`` holds ``[NAME, value]`` pairs set in the container, or bare
``NAME`` strings copied from the host (their value is unknown here).
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Iterator, List, Tuple

from yaml.nodes import Node

from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks import yaml_lines as Y
from mlf_lint.project_checks.findings import make
from mlf_lint.project_checks.images import image_findings
from mlf_lint.project_checks.requirements import parse as parse_requirements
from mlf_lint.project_checks.specs import EXACT, Pin, parse_conda, SpecError

ENV_KEYS = ("conda_env", "python_env", "docker_env")


def is_mlproject_name(rel: str) -> bool:
    return PurePosixPath(rel).name == "MLproject"


def is_python_env_name(rel: str) -> bool:
    return PurePosixPath(rel).name in ("python_env.yaml", "python_env.yml")


def check(root_node: Node, path: str, project_dir: Path, root: Path) -> List[Finding]:
    out: List[Finding] = []
    if not Y.is_mapping(root_node):
        return [make("MLF910", path, 1, "MLproject is not a YAML mapping: MLflow cannot read it. "
                                        "Write it as `name:`, an environment key and `entry_points:`.")]
    if not any(Y.get(root_node, key) is not None for key in ENV_KEYS):
        out.append(make("MLF508", path, 1, (
            "MLproject names no environment (conda_env, python_env or docker_env): `mlflow run` then "
            "uses whatever environment the caller has, so results depend on the machine. Point it at a "
            "pinned environment file or image.")))
    for key in ("conda_env", "python_env"):
        value = Y.get(root_node, key)
        target = Y.scalar(value)
        if value is not None and target and not (project_dir / target).is_file():
            out.append(make("MLF507", path, Y.line(value), (
                f"MLproject {key} names '{target}', which does not exist: `mlflow run` fails before training "
                f"starts. Add the file or correct the path (relative to {project_dir.name or 'the project'}/).")))
    image_node = Y.get(Y.get(root_node, "docker_env"), "image")
    image = Y.scalar(image_node)
    if image_node is not None and image:
        out.extend(image_findings(image, path, Y.line(image_node), image_node.start_mark.column,
                                  "MLproject docker_env"))
    return out


def env_assignments(root_node: Node) -> Iterator[Tuple[str, int, str]]:
    """(name, line, value) of the ``[NAME, value]`` pairs in docker_env.environment."""
    for entry in Y.seq(Y.get(Y.get(root_node, "docker_env"), "environment")):
        pair = Y.seq(entry)
        if len(pair) == 2 and Y.scalar(pair[0]) is not None and Y.scalar(pair[1]) is not None:
            yield Y.scalar(pair[0]) or "", Y.line(pair[0]), Y.scalar(pair[1]) or ""


def python_env_pins(root_node: Node, path: str) -> Tuple[List[Pin], List[Tuple[int, str]], List[Finding]]:
    """Pins of python_env.yaml ``dependencies`` (pip lines) and MLF504 for its ``python`` key."""
    pins: List[Pin] = []
    errors: List[Tuple[int, str]] = []
    findings: List[Finding] = []
    python = Y.get(root_node, "python")
    version = Y.scalar(python)
    if python is None or not version:
        findings.append(make("MLF504", path, 1, (
            "python_env.yaml has no `python` version: MLflow then creates the environment with its own "
            "default interpreter. Add `python: \"3.X.Y\"`.")))
    else:
        try:
            pin = parse_conda(f"python=={version}" if version[:1].isdigit() else f"python{version}", path,
                              Y.line(python))
        except SpecError:
            pin = None
        if pin is None or pin.kind != EXACT:
            findings.append(make("MLF504", path, Y.line(python), (
                f"python_env.yaml python '{version}' is not one version: MLflow can pick a different "
                "interpreter per machine. Write an exact version (`python: \"3.X.Y\"`).")))
    for entry in Y.seq(Y.get(root_node, "dependencies")):
        text = Y.scalar(entry)
        if text is None:
            continue
        parsed = parse_requirements(text, path)
        pins.extend(Pin(p.name, p.kind, p.version, path, Y.line(entry), p.raw) for p in parsed.pins)
        errors.extend((Y.line(entry), message) for _, message in parsed.errors)
    return pins, errors, findings

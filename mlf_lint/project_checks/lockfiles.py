"""Lock files (uv.lock, poetry.lock, pdm.lock, conda-lock.yml): they pin the whole environment.

A project with a lock file is pinned by it, so range specifiers in pyproject.toml (or a conda
environment that conda-lock resolved) are not reported.
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, Dict, Iterable

from mlf_lint.project_checks import yaml_lines as Y
from mlf_lint.project_checks.names import canonical

TOML_LOCKS = ("uv.lock", "poetry.lock", "pdm.lock")
CONDA_LOCKS = ("conda-lock.yml", "conda-lock.yaml")


def is_lock_name(rel: str) -> bool:
    name = PurePosixPath(rel).name
    return name in TOML_LOCKS or name in CONDA_LOCKS or name.endswith((".conda-lock.yml", ".conda-lock.yaml"))


def python_lock_present(names: Iterable[str]) -> bool:
    return any(PurePosixPath(n).name in TOML_LOCKS for n in names)


def conda_lock_present(names: Iterable[str]) -> bool:
    return any(is_lock_name(n) and PurePosixPath(n).name not in TOML_LOCKS for n in names)


def is_toml_lock(path: Path) -> bool:
    return path.name in TOML_LOCKS


def locked_versions(path: Path, document: Any) -> Dict[str, str]:
    """name -> version of every package in the lock; ``document`` is the parsed TOML of a TOML lock
    (``is_toml_lock``), else the YAML tree."""
    versions: Dict[str, str] = {}
    if is_toml_lock(path):
        for package in document.get("package", []) or []:
            if isinstance(package, dict) and package.get("name") and package.get("version"):
                versions.setdefault(canonical(str(package["name"])), str(package["version"]))
        return versions
    root = document
    for entry in Y.seq(Y.get(root, "package")):
        name, version = Y.scalar(Y.get(entry, "name")), Y.scalar(Y.get(entry, "version"))
        if name and version:
            versions.setdefault(canonical(name), version)
    return versions

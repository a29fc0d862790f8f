"""The library-version model: which torch/lightning/tensorflow/keras/xgboost the project pins.

Cheap by design (it runs on every invocation): only the project root and folders one level below it
are looked at, never virtualenvs, node_modules or build output. When files disagree, a lock file
wins over environment.yml, which wins over requirements files, pyproject.toml and Dockerfiles; an
exact pin wins over a conda prefix pin (``pytorch=2.1`` -> "2.1") from any file.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from mlf_lint.project_checks import dockerfile, environment_yml, lockfiles, requirements
from mlf_lint.project_checks.findings import relpath
from mlf_lint.project_checks.model import ProjectFile, ProjectFiles
from mlf_lint.project_checks.names import TRACKED, canonical
from mlf_lint.engine.versions import release
from mlf_lint.project_checks.specs import EXACT, RANGE, Pin

_SKIP_DIRS = frozenset({"node_modules", "venv", "env", "site-packages", "build", "dist", "__pycache__",
                        "htmlcov", "wandb", "mlruns", "data"})
_VERSION = re.compile(r"^\d+(\.\d+)*([._+-]?[A-Za-z0-9.+-]*)?$")


def candidate_files(root: Path) -> List[Path]:
    """Files that can pin versions, in priority order (root before sub-folders inside each kind)."""
    found: List[Tuple[int, int, str, Path]] = []
    folders = [(0, root)]
    try:
        folders += [(1, p) for p in sorted(root.iterdir())
                    if p.is_dir() and not p.name.startswith(".") and p.name not in _SKIP_DIRS]
    except OSError:
        return []
    for depth, folder in folders:
        try:
            children = sorted(folder.iterdir())
        except OSError:
            continue
        for child in children:
            rank = _rank(child.name)
            if rank is not None and child.is_file():
                found.append((rank, depth, child.name, child))
    return [path for *_, path in sorted(found)]


def _rank(name: str) -> Optional[int]:
    if lockfiles.is_lock_name(name):
        return 0
    if environment_yml.is_environment_name(name):
        return 1
    if requirements.is_requirements_name(name) and not requirements.is_tooling_file(name):
        return 2
    if name == "pyproject.toml":
        return 3
    if dockerfile.is_dockerfile_name(name):
        return 4
    return None


def pinned_versions(root: Path, store: Optional[ProjectFiles] = None) -> Dict[str, str]:
    """{"torch": "2.1.0", ...} for the tracked libraries the project pins; never raises."""
    exact: Dict[str, str] = {}
    prefix: Dict[str, str] = {}
    store = store or ProjectFiles()
    for path in candidate_files(Path(root)):
        file = store.get(path)
        if file.text is None:
            continue  # reported by the checks; here it just pins nothing
        try:
            pins = file_versions(file, relpath(Path(root), file.path))
        except ValueError:
            continue  # a broken file is reported by the checks; here it just pins nothing
        for name, version, is_exact in pins:
            if name in TRACKED:
                (exact if is_exact else prefix).setdefault(name, version)
    return {**prefix, **exact}


def file_versions(file: ProjectFile, rel: str) -> List[Tuple[str, str, bool]]:
    """(library, version, exact?) pinned by one file (syntax errors raise ValueError subclasses);
    the pins are the ones the checks read (``rel`` names the file as they do)."""
    name = file.path.name
    if lockfiles.is_lock_name(name):
        document = file.toml() if lockfiles.is_toml_lock(file.path) else file.yaml()
        return [(lib, ver, True) for lib, ver in lockfiles.locked_versions(file.path, document).items()]
    pins: List[Pin] = []
    if environment_yml.is_environment_name(name):
        pins = file.environment_pins(rel)[0]
    elif requirements.is_requirements_name(name):
        pins = file.requirements_file(rel).pins
    elif name == "pyproject.toml":
        pins = file.pyproject_pins(rel)[0]
    elif dockerfile.is_dockerfile_name(name):
        images = filter(None, map(dockerfile.image_library_version, dockerfile.base_images(file.docker())))
        out = [(lib, ver, True) for lib, ver in images]
        return out + _from_pins(file.docker_pins(rel)[0])
    return _from_pins(pins)


def _from_pins(pins: List[Pin]) -> List[Tuple[str, str, bool]]:
    return [(p.name, p.version, p.kind == EXACT) for p in pins if p.version and p.kind in (EXACT, RANGE)]


def parse_target_versions(specs: List[str]) -> Dict[str, str]:
    """``["torch=2.4", "tensorflow==2.15,xgboost=2.0.3"]`` -> {"torch": "2.4", ...}; ValueError on bad input."""
    out: Dict[str, str] = {}
    for spec in specs:
        for item in filter(None, (part.strip() for part in spec.split(","))):
            match = re.match(r"^([A-Za-z0-9_.-]+)\s*={1,2}\s*(\S+)$", item)
            if not match:
                raise ValueError(f"--target-version '{item}': expected LIBRARY=VERSION, e.g. torch=2.4")
            library, version = canonical(match.group(1)), match.group(2)
            if library not in TRACKED:
                raise ValueError(f"--target-version '{item}': unknown library '{match.group(1)}' "
                                 f"(known: {', '.join(TRACKED)})")
            if not _VERSION.match(version) or not release(version):
                raise ValueError(f"--target-version '{item}': '{version}' is not a version (e.g. 2.4 or 2.4.1)")
            out[library] = version
    return out

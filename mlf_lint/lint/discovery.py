"""Which files a run checks: Python sources, notebooks and project files under the given paths,
minus virtualenvs, VCS/tool folders, git-ignored files and configured excludes; and which project
root each file belongs to."""
from __future__ import annotations

import fnmatch
import os
import subprocess
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Set, Tuple

from mlf_lint import project_checks
from mlf_lint.engine.cache import CACHE_DIR
from mlf_lint.engine.config import Config
from mlf_lint.engine.paths import relative

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__",
                       "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", CACHE_DIR,
                       "site-packages", "build", "dist", ".ipynb_checkpoints"})
CODE_SUFFIXES = (".py", ".pyi", ".ipynb")
ROOT_MARKERS = (".git", "pyproject.toml", "setup.cfg", "setup.py", "MLproject", ".mlf-lint.toml",
                "environment.yml", "tox.ini")


def find_root(start: Path) -> Path:
    """The project root of a file or folder: the nearest folder up with a root marker."""
    start = start.resolve()
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return here


def is_code(path: Path) -> bool:
    return path.suffix in CODE_SUFFIXES


def _is_virtualenv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").exists() or (folder / "conda-meta").is_dir()


def _git_ignored(root: Path, candidates: List[Path]) -> Set[Path]:
    """Files git ignores (one `git check-ignore` for all of them); empty outside a repository."""
    if not candidates or not (root / ".git").exists():
        return set()
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "--stdin", "-z"],
            input="\0".join(str(p) for p in candidates).encode(), capture_output=True, timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    return {Path(p).resolve() for p in proc.stdout.decode(errors="replace").split("\0") if p}


def _excluded(rel: str, patterns: Iterable[str]) -> bool:
    parts = rel.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern + "/*"):
            return True
        if any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


def discover(paths: List[Path], root: Path, exclude: Iterable[str] = (), respect_gitignore: bool = True,
             project_file: Optional[Callable[[Path], bool]] = None) -> List[Path]:
    """Files to check, sorted. Paths named explicitly are always checked (like ruff/flake8)."""
    exclude = list(exclude)
    found: List[Path] = []
    walked: List[Path] = []
    for path in paths:
        path = path.resolve()
        if path.is_file():
            # Named files are checked even when excluded (like ruff), but only kinds we understand:
            # pre-commit hands over every text file it matched.
            if is_code(path) or (project_file is not None and project_file(path)):
                found.append(path)
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            here = Path(dirpath)
            keep = []
            for d in sorted(dirnames):
                if d in SKIP_DIRS or (d.startswith(".") and d != ".github") or _is_virtualenv(here / d):
                    continue
                if exclude and _excluded(relative(here / d, root), exclude):
                    continue
                keep.append(d)
            dirnames[:] = keep
            for name in filenames:
                file = here / name
                if not (is_code(file) or (project_file is not None and project_file(file))):
                    continue
                if exclude and _excluded(relative(file, root), exclude):
                    continue
                walked.append(file)
    if respect_gitignore and walked:
        ignored = _git_ignored(root, walked)
        walked = [p for p in walked if p not in ignored]
    return sorted(set(found) | set(walked))


def discover_root(root: Path, config: Config) -> Tuple[List[Path], List[Path]]:
    """Every code file and every project file under ``root``, as the config excludes them."""
    files = discover([root], root, [*config.exclude, *config.extend_exclude], config.respect_gitignore,
                     project_checks.is_project_file)
    return [p for p in files if is_code(p)], [p for p in files if not is_code(p)]

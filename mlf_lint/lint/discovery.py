"""Which files a run checks: Python sources, notebooks and project files under the given paths,
minus virtualenvs, VCS/tool folders, git-ignored files and configured excludes; and which project
root each file belongs to."""
from __future__ import annotations

import fnmatch
import os
import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from mlf_lint.engine.cache import CACHE_DIR
from mlf_lint.engine.config import Config
from mlf_lint.engine.factstore import RACY_NS, FactStore
from mlf_lint.engine.paths import file_stat, relative

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__",
                       "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", CACHE_DIR,
                       "site-packages", "build", "dist", ".ipynb_checkpoints"})
CODE_SUFFIXES = (".py", ".pyi", ".ipynb")
ROOT_MARKERS = (".git", "pyproject.toml", "setup.cfg", "setup.py", "MLproject", ".mlf-lint.toml",
                "environment.yml", "tox.ini")


def find_root(start: Path) -> Path:
    """The project root of a file or folder: the nearest folder up with a root marker; without
    one, the working directory when the file lies under it (the CLI and flake8 both run from the
    top of the tree they check), else the file's own folder."""
    start = start.resolve()
    return RootFinder().root_of(start if start.is_dir() else start.parent)


class RootFinder:
    """``find_root`` with a memo per folder: each folder is looked at once per run."""

    def __init__(self, tops: Iterable[Path] = (), ceiling: Optional[Path] = None) -> None:
        self.memo: Dict[Path, Optional[Path]] = {}   # folder -> nearest marked folder at or above it
        self.cwd = Path.cwd().resolve()
        # Folders the CLI was asked to check: without a marker or the working directory above a
        # file, the checked folder holding it is its root (not each folder on its own).
        self.tops = sorted((p for p in tops if p.is_dir()), key=lambda p: len(p.parts))
        # The run's own project root: a file below it never belongs to a root above it.
        self.ceiling = ceiling.resolve() if ceiling is not None else None

    def _marked(self, folder: Path) -> Optional[Path]:
        chain = []
        found: Optional[Path] = None
        for here in (folder, *folder.parents):
            if here in self.memo:
                found = self.memo[here]
                break
            chain.append(here)
            if any((here / marker).exists() for marker in ROOT_MARKERS):
                found = here
                break
        for here in chain:
            self.memo[here] = found if found is not None and (here == found or found in here.parents) else None
        return found

    def root_of(self, folder: Path) -> Path:
        marked = self._marked(folder)
        ceiling = self.ceiling
        if ceiling is not None and (folder == ceiling or ceiling in folder.parents) and \
                (marked is None or marked in ceiling.parents):
            return ceiling
        if marked is not None:
            return marked
        if folder == self.cwd or self.cwd in folder.parents:
            return self.cwd
        for top in self.tops:
            if folder == top or top in folder.parents:
                return top
        return folder


# A folder named with Jinja syntax is a template (cookiecutter's {{cookiecutter.project_slug}}): its
# files only mean something once rendered, so they are not read as code or project files.
TEMPLATE_MARKERS = ("{{", "{%")


def is_template_dir(name: str) -> bool:
    return any(marker in name for marker in TEMPLATE_MARKERS)


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
            # Paths as the file system spells them: a name that is not UTF-8 keeps its bytes (PEP 383).
            input=b"\0".join(os.fsencode(p) for p in candidates), capture_output=True, timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    return {Path(os.fsdecode(p)).resolve() for p in proc.stdout.split(b"\0") if p}


def _excluded(rel: str, patterns: Iterable[str]) -> bool:
    parts = rel.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern + "/*"):
            return True
        if any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


class Trail:
    """What a walk depended on: the mtime of every folder it listed or judged by its content (a
    virtualenv), and the stat of every file that steers it (``.gitignore``, ``.git/info/exclude``).
    While all of these are unchanged, the walk would find the same files."""

    STEERING = (".gitignore",)

    def __init__(self) -> None:
        self.dirs: Dict[str, int] = {}
        self.watch: Dict[str, Optional[Tuple[int, int]]] = {}

    def folder(self, full: str) -> None:
        try:
            self.dirs[full] = os.stat(full).st_mtime_ns
        except OSError:
            self.dirs[full] = -1

    def file(self, full: str) -> None:
        self.watch[full] = file_stat(full)

    def holds(self) -> bool:
        """Whether nothing it depended on changed (and nothing is too recent to tell)."""
        now = time.time_ns()
        for full, mtime in self.dirs.items():
            try:
                seen = os.stat(full).st_mtime_ns
            except OSError:
                return False
            if seen != mtime or mtime >= now - RACY_NS:
                return False
        return all(file_stat(full) == stat for full, stat in self.watch.items())

    def to_data(self, root: Path) -> Dict[str, object]:
        base = str(root)
        return {"dirs": {os.path.relpath(k, base): v for k, v in self.dirs.items()},
                "watch": {os.path.relpath(k, base): v for k, v in self.watch.items()}}

    @classmethod
    def from_data(cls, root: Path, data: Dict) -> "Trail":
        trail = cls()
        base = str(root)
        trail.dirs = {base + os.sep + k: v for k, v in data["dirs"].items()}
        trail.watch = {base + os.sep + k: tuple(v) if v else None for k, v in data["watch"].items()}
        return trail


def discover(paths: List[Path], root: Path, exclude: Iterable[str] = (), respect_gitignore: bool = True,
             project_file: Optional[Callable[[Path], bool]] = None,
             templates: Optional[List[Path]] = None, trail: Optional[Trail] = None) -> List[Path]:
    """Files to check, sorted. Paths named explicitly are always checked (like ruff/flake8).
    Template folders are not walked; ``templates`` collects the ones skipped. ``trail`` records
    what the walk depended on (see :class:`Trail`)."""
    exclude = list(exclude)
    found: List[str] = []
    walked: List[str] = []
    prefix = str(root) + os.sep

    def rel(full: str) -> str:  # relative(), on strings: this runs for every file of a project
        return full[len(prefix):].replace(os.sep, "/") if full.startswith(prefix) else relative(Path(full), root)

    for path in paths:
        path = path.resolve()
        if path.is_file():
            # Named files are checked even when excluded (like ruff), but only kinds we understand:
            # pre-commit hands over every text file it matched.
            if is_code(path) or (project_file is not None and project_file(path)):
                found.append(str(path))
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            if trail is not None:
                trail.folder(dirpath)
                trail.watch.update({os.path.join(dirpath, n): file_stat(os.path.join(dirpath, n))
                                    for n in Trail.STEERING if n in filenames})
            keep = []
            for d in sorted(dirnames):
                if d in SKIP_DIRS or (d.startswith(".") and d != ".github"):
                    continue
                full = os.path.join(dirpath, d)
                if _is_virtualenv(Path(full)):
                    if trail is not None:
                        trail.folder(full)  # it stops being one when its pyvenv.cfg goes
                    continue
                if exclude and _excluded(rel(full), exclude):
                    continue
                if is_template_dir(d):
                    if templates is not None:
                        templates.append(Path(full))
                    continue
                keep.append(d)
            dirnames[:] = keep
            for name in filenames:
                full = os.path.join(dirpath, name)
                if not (name.endswith(CODE_SUFFIXES) or (project_file is not None and project_file(Path(full)))):
                    continue
                if exclude and _excluded(rel(full), exclude):
                    continue
                walked.append(full)
    if respect_gitignore and walked and (root / ".git").exists():
        if trail is not None:
            trail.file(os.path.join(str(root), ".git", "info", "exclude"))
        ignored = {str(p) for p in _git_ignored(root, [Path(p) for p in walked])}
        walked = [p for p in walked if p not in ignored]
    # Sorted as paths sort (part by part), without making a Path of every string first.
    return [Path(p) for p in sorted(set(found) | set(walked), key=lambda p: p.split(os.sep))]


def discover_root(root: Path, config: Config, store: Optional[FactStore] = None) -> Tuple[List[str], List[Path]]:
    """Every code file (as a string: a big project has thousands, and only the few that changed are
    ever opened) and every project file under ``root``, as the config excludes them. With a fact
    store, the listing of an unchanged tree is taken from it instead of walking the tree."""
    key = config.key()
    listing = store.listing(key) if store is not None else None
    files: Optional[List[str]] = None
    base = str(root) + os.sep
    if listing is not None:
        try:
            if Trail.from_data(root, listing).holds():
                files = [base + rel for rel in listing["files"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            files = None  # a listing of another shape: walk
    if files is None:
        from mlf_lint.project_checks import is_project_file

        trail = Trail()
        found = discover([root], root, [*config.exclude, *config.extend_exclude], config.respect_gitignore,
                         is_project_file, trail=trail)
        files = [str(p) for p in found]
        if store is not None and trail.holds():
            store.put_listing(key, {**trail.to_data(root), "files": [f[len(base):] for f in files]})
    return ([f for f in files if f.endswith(CODE_SUFFIXES)],
            [Path(f) for f in files if not f.endswith(CODE_SUFFIXES)])

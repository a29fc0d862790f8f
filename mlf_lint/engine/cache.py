"""Content cache: a file's findings are reused while its content, the effective config, the tool
version and the project facts those findings consulted are all unchanged.

Stored as JSON (never pickle: a cache file is data) under a header with the body's digest, so a
damaged file is dropped whole and rebuilt, never trusted in part; written whole to a temporary file
and renamed over the old one, so concurrent runs never see half a file. What the facts are made of
lives in the fact store beside it (``engine.factstore``).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from mlf_lint import __version__
from mlf_lint.engine.config import ConfigError
from mlf_lint.engine.facts import FileFacts, ProjectFacts

CACHE_DIR = ".mlf_lint_cache"  # the default cache folder, at the project root
CACHE_FILE = "cache-v6.json"  # v6: a header with the body's digest; findings only (facts: the fact store)
# Every version of the cache file has been one JSON object whose first key is the stamp; a file
# that does not start so is not the cache's own and is never deleted.
_OWN_FILE = re.compile(r"cache-v\d+\.json")
_OWN_START = b'{"stamp": "'


def cache_folder(root: Path, configured: Optional[str] = None, override: Optional[Path] = None) -> Path:
    """Where the cache of the project at ``root`` lives: ``--cache-dir`` (the user named it, so it
    may be anywhere), else the config's ``cache-dir``, else CACHE_DIR; a relative folder is
    relative to the project root.

    A folder from the config must lie below the project root: a committed config is not the
    user's say-so to write (and delete cache files) elsewhere. Raises :class:`ConfigError`.
    """
    if override is not None:
        return override if override.is_absolute() else root / override
    folder = root / (configured or CACHE_DIR)
    if root.resolve() not in folder.resolve().parents:
        raise ConfigError(f"cache-dir {configured!r} is not a folder inside the project {root}; a cache "
                          "outside the project can only be named on the command line (--cache-dir)")
    return folder


def _owned(path: Path) -> bool:
    """A cache file an older mlf-lint wrote: the name, a regular file, and the start it always had."""
    if not _OWN_FILE.fullmatch(path.name) or path.is_symlink() or not path.is_file():
        return False
    try:
        with open(path, "rb") as stream:
            return stream.read(len(_OWN_START)) == _OWN_START
    except OSError:
        return False


def make_cache_folder(folder: Path) -> bool:
    """Create the cache folder (git-ignored inside); whether it exists afterwards."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
    except OSError:
        return False
    return True


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def fact_digest(facts: Union[ProjectFacts, FileFacts], name: str) -> str:
    if isinstance(facts, FileFacts):
        # Every group's value, with the programs it holds for and the file's quiet functions.
        parts = [[list(programs), fact_digest(group, name)] for programs, group in facts.groups]
        blob = json.dumps([parts, list(facts.quiet_functions)]).encode()
        return hashlib.blake2b(blob, digest_size=8).hexdigest()
    if name.startswith("versions."):
        value: Any = facts.versions.get(name.split(".", 1)[1])
    elif name.startswith("env_vars."):
        value = facts.env_vars.get(name.split(".", 1)[1])
    else:
        value = getattr(facts, name, None)
    return hashlib.blake2b(json.dumps(value, sort_keys=True).encode(), digest_size=8).hexdigest()


def fact_digests(facts: Union[ProjectFacts, FileFacts], names: Iterable[str]) -> Dict[str, str]:
    return {name: fact_digest(facts, name) for name in sorted(names)}


class Cache:
    def __init__(self, folder: Path, config_key: str) -> None:
        self.folder = folder
        self.path = folder / CACHE_FILE
        self.stamp = f"{__version__}:{config_key}"
        self.entries: Dict[str, Dict[str, Any]] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        """The stored entries, or none: a missing, older, damaged or foreign file counts as empty
        (and is rebuilt on save). The header's digest of the body catches every damage that a
        shape check would have to foresee: a truncated write, a hand edit, a bad disk."""
        try:
            header, _, body = self.path.read_bytes().partition(b"\n")
            head = json.loads(header)
            if not isinstance(head, dict) or head.get("stamp") != self.stamp \
                    or head.get("digest") != content_hash(body):
                return
            data = json.loads(body)
        except (OSError, ValueError, RecursionError, MemoryError):
            return
        entries = data.get("files") if isinstance(data, dict) else None
        if isinstance(entries, dict):
            self.entries = entries

    def lookup(self, rel: str, digest: str, facts: Union[ProjectFacts, FileFacts]
               ) -> Optional[Tuple[list, Optional[str]]]:
        """The stored findings of an unchanged file, and why it could not be analysed (or None)."""
        entry = self.entries.get(rel)
        if not isinstance(entry, dict) or entry.get("hash") != digest:
            return None
        used = entry.get("facts")
        findings = entry.get("findings")
        if not isinstance(used, dict) or not isinstance(findings, list):
            return None
        for name, value in used.items():
            if fact_digest(facts, name) != value:
                return None
        failure = entry.get("failure")
        return findings, failure if isinstance(failure, str) else None

    def store(self, rel: str, digest: str, findings: list, used: Dict[str, str],
              failure: Optional[str] = None) -> None:
        self.entries[rel] = {"hash": digest, "findings": findings, "facts": used, "failure": failure}
        self.dirty = True

    def save(self) -> None:
        if not self.dirty or not make_cache_folder(self.folder):
            return
        try:
            # One line of header (the stamp first, as every version had it), then the body; JSON
            # escapes every newline inside strings, so the body is one line too.
            body = json.dumps({"files": self.entries}).encode()
            header = json.dumps({"stamp": self.stamp, "digest": content_hash(body)}).encode()
            fd, tmp = tempfile.mkstemp(dir=str(self.folder), prefix=".cache-", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(header + b"\n" + body)
            os.replace(tmp, self.path)
            for old in self.folder.glob("cache-v*.json"):  # an older tool version's format
                if old.name != CACHE_FILE and _owned(old):
                    old.unlink()
        except OSError:
            pass  # a read-only tree still gets its findings; only the speed-up is lost


def clean(folder: Path) -> Tuple[List[str], bool]:
    """Remove what the cache wrote in ``folder``: the cache file (this version's and older ones'),
    the ``.gitignore`` it added and temporary files a killed run left; then the folder itself, once
    nothing else is in it (a ``--cache-dir`` may be a folder the user keeps other files in).
    Returns the names removed and whether the folder went too."""
    if folder.is_symlink() or not folder.is_dir():
        return [], False
    removed: List[str] = []
    for path in sorted(folder.iterdir()):
        ours = path.name == CACHE_FILE or _owned(path) or _written_here(path)
        if ours and (path.is_file() and not path.is_symlink()):
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path.name)
    try:
        folder.rmdir()  # only when empty
    except OSError:
        return removed, False
    return removed, True


def _written_here(path: Path) -> bool:
    """The cache's own .gitignore, or a temporary file of an interrupted save."""
    if path.name.startswith(".cache-") and path.name.endswith(".tmp"):
        return True
    try:
        return path.name == ".gitignore" and path.read_text(encoding="utf-8") == "*\n"
    except (OSError, UnicodeDecodeError):
        return False

"""The fact store: what the facts of a project are made of, kept between runs so that nothing is
computed again for a file that did not change.

A SQLite database holds, per project root,

- ``files``: each code file's ``(mtime_ns, size)`` and content digest, so a run learns a file's
  digest from one ``stat`` without reading a byte;
- ``facts``: the combined code facts of one exact set of ``(path, digest)`` pairs;
- ``listings``: which files discovery found, with the ``mtime_ns`` of every folder it walked and
  the stat of every file that steers it (``.gitignore``), so an unchanged tree is not walked again;
- ``findings``: what the flake8 plugin found in a file, under the digest of its text and of the
  facts it consulted (the CLI keeps its own in ``cache-v6.json``);

and, shared by every root in the database,

- ``summaries``: each file's fact summary, keyed by content digest only (so it stays valid however
  the facts are later combined, per project or per program, and wherever the file lives: a second
  clone or worktree of a project reuses the first one's summaries);
- ``textual``: per content digest, which helper names an unparsed file calls (memoised answers).

The database is the project's cache folder's when that folder exists (``.mlf_lint_cache``, which
CI keeps), else the user's (``$MLF_LINT_CACHE_HOME``, else platformdirs' user cache folder), so
editors and the flake8 plugin never write into a project. Roots not seen for a month are dropped.

Concurrent runs (an editor, pre-commit, ``-j``) are safe: every write is one transaction, and every
stored entry is true on its own (a digest is stored with the stat seen before the file was read, a
summary under the digest of the bytes it was computed from, combined facts under the digest of
exactly the inputs), so a run that loses a race recomputes, never trusts a wrong entry. A store
that cannot be opened or written is simply not used: the findings never depend on it.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple

from mlf_lint.engine.paths import on_disk, printable
from mlf_lint.engine.userdirs import CACHE_HOME_ENV, user_cache_home  # noqa: F401 - re-exported

STORE_FILE = "facts.sqlite"
FORMAT = "4"
# A file modified this recently may change again within the same mtime tick: its stat is not
# trusted next time (it is read and hashed again), as git does with "racily clean" entries.
RACY_NS = 2_000_000_000
KEEP_FACTS = 8  # facts entries kept per project (an editor flips between a few states)
# Code models are keyed by content alone (root-relative paths and digests), so they are also kept
# under this pseudo-root, for any checkout of the same content: a second clone or a worktree (the
# user's store), a cache folder restored in another place (CI).
SHARED_ROOT = "<any checkout>"
KEEP_SHARED = 16
FORGET_ROOT_NS = 30 * 24 * 3600 * 1_000_000_000

Stat = Tuple[int, int]                # (mtime_ns, size)
IndexEntry = Tuple[int, int, str]     # (mtime_ns, size, digest); mtime_ns -1: do not trust the stat

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS roots (root TEXT PRIMARY KEY, seen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS files (root TEXT NOT NULL, rel TEXT NOT NULL, mtime_ns INTEGER NOT NULL,
                                  size INTEGER NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (root, rel));
CREATE TABLE IF NOT EXISTS summaries (digest TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS textual (digest TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS facts (root TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
                                  used INTEGER NOT NULL, PRIMARY KEY (root, key));
CREATE TABLE IF NOT EXISTS listings (root TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
                                     PRIMARY KEY (root, key));
CREATE TABLE IF NOT EXISTS findings (root TEXT NOT NULL, rel TEXT NOT NULL, digest TEXT NOT NULL,
                                     data TEXT NOT NULL, PRIMARY KEY (root, rel));
"""
_TABLES = ("roots", "files", "summaries", "textual", "facts", "listings", "findings")
_PER_ROOT = ("roots", "files", "facts", "listings", "findings")


def user_store_path() -> Path:
    """The user's store (every project root the user's editors and flake8 runs met)."""
    return user_cache_home() / STORE_FILE


def is_racy(stat: os.stat_result, now_ns: int) -> bool:
    return stat.st_mtime_ns >= now_ns - RACY_NS


class FactStore:
    """One project root's view of a store. Reads are lazy; ``commit`` writes in one transaction."""

    def __init__(self, path: Path, stamp: str, root: Path) -> None:
        self.path = path
        # SQLite text is UTF-8: a name whose bytes are not (PEP 383 surrogates) is kept printable,
        # and turned back into the file system's name when read.
        self.root = printable(str(root))
        self.stamp = f"{FORMAT}:{stamp}"
        self._db: Optional[sqlite3.Connection] = None
        self.broken = False
        self.started_ns = time.time_ns()

    # -- connection ------------------------------------------------------------------------------
    def _connect(self) -> Optional[sqlite3.Connection]:
        if self._db is not None or self.broken:
            return self._db
        try:
            self._db = self._open()
        except (sqlite3.Error, OSError):
            # A damaged file (a full disk, another program's data): set it aside once and start over.
            try:
                self.path.unlink()
                self._db = self._open()
            except (sqlite3.Error, OSError):
                self.broken = True
                self._db = None
        return self._db

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_symlink():
            # Never write through a link a project may ship in its cache folder: replace the link.
            self.path.unlink()
        db = sqlite3.connect(str(self.path), timeout=10.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")   # readers never wait for a writer
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            found = db.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
            if found is None or found[0] != self.stamp:
                # Another tool version or summary format: nothing in here is valid any more.
                db.execute("BEGIN IMMEDIATE")
                for table in _TABLES:
                    db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                db.execute("INSERT OR REPLACE INTO meta VALUES ('stamp', ?)", (self.stamp,))
                db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _rows(self, query: str, args: tuple = ()) -> list:
        db = self._connect()
        if db is None:
            return []
        try:
            return db.execute(query, args).fetchall()
        except sqlite3.Error:
            return []

    # -- reads -----------------------------------------------------------------------------------
    def index(self) -> Dict[str, IndexEntry]:
        return {on_disk(rel): (mtime, size, digest) for rel, mtime, size, digest in
                self._rows("SELECT rel, mtime_ns, size, digest FROM files WHERE root = ?", (self.root,))}

    def summaries(self, digests: Iterable[str]) -> Dict[str, Dict[str, Any]]:
        return self._json_by_digest("summaries", digests)

    def textual(self, digests: Iterable[str]) -> Dict[str, Dict[str, bool]]:
        return self._json_by_digest("textual", digests)

    def _json_by_digest(self, table: str, digests: Iterable[str]) -> Dict[str, Any]:
        wanted = set(digests)
        if not wanted:
            return {}
        found: Dict[str, Any] = {}
        # The few digests of a small request one by one; many at once in one pass over the table.
        if len(wanted) <= 64:
            rows = [row for d in wanted for row in
                    self._rows(f"SELECT digest, data FROM {table} WHERE digest = ?", (d,))]  # noqa: S608
        else:
            rows = self._rows(f"SELECT digest, data FROM {table}")  # noqa: S608 - fixed names
        for digest, data in rows:
            if digest in wanted:
                try:
                    found[digest] = json.loads(data)
                except ValueError:
                    continue
        return found

    def code_facts(self, key: str, shared: bool = False) -> Optional[Dict[str, Any]]:
        """The entry kept under ``key`` for this root; ``shared``: or for any checkout."""
        rows = self._rows("SELECT data FROM facts WHERE root = ? AND key = ?", (self.root, key))
        if not rows and shared:
            rows = self._rows("SELECT data FROM facts WHERE root = ? AND key = ?", (SHARED_ROOT, key))
        if not rows:
            return None
        try:
            found = json.loads(rows[0][0])
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    def listing(self, key: str) -> Optional[Dict[str, Any]]:
        rows = self._rows("SELECT data FROM listings WHERE root = ? AND key = ?", (self.root, key))
        try:
            found = json.loads(rows[0][0]) if rows else None
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    def findings(self, rel: str) -> Optional[Tuple[str, Dict[str, Any]]]:
        """(digest, data) last kept for a file, or None."""
        rows = self._rows("SELECT digest, data FROM findings WHERE root = ? AND rel = ?",
                          (self.root, printable(rel)))
        try:
            return (rows[0][0], json.loads(rows[0][1])) if rows else None
        except ValueError:
            return None

    # -- writes ----------------------------------------------------------------------------------
    def put_findings(self, rel: str, digest: str, data: Dict[str, Any]) -> bool:
        def work(db: sqlite3.Connection, now: int) -> None:
            db.execute("INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?)",
                       (self.root, printable(rel), digest, json.dumps(data, sort_keys=True)))
        return self._write(work)

    def _write(self, work: Callable[[sqlite3.Connection, int], None]) -> bool:
        """Run ``work(db, now)`` in one transaction; False when it could not be written (busy past
        the timeout, read-only, a full disk: only the speed-up is lost)."""
        db = self._connect()
        if db is None:
            return False
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                work(db, time.time_ns())
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error:
            return False
        return True

    def put_listing(self, key: str, data: Dict[str, Any]) -> bool:
        """Keep one listing per root (the latest configuration's)."""
        def work(db: sqlite3.Connection, now: int) -> None:
            db.execute("DELETE FROM listings WHERE root = ?", (self.root,))
            db.execute("INSERT INTO listings VALUES (?, ?, ?)", (self.root, key, json.dumps(data)))
        return self._write(work)

    def commit(self, index: Optional[Mapping[str, IndexEntry]] = None,
               summaries: Optional[Mapping[str, Dict[str, Any]]] = None,
               textual: Optional[Mapping[str, Dict[str, bool]]] = None,
               facts: Optional[Tuple[str, Dict[str, Any]]] = None,
               live: Iterable[str] = (), shared: bool = False) -> bool:
        """Write what changed. ``index`` replaces this root's file index; then summaries and textual
        answers no root indexes (and not in ``live``) are dropped. ``shared``: ``facts`` holds for
        any checkout of the same content (see ``SHARED_ROOT``). Returns whether it was written."""
        if not (index is not None or summaries or textual or facts):
            return True

        def work(db: sqlite3.Connection, now: int) -> None:
            if summaries:
                db.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?)",
                               [(d, json.dumps(s, sort_keys=True)) for d, s in summaries.items()])
            if textual:
                db.executemany("INSERT OR REPLACE INTO textual VALUES (?, ?)",
                               [(d, json.dumps(t, sort_keys=True)) for d, t in textual.items()])
            if facts is not None:
                data = json.dumps(facts[1], sort_keys=True)
                for root, keep in ((self.root, KEEP_FACTS), *([(SHARED_ROOT, KEEP_SHARED)] if shared else [])):
                    db.execute("INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?)", (root, facts[0], data, now))
                    db.execute("DELETE FROM facts WHERE root = ? AND key NOT IN (SELECT key FROM facts "
                               "WHERE root = ? ORDER BY used DESC LIMIT ?)", (root, root, keep))
            if index is not None:
                db.execute("INSERT OR REPLACE INTO roots VALUES (?, ?)", (self.root, now))
                db.execute("DELETE FROM files WHERE root = ?", (self.root,))
                db.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?)",
                               [(self.root, printable(rel), m, s, d) for rel, (m, s, d) in index.items()])
                self._forget(db, now, set(live))
        return self._write(work)

    def forget(self) -> bool:
        """Drop everything this root has in the store; whether it had anything."""
        if not self.index() and not self._rows("SELECT 1 FROM facts WHERE root = ?", (self.root,)):
            return False

        def work(db: sqlite3.Connection, now: int) -> None:
            for table in _PER_ROOT:
                db.execute(f"DELETE FROM {table} WHERE root = ?", (self.root,))  # noqa: S608 - fixed names
            self._forget(db, now, set())
        return self._write(work)

    @staticmethod
    def _forget(db: sqlite3.Connection, now: int, live: set) -> None:
        """Drop roots unseen for a month, then content no root refers to."""
        for (old,) in db.execute("SELECT root FROM roots WHERE seen < ?", (now - FORGET_ROOT_NS,)).fetchall():
            for table in _PER_ROOT:
                db.execute(f"DELETE FROM {table} WHERE root = ?", (old,))  # noqa: S608 - fixed names
        keep = {d for (d,) in db.execute("SELECT DISTINCT digest FROM files")} | live
        for table in ("summaries", "textual"):
            stale = [(d,) for (d,) in db.execute(f"SELECT digest FROM {table}") if d not in keep]  # noqa: S608
            db.executemany(f"DELETE FROM {table} WHERE digest = ?", stale)  # noqa: S608


def clean(path: Path) -> bool:
    """Remove a store and its write-ahead log; whether there was one."""
    found = False
    for suffix in ("", "-wal", "-shm"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.unlink()
            found = True
    return found

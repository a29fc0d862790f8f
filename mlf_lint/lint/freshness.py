"""The code half of a project's facts, recomputed only where something changed.

A :class:`CodeFacts` belongs to one project root and lives as long as its caller (one CLI run, one
flake8 process, an editor session). For each ``.py`` file it learns the content digest from the
fact store's ``(mtime_ns, size)`` index with one ``stat`` (the file is read only when those
changed), takes the summary of that content from memory or the store (a content is summarised only
once), and answers from memory or the store which helper names a file that was not parsed calls.
The combined facts come whole from the store for a known set of contents, are kept when a change
left every summary (and those answers) as they were, and are otherwise combined again from the
summaries, never by re-reading unchanged files.

How summaries are made and combined stays in :mod:`mlf_lint.lint.summaries`; where things are kept
is :mod:`mlf_lint.engine.factstore`. This module only decides what is fresh.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Set, Tuple, Union

from mlf_lint import __version__
from mlf_lint.engine import facts as facts_module
from mlf_lint.engine.cache import content_hash
from mlf_lint.engine.factstore import RACY_NS, FactStore, IndexEntry
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.paths import relative
from mlf_lint.lint import summaries
from mlf_lint.lint.sources import SourceFile, read_source

Code = Union[SourceFile, Path, str]   # a code file already read, or only its path


def _key(digests: Mapping[str, str]) -> str:
    """The key of combined facts: exactly which content each file had."""
    return content_hash(repr(sorted(digests.items())).encode("utf-8", "surrogatepass"))


def store_stamp() -> str:
    """What every stored entry depends on: the tool version and the code that makes summaries and
    facts, so a changed summariser never trusts old entries, even within one version."""
    digest = hashlib.blake2b(digest_size=8)
    for module in (summaries, facts_module):
        digest.update(Path(str(module.__file__)).read_bytes())
    return f"{__version__}:{digest.hexdigest()}"


@dataclass
class _Combined:
    digests: Dict[str, str]     # the inputs: rel -> content digest
    facts: ProjectFacts
    asked: Set[str]             # the helper names files that were not parsed were asked about
    key: str = ""               # _key(digests)


class CodeFacts:
    def __init__(self, root: Path, store: Optional[FactStore] = None) -> None:
        self.root = root
        self.store = store
        self.index: Dict[str, IndexEntry] = store.index() if store is not None else {}
        self.paths: Dict[str, str] = {}                   # rel -> absolute path
        self.texts: Dict[str, Tuple[str, str]] = {}       # rel -> (digest, text) held in memory
        self.summaries: Dict[str, Dict] = {}              # digest -> summary
        self.textual: Dict[str, Dict[str, bool]] = {}     # digest -> {helper name: called?}
        self.last: Optional[_Combined] = None
        self._new_summaries: Dict[str, Dict] = {}
        self._new_textual: Set[str] = set()
        self._unsure = False
        self.reads = 0           # files read, and contents summarised (what tests check is not done)
        self.summarised = 0

    # -- which content each file has -------------------------------------------------------------
    def refresh(self, code: Sequence[Code], overrides: Optional[Mapping[Path, str]] = None) -> ProjectFacts:
        """The code facts of these files; ``overrides``: the unsaved text of some (an editor's)."""
        unsaved = {str(path): text for path, text in (overrides or {}).items()}
        now = time.time_ns()
        digests: Dict[str, str] = {}
        index: Dict[str, IndexEntry] = {}
        prefix = str(self.root) + os.sep
        for item in code:
            path = item.path if isinstance(item, SourceFile) else item
            full = str(path)
            if not full.endswith(".py"):
                continue
            # relative(), on strings: this runs for every file of the project on every run
            rel = full[len(prefix):].replace(os.sep, "/") if full.startswith(prefix) else \
                relative(Path(full), self.root)
            self.paths[rel] = full
            if full in unsaved:
                digests[rel] = self._hold(rel, unsaved[full])
                if rel in self.index:
                    index[rel] = self.index[rel]  # the file on disk is unchanged; the editor has another text
                continue
            entry = self._entry(item, rel, now)
            if entry is not None:
                index[rel] = entry
                digests[rel] = entry[2]
        facts = self._combined(digests, index)
        # Only an editor's texts are worth holding on to; a file read from disk is read again in the
        # rare case its text is needed later (a new helper name to look for).
        self.texts = {rel: held for rel, held in self.texts.items() if self.paths.get(rel) in unsaved}
        return _copy(facts)

    @property
    def key(self) -> Optional[str]:
        """The key of the last combined facts (exactly which content each file had), if any."""
        if self.last is None:
            return None
        if not self.last.key:
            self.last.key = _key(self.last.digests)
        return self.last.key

    def edit(self, path: Path, text: str) -> Tuple[ProjectFacts, bool]:
        """The code facts with one file's text replaced (an editor's unsaved change), without looking
        at any other file; and whether they differ from the last ones. Needs a ``refresh`` first."""
        if self.last is None:
            raise RuntimeError("CodeFacts.edit before refresh")
        before = self.last.facts
        rel = relative(path, self.root)
        self.paths[rel] = str(path)
        digests = dict(self.last.digests)
        digests[rel] = self._hold(rel, text)
        facts = self._combined(digests, dict(self.index))
        return _copy(facts), facts is not before

    def _hold(self, rel: str, text: str) -> str:
        digest = content_hash(text.encode("utf-8"))
        self.texts[rel] = (digest, text)
        return digest

    def _entry(self, item: Code, rel: str, now: int) -> Optional[IndexEntry]:
        """(mtime_ns, size, digest) of a file; it is read only when its stat changed. None: no text."""
        if isinstance(item, SourceFile):
            return self._keep(rel, item, now)
        try:
            seen = os.stat(item)
        except OSError:
            return None
        known = self.index.get(rel)
        if known is not None and known[0] >= 0 and (known[0], known[1]) == (seen.st_mtime_ns, seen.st_size):
            return known
        return self._keep(rel, self._read(rel), now)

    def _keep(self, rel: str, source: Optional[SourceFile], now: int) -> Optional[IndexEntry]:
        """Hold a file's text and make its index entry."""
        if source is None or source.text is None:
            return None
        self.texts[rel] = (source.digest, source.text)
        mtime, size = source.stat or (-1, -1)
        # A file written in the last moments may change again within the same mtime tick: its stat
        # is not trusted next time (it is read again), as git does with "racily clean" entries.
        return (mtime if 0 <= mtime < now - RACY_NS else -1, size, source.digest)

    def _read(self, rel: str) -> Optional[SourceFile]:
        self.reads += 1
        source = read_source(Path(self.paths[rel]), rel)
        return source if source.text is not None else None

    def _text(self, rel: str, digest: str) -> Optional[str]:
        """The text of ``rel`` with content ``digest``: from memory, or read (None if it changed since)."""
        held = self.texts.get(rel)
        if held is not None and held[0] == digest:
            return held[1]
        source = self._read(rel)
        if source is None or source.digest != digest:
            return None
        self.texts[rel] = (digest, source.text or "")
        return source.text

    # -- summaries, helper calls, combined facts -------------------------------------------------
    def _combined(self, digests: Dict[str, str], index: Dict[str, IndexEntry]) -> ProjectFacts:
        if self.last is not None and self.last.digests == digests:
            self._commit(index)
            return self.last.facts
        key = _key(digests)
        stored = self.store.code_facts(key) if self.store is not None else None
        if stored is not None:
            try:
                self.last = _Combined(dict(digests), ProjectFacts.from_data(stored), set(), key)
            except (TypeError, ValueError):
                pass  # a damaged entry: combine again
            else:
                self._commit(index)
                return self.last.facts
        by_rel = self._summaries(digests, index)
        if self._still_holds(digests):
            # The same facts as before (an edit inside a function, say): nothing new to keep.
            self.last.digests, self.last.key = dict(digests), key  # type: ignore[union-attr]
            self._commit(index)
            return self.last.facts  # type: ignore[union-attr]
        asked: Set[str] = set()

        def calls_of(rel: str, names: Set[str]) -> Set[str]:
            asked.update(names)
            return self._calls_of(rel, digests[rel], names)
        self._unsure = False
        if self.store is not None:  # the memoised answers of every file not parsed, in one query
            unparsed = {d for rel, d in digests.items() if not summaries.is_parsed(by_rel[rel])}
            self.textual.update(self.store.textual(unparsed - self.textual.keys()))
        facts = summaries.combine(by_rel, calls_of)
        if self._unsure:  # a file changed under this run: these facts are not kept for its digests
            self.last = None
            self._new_textual = set()
            self._commit(index)
            return facts
        self.last = _Combined(dict(digests), facts, asked, key)
        self._commit(index, (key, asdict(facts)))
        return facts

    def _summaries(self, digests: Dict[str, str], index: Dict[str, IndexEntry]) -> Dict[str, Dict]:
        """Each file's summary; a file whose content changed since its stat was taken is read again,
        and ``digests`` and ``index`` follow the content actually summarised."""
        missing = {d for d in digests.values() if d not in self.summaries}
        if missing and self.store is not None:
            self.summaries.update(self.store.summaries(missing))
        by_rel: Dict[str, Dict] = {}
        for rel, digest in list(digests.items()):
            summary = self.summaries.get(digest)
            if summary is None:
                text = self._text(rel, digest)
                if text is None:  # changed on disk meanwhile: use what is there now
                    index.pop(rel, None)
                    entry = self._keep(rel, self._read(rel), time.time_ns())
                    if entry is None:
                        del digests[rel]
                        continue
                    index[rel] = entry
                    digest = digests[rel] = entry[2]
                    text = self.texts[rel][1]
                summary = self.summaries.get(digest)
                if summary is None:
                    summary = self.summaries[digest] = self._new_summaries[digest] = summaries.summarize(text)
                    self.summarised += 1
            by_rel[rel] = summary
        return by_rel

    def _calls_of(self, rel: str, digest: str, names: Set[str]) -> Set[str]:
        known = self.textual.get(digest)
        if known is None and self.store is not None:
            known = self.store.textual([digest]).get(digest)
        known = self.textual[digest] = dict(known or {})
        missing = names - known.keys()
        if missing:
            text = self._text(rel, digest)
            if text is None:  # changed on disk since its stat: answer, but remember nothing of this run
                self._unsure = True
                return summaries.textual_calls(self.texts.get(rel, ("", ""))[1], names)
            called = summaries.textual_calls(text, missing)
            known.update({name: name in called for name in missing})
            self._new_textual.add(digest)
        return {name for name in names if known[name]}

    def _still_holds(self, digests: Mapping[str, str]) -> bool:
        """Whether the last combined facts hold for these contents: the same files, and each changed
        one has the summary of the content it replaced and calls the same helper names."""
        last = self.last
        if last is None or last.digests.keys() != digests.keys():
            return False
        for rel, digest in digests.items():
            before = last.digests[rel]
            if before == digest:
                continue
            if self.summaries.get(before) != self.summaries[digest]:
                return False
            if not summaries.is_parsed(self.summaries[digest]) and last.asked:
                if self._calls_of(rel, before, last.asked) != self._calls_of(rel, digest, last.asked):
                    return False
        return True

    def _commit(self, index: Dict[str, IndexEntry], facts: Optional[Tuple[str, Dict]] = None) -> None:
        changed = index != self.index
        self.index = index
        if self.store is None:
            return
        textual = {d: self.textual[d] for d in self._new_textual}
        if changed or self._new_summaries or textual or facts:
            live = [held[0] for held in self.texts.values()]
            self.store.commit(index=index if changed else None, summaries=self._new_summaries,
                              textual=textual, facts=facts, live=live)
        self._new_summaries, self._new_textual = {}, set()


def _copy(facts: ProjectFacts) -> ProjectFacts:
    """A copy the caller may complete (env vars, versions) without touching what is kept here
    (places are tuples: copying the lists and dicts that hold them is enough)."""
    return ProjectFacts(**{name: list(value) if isinstance(value, list) else
                           {key: list(v) if isinstance(v, list) else v for key, v in value.items()}
                           for name, value in vars(facts).items()})

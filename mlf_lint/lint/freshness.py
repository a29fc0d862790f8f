"""The code half of a root's program model, recomputed only where something changed.

A :class:`CodeFacts` belongs to one project root and lives as long as its caller (one CLI run, one
flake8 process, an editor session). For each code file (``.py`` and notebooks) it learns the
content digest from the fact store's ``(mtime_ns, size)`` index with one ``stat`` (the file is
read only when those changed), and takes the summary of that content from memory or the store (a
content is summarised once). The program model (programs, what each reaches, the facts each file
is judged under) comes whole from the store for a known set of contents and project files (by
root-relative path, so another checkout of the same content finds it too: a second clone, a
worktree, a cache folder restored elsewhere), is kept when a change left every summary as it was,
and is otherwise built again from the summaries, never by re-reading unchanged files.

How summaries are made and models built stays in :mod:`mlf_lint.lint.summaries` and
:mod:`mlf_lint.lint.programs`; where things are kept is :mod:`mlf_lint.engine.factstore`. This
module only decides what is fresh.
"""
from __future__ import annotations

import ast
import hashlib
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, MutableMapping, Optional, Sequence, Tuple, Union

from mlf_lint import __version__
from mlf_lint.engine.cache import content_hash
from mlf_lint.engine.factstore import RACY_NS, FactStore, IndexEntry
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.paths import file_stat, relative
from mlf_lint.engine.pysource import parse
from mlf_lint.lint.sources import SourceFile, code_text, read_source

if TYPE_CHECKING:  # a warm run that finds everything kept never builds a model
    from mlf_lint.lint.programs import ProgramModel

Code = Union[SourceFile, Path, str]   # a code file already read, or only its path
CODE_SUFFIXES = (".py", ".ipynb")


def _key(digests: Mapping[str, str], declared: Sequence[Tuple[str, Optional[str]]]) -> str:
    """The key of a model: exactly which content each code file and each project file (they may
    declare programs) had, by path relative to the root. Nothing in it names the root, so another
    checkout of the same content (a second clone, a worktree) finds the model in the user cache."""
    return content_hash(repr((sorted(digests.items()), list(declared))).encode("utf-8", "surrogatepass"))


def _contents(root: Path, project_files: Sequence[Path]) -> List[Tuple[str, Optional[str]]]:
    """Each project file's digest (None: unreadable), by root-relative path."""
    found = []
    for path in project_files:
        try:
            digest: Optional[str] = content_hash(path.read_bytes())
        except OSError:
            digest = None
        found.append((relative(path, root), digest))
    return sorted(found)


def store_stamp() -> str:
    """What every stored entry depends on: the tool version and the code that makes summaries,
    models and facts, so a changed summariser never trusts old entries, even within one version."""
    digest = hashlib.blake2b(digest_size=8)
    package = Path(__file__).resolve().parent.parent
    for module in ("lint/summaries.py", "lint/programs.py", "engine/facts.py", "engine/training.py",
                   "engine/seeders.py", "engine/seeders.yaml", "engine/names.py", "engine/evaluate.py"):
        digest.update((package / module).read_bytes())
    return f"{__version__}:{digest.hexdigest()}"


@dataclass
class _Built:
    digests: Dict[str, str]     # the inputs: rel -> content digest
    model: "ProgramModel"
    key: str
    declared: List[Tuple[str, Optional[str]]]   # and the project files, by content


class CodeFacts:
    def __init__(self, root: Path, store: Optional[FactStore] = None,
                 memo: Optional[MutableMapping[str, Dict]] = None) -> None:
        """``memo``: summaries by digest shared with other roots of one run (a file under nested
        roots is summarised once)."""
        self.root = root
        self.store = store
        self.index: Dict[str, IndexEntry] = store.index() if store is not None else {}
        self.paths: Dict[str, str] = {}                   # rel -> absolute path
        self.texts: Dict[str, Tuple[str, str]] = {}       # rel -> (digest, text) held in memory
        self.summaries: MutableMapping[str, Dict] = memo if memo is not None else {}
        self.last: Optional[_Built] = None
        # The project files by stat (whether a root's complete facts may be kept: lint/facts.py)
        # and by content (what the code model depends on).
        self.declared: List[Tuple[str, Optional[Tuple[int, int]]]] = []
        self.declared_contents: List[Tuple[str, Optional[str]]] = []
        self.project_files: List[Path] = []
        self._new_summaries: Dict[str, Dict] = {}
        self._scanned: Tuple[Dict[str, str], Dict[str, IndexEntry], set] = ({}, {}, set())
        self.reads = 0           # files read, and contents summarised (what tests check is not done)
        self.summarised = 0

    @property
    def key(self) -> Optional[str]:
        """The key of the last model (exactly which content each file had), if any."""
        return self.last.key if self.last is not None else None

    # -- which content each file has -------------------------------------------------------------
    def refresh(self, code: Sequence[Code], project_files: Sequence[Path] = (),
                overrides: Optional[Mapping[Path, str]] = None,
                trees: Optional[Dict[Path, ast.Module]] = None) -> "ProgramModel":
        """The model of these code files and project files; ``overrides``: the unsaved text of some
        (an editor's); ``trees``: filled with the trees parsed here, for the analysis to reuse."""
        self.scan(code, project_files, overrides)
        return self.model(trees)

    def scan(self, code: Sequence[Code], project_files: Sequence[Path] = (),
             overrides: Optional[Mapping[Path, str]] = None) -> str:
        """Learn which content each file has (reading only what changed); the key of the model of
        that content, which :meth:`model` then builds or takes from the store."""
        unsaved = {str(path): text for path, text in (overrides or {}).items()}
        now = time.time_ns()
        digests: Dict[str, str] = {}
        index: Dict[str, IndexEntry] = {}
        prefix = str(self.root) + os.sep
        for item in code:
            path = item.path if isinstance(item, SourceFile) else item
            full = str(path)
            if not full.endswith(CODE_SUFFIXES):
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
        self.project_files = list(project_files)
        self.declared = sorted((relative(p, self.root), file_stat(str(p))) for p in project_files)
        self.declared_contents = _contents(self.root, project_files)
        self._scanned = (digests, index, {full for full in unsaved})
        return _key(digests, self.declared_contents)

    def model(self, trees: Optional[Dict[Path, ast.Module]] = None) -> "ProgramModel":
        """The model of what the last :meth:`scan` found (a copy the caller may complete)."""
        digests, index, unsaved = self._scanned
        model = self._model(digests, index, trees)
        # Only an editor's texts are worth holding on to; a file read from disk is read again in the
        # rare case its text is needed later.
        self.texts = {rel: held for rel, held in self.texts.items() if self.paths.get(rel) in unsaved}
        return _copy(model)

    def warm(self) -> None:
        """Have in memory what the next :meth:`edit` needs: the model of the last scan and every
        file's summary. A warm start takes a root's complete facts whole and loads neither, so
        without this an editor's first keystroke waits for them (2 s on transformers)."""
        digests, index, _ = self._scanned
        if not digests:
            return
        self.model()
        # From the store, or computed for content it has not seen (an editor's unsaved text).
        self._summaries(dict(digests), dict(index), None)

    def edit(self, path: Path, text: str) -> Tuple["ProgramModel", bool]:
        """The model with one file's text replaced (an editor's unsaved change), without looking at
        any other file; and whether it differs from the last one. Needs a ``refresh`` first."""
        if self.last is None:
            raise RuntimeError("CodeFacts.edit before refresh")
        before = self.last.model
        rel = relative(path, self.root)
        self.paths[rel] = str(path)
        digests = dict(self.last.digests)
        self._summary_of_last(rel)
        digests[rel] = self._hold(rel, text)
        model = self._model(digests, dict(self.index), None)
        return _copy(model), model is not before

    def _summary_of_last(self, rel: str) -> None:
        """Have the summary of the content the last model saw for ``rel`` in memory: that model may
        have been taken from the store whole (an undo, or a text an earlier session had), and
        without it the next edit could not tell that the model still holds."""
        digest = self.last.digests.get(rel) if self.last is not None else None
        if digest is not None and digest not in self.summaries:
            self._summaries({rel: digest}, dict(self.index), None)

    def _hold(self, rel: str, text: str) -> str:
        digest = content_hash(text.encode("utf-8", "surrogatepass"))
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

    # -- summaries and the model -----------------------------------------------------------------
    def _model(self, digests: Dict[str, str], index: Dict[str, IndexEntry],
               trees: Optional[Dict[Path, ast.Module]]) -> "ProgramModel":
        key = _key(digests, self.declared_contents)
        if self.last is not None and self.last.key == key:
            self._commit(index)
            return self.last.model
        from mlf_lint.lint import programs
        from mlf_lint.lint.programs import ProgramModel

        stored = self.store.code_facts(key, shared=True) if self.store is not None else None
        model = ProgramModel.from_dict(stored) if stored is not None else None
        if model is not None:
            self.last = _Built(dict(digests), model, key, list(self.declared_contents))
            self._commit(index)
            return model
        found = self._summaries(digests, index, trees)
        key = _key(digests, self.declared_contents)  # a file that changed while this ran has its new digest
        if self._still_holds(digests):
            # The same model as before (an edit inside a function, say): nothing new to keep.
            self.last.digests, self.last.key = dict(digests), key  # type: ignore[union-attr]
            self._commit(index)
            return self.last.model  # type: ignore[union-attr]
        # The texts are not needed: a file that was not parsed has the names it calls in its summary.
        model = programs.build(self.root, found, {}, self.project_files)
        self.last = _Built(dict(digests), model, key, list(self.declared_contents))
        # Kept under the project files' contents as hashed by scan(): only if they still have them
        # (build() read them again).
        same = _contents(self.root, self.project_files) == self.declared_contents
        self._commit(index, (key, model.to_dict()) if same else None)
        return model

    def _summaries(self, digests: Dict[str, str], index: Dict[str, IndexEntry],
                   trees: Optional[Dict[Path, ast.Module]]) -> Dict[str, Dict]:
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
                    summary = self.summaries[digest] = self._new_summaries[digest] = \
                        self._summarise(rel, text, trees)
            by_rel[rel] = summary
        return by_rel

    def _summarise(self, rel: str, text: str, trees: Optional[Dict[Path, ast.Module]]) -> Dict:
        from mlf_lint.lint import summaries

        self.summarised += 1
        code = code_text(rel, text)
        tree = None
        worth = summaries.wants_tree(code)
        if trees is not None and rel.endswith(".py") and worth:
            try:  # parsed once: the analysis of this file reuses the tree
                tree = trees[Path(self.paths[rel])] = parse(code)
            except (SyntaxError, ValueError):
                tree = None
        # (wants_tree is False for an exempt file too: summarize returns before it asks.)
        return summaries.summarize(code, tree, worth_parsing=worth)

    def _still_holds(self, digests: Mapping[str, str]) -> bool:
        """Whether the last model holds for these contents: the same files and project files, and
        each changed file has the summary of the content it replaced (a model is built from
        summaries alone)."""
        last = self.last
        if last is None or last.digests.keys() != digests.keys() or last.declared != self.declared_contents:
            return False
        return all(before == digests[rel] or self.summaries.get(before) == self.summaries.get(digests[rel])
                   for rel, before in last.digests.items())

    def _commit(self, index: Dict[str, IndexEntry], model: Optional[Tuple[str, Dict]] = None) -> None:
        changed = index != self.index
        self.index = index
        if self.store is None:
            return
        if changed or self._new_summaries or model:
            live = [held[0] for held in self.texts.values()]
            self.store.commit(index=index if changed else None, summaries=self._new_summaries, facts=model,
                              live=live, shared=True)
        self._new_summaries = {}


def _copy(model: "ProgramModel") -> "ProgramModel":
    """A copy the caller may complete (env vars, versions: the facts are what it changes) without
    touching what is kept here; places are tuples, so copying the lists and dicts holding them is
    enough."""
    return replace(model, facts=[_copy_facts(f) for f in model.facts], library=_copy_facts(model.library))


def _copy_facts(facts: ProjectFacts) -> ProjectFacts:
    return ProjectFacts(**{name: list(value) if isinstance(value, list) else
                           {key: list(v) if isinstance(v, list) else v for key, v in value.items()}
                           if isinstance(value, dict) else value
                           for name, value in vars(facts).items()})

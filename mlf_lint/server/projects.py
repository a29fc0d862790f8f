"""Projects as the server sees them: each project root's config and facts, kept warm for the
whole session, and the findings of one document from its in-memory text.

A document's project is found from its path exactly as the CLI and the flake8 plugin find it, and
its findings are theirs: the same facts (through the same fact store), the same rules, the
project-level findings on its lines. The facts count the editor's unsaved text of open documents;
an edit re-reads nothing else, and the facts are combined again only when the edit changed what
the file contributes to them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Mapping, Optional, Set

from mlf_lint.engine.config import Config, ConfigError, load_config
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.paths import relative
from mlf_lint.lint.discovery import ROOT_MARKERS, find_root
from mlf_lint.lint.facts import RootFacts, code_lines_of, fact_store, project_cache_folder, root_facts
from mlf_lint.lint.freshness import CodeFacts
from mlf_lint.server.settings import Settings


class Project:
    def __init__(self, root: Path, settings: Settings, code_facts: Optional[CodeFacts] = None) -> None:
        self.root = root
        self.problem: Optional[str] = None     # a broken config file, said once to the user
        try:
            config = load_config(root)
        except ConfigError as exc:
            config = Config()
            self.problem = f"{exc} (mlf-lint uses its defaults until it is fixed)"
        self.config = settings.apply(config)
        self.enabled: Set[str] = self.config.enabled_codes()
        self.code_facts = code_facts or CodeFacts(root, fact_store(root, project_cache_folder(root, config)))
        self.state: Optional[RootFacts] = None

    def refresh(self, overrides: Mapping[Path, str]) -> RootFacts:
        """Look at the project again (discovery, project files, changed code files)."""
        self.state = root_facts(self.root, code_facts=self.code_facts, overrides=overrides)
        return self.state

    def edit(self, path: Path, text: str, overrides: Mapping[Path, str]) -> None:
        """An open document's text changed: only that file is looked at again."""
        if self.state is None or self.code_facts.last is None:
            self.refresh(overrides)
            return
        model, changed = self.code_facts.edit(path, text)
        if changed:
            self.state = self.state.with_code_model(model)

    def warm_up(self) -> None:
        """After a warm start (facts taken from the store), load what an edit needs; a no-op
        when it is in memory already."""
        if self.state is not None:
            self.code_facts.warm()

    def check(self, path: Path, text: str, overrides: Mapping[Path, str]) -> List[Finding]:
        from mlf_lint.lint.check import check_source

        state = self.state or self.refresh(overrides)
        rel = relative(path, self.root)
        findings, _ = check_source(rel, text, state.for_file(rel), self.enabled)
        findings += code_lines_of(state.code_lines, rel, text, rel, self.enabled)
        ignored = [c.upper() for c in self.config.ignored_for(rel)]
        return sorted((f for f in findings if not any(f.code.startswith(c) for c in ignored)), key=Finding.sort_key)


class Projects:
    """Every project the editor has opened a document of, by root."""

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or Settings()
        self._projects: Dict[Path, Project] = {}
        self._roots: Dict[Path, Path] = {}    # folder -> project root

    def root_of(self, path: Path) -> Path:
        folder = path.parent
        if folder not in self._roots:
            self._roots[folder] = find_root(folder)
        return self._roots[folder]

    def of(self, path: Path) -> Project:
        root = self.root_of(path)
        project = self._projects.get(root)
        if project is None:
            project = self._projects[root] = Project(root, self.settings)
        return project

    def configure(self, settings: Settings) -> None:
        """New client settings: the selection changes; the facts stay (they do not depend on it)."""
        self.settings = settings
        for root, old in list(self._projects.items()):
            new = self._projects[root] = Project(root, settings, old.code_facts)
            new.state = old.state

    def changed_on_disk(self, path: Path) -> None:
        """A file was saved, created or deleted: its project looks at the disk again on next use
        (its config too); what is unchanged is not read again (the fact store knows it)."""
        root = self.root_of(path)
        old = self._projects.pop(root, None)
        if old is not None:
            self._projects[root] = Project(root, self.settings, old.code_facts)
        if path.name in ROOT_MARKERS:
            self._roots.clear()  # a new or removed marker may move a root

"""Projects as the server sees them: each project root's config and facts, kept warm between
requests, and the findings of one document from its in-memory text.

A document's project is found from its path exactly as the CLI and the flake8 plugin find it, so
the three report the same findings; the document's own text is what the editor holds, saved or not.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Set

from mlf_lint.engine.config import Config, ConfigError, load_config
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.paths import relative
from mlf_lint.lint.discovery import ROOT_MARKERS, find_root
from mlf_lint.server.settings import Settings


class Project:
    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.problem: Optional[str] = None     # a broken config file, said once to the user
        try:
            config = load_config(root)
        except ConfigError as exc:
            config = Config()
            self.problem = f"{exc} (mlf-lint uses its defaults until it is fixed)"
        self.config = settings.apply(config)
        self.enabled: Set[str] = self.config.enabled_codes()
        self._facts: Optional[ProjectFacts] = None

    def facts(self) -> ProjectFacts:
        if self._facts is None:
            from mlf_lint.lint.facts import facts_for_root

            self._facts = facts_for_root(self.root)
        return self._facts

    def invalidate(self) -> None:
        """A file of the project changed on disk: recollect the facts on the next request."""
        self._facts = None

    def check(self, path: Path, text: str) -> List[Finding]:
        from mlf_lint.lint.check import check_source

        rel = relative(path, self.root)
        findings, _ = check_source(rel, text, self.facts(), self.enabled)
        ignored = [c.upper() for c in self.config.ignored_for(rel)]
        return [f for f in findings if not any(f.code.startswith(c) for c in ignored)]


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
        """New client settings: selection changes, the facts stay (they do not depend on it)."""
        self.settings = settings
        for root, old in list(self._projects.items()):
            new = self._projects[root] = Project(root, settings)
            new._facts = old._facts

    def changed_on_disk(self, path: Path) -> None:
        """A file was saved, created or deleted: its project's facts (and config) are stale."""
        root = self.root_of(path)
        self._projects.pop(root, None)
        if path.name in ROOT_MARKERS:
            self._roots.clear()  # a new or removed config file may move a root

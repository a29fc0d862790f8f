"""The facts API: what each program of a project does (seeding, deterministic mode, env vars,
pinned versions), computed one way for the CLI's runner, the flake8 plugin and the language server.

- :func:`program_model` computes the programs of one project root and the facts each file is
  judged under, from its code files (read already, see :mod:`mlf_lint.lint.sources`, or only their
  paths) and its project files; the code half goes through
  :class:`~mlf_lint.lint.freshness.CodeFacts`, which reads and summarises only what changed since
  the fact store last saw the project;
- :func:`project_facts` is the root's pooled facts (code no program reaches is judged by them);
- :func:`root_facts` is the whole pipeline for a caller that has only a root (the flake8 plugin,
  an editor): config, discovery, the fact store, the model, and the project-level findings on
  lines of ``.py`` files (the environment-variable rules, MLF4xx), so every caller reports them.
"""
from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from mlf_lint.engine import noqa
from mlf_lint.engine.cache import cache_folder, content_hash, make_cache_folder
from mlf_lint.engine.config import Config, ConfigError, load_config
from mlf_lint.engine.factstore import RACY_NS, STORE_FILE, FactStore, user_store_path
from mlf_lint.engine.facts import FileFacts, ProjectFacts
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.paths import file_stat
from mlf_lint.lint.discovery import discover_root
from mlf_lint.lint.freshness import Code, CodeFacts, store_stamp

if TYPE_CHECKING:  # imported only when a model is built or project files are read
    from mlf_lint.lint.programs import ProgramModel
    from mlf_lint.project_checks.model import ProjectFiles


def fact_store(root: Path, folder: Optional[Path], create: bool = False) -> FactStore:
    """The fact store of the project at ``root``: in its cache ``folder`` when that exists (or
    ``create``, as the CLI does), else in the user's cache, so editors never write into a project."""
    if folder is not None and create:
        make_cache_folder(folder)
    path = folder / STORE_FILE if folder is not None and folder.is_dir() else user_store_path()
    return FactStore(path, store_stamp(), root)


def project_cache_folder(root: Path, config: Config) -> Optional[Path]:
    """The cache folder the config names for ``root``; None when it names one outside the project
    (``mlf-lint`` says so; the plugin and the server keep their facts in the user cache then)."""
    try:
        return cache_folder(root, config.cache_dir)
    except ConfigError:
        return None


def program_model(root: Path, code: Sequence[Code], project_files: Sequence[Path], *,
                  code_facts: Optional[CodeFacts] = None, overrides: Optional[Mapping[Path, str]] = None,
                  target_versions: Optional[Mapping[str, str]] = None,
                  trees: Optional[Dict[Path, ast.Module]] = None,
                  store: Optional["ProjectFiles"] = None) -> "ProgramModel":
    """The programs of the project at ``root`` and the facts each file is judged under.

    ``code``: its code files (``.py`` files and notebooks), read (``SourceFile``) or not (a path);
    ``project_files``: the environment.yml, Dockerfile, workflows ... whose env vars the run sees;
    ``code_facts``: the root's :class:`CodeFacts` (with its fact store) when the caller keeps one,
    else a fresh one without a store; ``overrides``: unsaved text of code files (an editor's);
    ``target_versions``: ``--target-version`` overrides of the pins; ``trees``: filled with the
    trees parsed here, for the analysis to reuse; ``store``: the run's project files, so that the
    checks reuse what was read and parsed here.
    """
    model = (code_facts or CodeFacts(root)).refresh(code, project_files, overrides, trees)
    return with_project_files(model, root, project_files, target_versions, store)


def with_project_files(model: "ProgramModel", root: Path, project_files: Sequence[Path],
                       target_versions: Optional[Mapping[str, str]],
                       store: Optional["ProjectFiles"] = None) -> "ProgramModel":
    """A model completed with what the project files say: the env vars they set (for the programs
    they apply to), the pins."""
    from mlf_lint.project_checks import collect_env_vars
    from mlf_lint.project_checks.versions import pinned_versions

    env = collect_env_vars(root, list(project_files), store)
    versions = dict(pinned_versions(root, store))
    versions.update(target_versions or {})
    for facts in [model.library, *model.facts]:
        for name, places in env.items():
            mine = [p for p in places if _runs_under(p[0], facts.programs)]
            if mine:
                facts.env_vars.setdefault(name, []).extend(mine)
        facts.versions.update(versions)
    return model


def _runs_under(project_file: str, programs: Sequence[str]) -> bool:
    """A project file's environment applies to a program in its folder or below it (a workflow:
    to every program of the root); the pooled facts (no program) see every project file."""
    if not programs or project_file.startswith(".github/"):
        return True
    folder = project_file.rsplit("/", 1)[0] if "/" in project_file else ""
    return any(not folder or p.startswith(folder + "/") for p in programs)


def project_facts(root: Path, code: Sequence[Code], project_files: Sequence[Path], **kwargs) -> ProjectFacts:
    """The pooled facts of the project at ``root`` (code reached by no program is judged by them)."""
    return program_model(root, code, project_files, **kwargs).library


@dataclass
class RootFacts:
    """Everything a caller with only a root needs: its config, its program model, and the
    project-level findings on lines of its ``.py`` files (root-relative path -> findings)."""

    root: Path
    config: Config
    model: "ProgramModel"
    code_lines: Dict[str, List[Finding]] = field(default_factory=dict)
    config_problem: Optional[str] = None
    project_files: List[Path] = field(default_factory=list)
    targets: Dict[str, str] = field(default_factory=dict)
    store: Optional["ProjectFiles"] = None   # the project files as read for these facts
    fact_store: Optional[FactStore] = None   # where they are kept

    @property
    def facts(self) -> ProjectFacts:
        """The root's pooled facts."""
        return self.model.library

    def for_file(self, rel: str) -> FileFacts:
        return self.model.for_file(rel)

    def with_code_model(self, model: "ProgramModel") -> "RootFacts":
        """The same project with another code model (an edit in an editor), project files as read."""
        from mlf_lint.project_checks.model import ProjectFiles

        store = self.store or ProjectFiles()
        model = with_project_files(model, self.root, self.project_files, self.targets, store)
        lines = code_line_findings(self.root, model.library, self.project_files, store)
        return replace(self, model=model, code_lines=lines, store=store)


def code_lines_of(lines: Mapping[str, List[Finding]], rel: str, source: str, path: str,
                  enabled: Optional[Set[str]]) -> List[Finding]:
    """The project-level findings on one file's lines, as shown for it: under its own path, the
    enabled codes only, minus those its ``# noqa`` comments suppress."""
    here = [replace(f, path=path) for f in lines.get(rel, ()) if enabled is None or f.code in enabled]
    return noqa.apply(here, source, path, set()) if here else []


def code_line_findings(root: Path, facts: ProjectFacts, project_files: Sequence[Path],
                       store: Optional["ProjectFiles"] = None) -> Dict[str, List[Finding]]:
    """Project-level findings on lines of ``.py`` files (MLF4xx), by root-relative path, judged with
    the root's pooled facts as the CLI's project checks are; as the CLI checks project files only
    when the project has some, so does this."""
    if not project_files:
        return {}
    from mlf_lint import project_checks

    checked = project_checks.check_project_files(root, list(project_files), facts, store)
    found: Dict[str, List[Finding]] = {}
    for finding in checked.findings:
        if finding.path.endswith(".py"):
            found.setdefault(finding.path, []).append(finding)
    return found


@dataclass
class RootScan:
    """A root as one cheap look finds it: config, the files and what content each has (by stat),
    and the key of its complete model. The model itself is loaded or built on first need
    (:meth:`facts`): a caller whose answers are kept under that key needs none of it."""

    root: Path
    config: Config
    code_facts: CodeFacts
    project_files: List[Path]
    targets: Dict[str, str]
    key: str
    config_problem: Optional[str] = None
    _facts: Optional[RootFacts] = None

    def facts(self) -> RootFacts:
        if self._facts is None:
            self._facts = self._load() or self._build()
        return self._facts

    def _load(self) -> Optional[RootFacts]:
        kept = _kept_complete(self.code_facts.store, self.key) if self.key else None
        if kept is None:
            return None
        return RootFacts(self.root, self.config, kept[0], kept[1], self.config_problem, self.project_files,
                         self.targets, fact_store=self.code_facts.store)

    def _build(self) -> RootFacts:
        from mlf_lint.project_checks.model import ProjectFiles

        started = time.time_ns()
        store = ProjectFiles()
        model = with_project_files(self.code_facts.model(), self.root, self.project_files, self.targets, store)
        lines = code_line_findings(self.root, model.library, self.project_files, store)
        # Kept under the content the model was built from (a file changed since its stat was
        # taken was read again, under its new digest).
        if self.key:
            self.key = _complete_key(self.code_facts.key, self.project_files, self.targets)
            _keep_complete(self.code_facts.store, self.key, model, lines, store.read(), started)
        return RootFacts(self.root, self.config, model, lines, self.config_problem, self.project_files,
                         self.targets, store, self.code_facts.store)


def root_scan(root: Path, *, code_facts: Optional[CodeFacts] = None,
              overrides: Optional[Mapping[Path, str]] = None) -> RootScan:
    """A root with nothing else given (the flake8 plugin, an editor): its config (a broken one
    counts as the defaults and is named in ``config_problem``: flake8 has no channel for the
    error; ``mlf-lint`` reports it), its files through the fact store (``code_facts`` carries it
    between calls; without one, it is opened here: the project's cache folder if it exists, else
    the user cache), and the key of its complete model."""
    problem = None
    try:
        config = load_config(root)
    except ConfigError as exc:
        config, problem = Config(), str(exc)
    if code_facts is None:
        code_facts = CodeFacts(root, fact_store(root, project_cache_folder(root, config)))
    code, project_files = discover_root(root, config, code_facts.store)
    targets: Dict[str, str] = {}
    if config.target_version:
        from mlf_lint.project_checks.versions import parse_target_versions

        try:
            targets = parse_target_versions(list(config.target_version))
        except ValueError:
            pass  # `mlf-lint` reports it; here the pins decide
    key = _complete_key(code_facts.scan(code, project_files, overrides), project_files, targets)
    # A project file written in the last moments may change again within the same mtime tick: then
    # nothing is answered by this key (it stands for the stats, not the contents, of those files).
    if any(stat is not None and stat[0] >= time.time_ns() - RACY_NS for _, stat in code_facts.declared):
        key = ""
    return RootScan(root, config, code_facts, list(project_files), targets, key, problem)


def root_facts(root: Path, *, code_facts: Optional[CodeFacts] = None,
               overrides: Optional[Mapping[Path, str]] = None) -> RootFacts:
    """The facts of the project at ``root`` with nothing else given (see :func:`root_scan`)."""
    return root_scan(root, code_facts=code_facts, overrides=overrides).facts()


# The complete model of a root (code, project files' env vars and pins, the findings on code lines)
# is kept too, with the stat of every project file it was drawn from: a run that finds the code
# unchanged and those files unchanged takes it whole, without parsing a project file.
def _complete_key(code_key: Optional[str], project_files: Sequence[Path], targets: Mapping[str, str]) -> str:
    inputs = [code_key or "", *map(str, project_files), *(f"{k}={v}" for k, v in sorted(targets.items()))]
    return "complete:" + content_hash("\0".join(inputs).encode("utf-8", "surrogatepass"))


def _kept_complete(fact_store_: Optional[FactStore], key: str
                   ) -> Optional[Tuple["ProgramModel", Dict[str, List[Finding]]]]:
    data = fact_store_.code_facts(key) if fact_store_ is not None else None
    if data is None:
        return None
    from mlf_lint.lint.programs import ProgramModel

    try:
        if any(file_stat(path) != (tuple(stat) if stat else None) for path, stat in data["inputs"].items()):
            return None
        model = ProgramModel.from_dict(data["model"])
        lines = {rel: [Finding.from_dict(f) for f in found] for rel, found in data["lines"].items()}
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # an entry of another shape: compute
    return (model, lines) if model is not None else None


def _keep_complete(fact_store_: Optional[FactStore], key: str, model: "ProgramModel",
                   lines: Dict[str, List[Finding]], read: Sequence[Path], started: int) -> None:
    if fact_store_ is None:
        return
    inputs = {str(path): file_stat(str(path)) for path in read}
    # A file written since this began (or just before) may not be what was read: keep nothing.
    if any(stat is not None and stat[0] >= started - RACY_NS for stat in inputs.values()):
        return
    fact_store_.commit(facts=(key, {"model": model.to_dict(), "inputs": inputs,
                                    "lines": {rel: [f.to_dict() for f in found] for rel, found in lines.items()}}))


def model_for_root(root: Path) -> "ProgramModel":
    """The program model of the project at ``root`` (see :func:`root_facts`)."""
    return root_facts(root).model


def facts_for_root(root: Path) -> ProjectFacts:
    """The pooled facts of the project at ``root`` (see :func:`root_facts`)."""
    return root_facts(root).facts

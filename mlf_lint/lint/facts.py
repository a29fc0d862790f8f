"""The facts API: what each program of a project does (seeding, deterministic mode, env vars,
pinned versions), computed one way for the CLI's runner, the flake8 plugin and the cache.

- :func:`program_model` computes the programs of one project root and the facts each file is
  judged under, from its code files (already read, see :mod:`mlf_lint.lint.sources`) and its
  project files, through the content cache when one is given;
- :func:`project_facts` is the root's pooled facts (code no program reaches is judged by them);
- :func:`model_for_root` is the whole pipeline for a caller that has only a root (the flake8
  plugin, an editor): config, discovery, reading, cache, then :func:`program_model`.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence

from mlf_lint.engine import notebook as reader
from mlf_lint.engine.cache import Cache, cache_folder, content_hash
from mlf_lint.engine.config import Config, ConfigError, load_config
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.paths import relative
from mlf_lint.lint import programs, summaries
from mlf_lint.lint.discovery import discover_root
from mlf_lint.lint.programs import ProgramModel
from mlf_lint.lint.sources import SourceFile, read_source
from mlf_lint.project_checks import collect_env_vars
from mlf_lint.project_checks.model import ProjectFiles
from mlf_lint.project_checks.versions import parse_target_versions, pinned_versions


def _code_text(src: SourceFile) -> str:
    """The Python a file runs: a notebook's code cells (IPython syntax blanked), else the source."""
    if not src.rel.endswith(".ipynb"):
        return src.text or ""
    from mlf_lint.lint.notebook import python_lines

    try:
        cells = [cell.source for cell in reader.read(src.text or "").cells]
    except (reader.NotebookError, ValueError, AttributeError):
        return ""
    return "\n".join("\n".join(python_lines(cell)) for cell in cells)


def program_model(root: Path, sources: Sequence[SourceFile], project_files: Sequence[Path], *,
                  cache: Optional[Cache] = None, target_versions: Optional[Mapping[str, str]] = None,
                  trees: Optional[Dict[Path, ast.Module]] = None, store: Optional[ProjectFiles] = None
                  ) -> ProgramModel:
    """The programs of the project at ``root`` and the facts each file is judged under.

    ``sources``: its code files (``.py`` files and notebooks); ``project_files``: the
    environment.yml, Dockerfile, workflows ... whose env vars the run sees; ``cache``: per-file
    summaries (keyed by content) and the model of an unchanged set of files are reused from it and
    stored in it (the caller saves it); ``target_versions``: ``--target-version`` overrides of the pins;
    ``trees``: filled with the trees parsed here, for the analysis to reuse; ``store``: the run's
    project files, so that the checks reuse what was read and parsed here.
    """
    store = store or ProjectFiles()
    texts: Dict[str, SourceFile] = {}
    for src in sources:
        if src.text is None or not src.rel.endswith((".py", ".ipynb")):
            continue
        texts[relative(src.path, root)] = src
    # The model of an unchanged set of files (and project files naming programs) is reused as a whole.
    declared = sorted(relative(p, root) for p in project_files)
    code_key = content_hash("\n".join([*(f"{rel}\0{src.digest}" for rel, src in sorted(texts.items())),
                                       *declared]).encode())
    stored = cache.code_model(str(root), code_key) if cache else None
    model = ProgramModel.from_dict(stored) if stored is not None else None
    if model is None:
        found = {}
        code = {}
        for rel, src in texts.items():
            code[rel] = _code_text(src)
            summary = cache.summary(src.digest) if cache else None
            if summary is None:
                tree = None
                if trees is not None and rel.endswith(".py") and summaries.wants_tree(code[rel]):
                    try:  # parsed once: the analysis of this file reuses the tree
                        tree = trees[src.path] = ast.parse(code[rel])
                    except (SyntaxError, ValueError):
                        tree = None
                summary = summaries.summarize(code[rel], tree)
                if cache:
                    cache.put_summary(src.digest, summary)
            found[rel] = summary
        model = programs.build(root, found, code, project_files)
        if cache:
            cache.put_code_model(str(root), code_key, model.to_dict())
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


def project_facts(root: Path, sources: Sequence[SourceFile], project_files: Sequence[Path], *,
                  cache: Optional[Cache] = None, target_versions: Optional[Mapping[str, str]] = None,
                  store: Optional[ProjectFiles] = None) -> ProjectFacts:
    """The pooled facts of the project at ``root`` (code reached by no program is judged by them)."""
    return program_model(root, sources, project_files, cache=cache, target_versions=target_versions,
                         store=store).library


def model_for_root(root: Path) -> ProgramModel:
    """The program model of the project at ``root`` with nothing else given, as the flake8 plugin
    needs it.

    The config is the root's own (a broken one counts as the defaults: flake8 has no channel for
    the error; ``mlf-lint`` reports it). The cache is read and updated only when its folder exists:
    flake8 may find project roots anywhere below where it runs, and must not litter them.
    """
    try:
        config = load_config(root)
    except ConfigError:
        config = Config()
    code, project_files = discover_root(root, config)
    sources = [read_source(p, relative(p, root)) for p in code]
    try:
        targets = parse_target_versions(list(config.target_version))
    except ValueError:
        targets = {}
    try:
        folder: Optional[Path] = cache_folder(root, config.cache_dir)
    except ConfigError:
        folder = None  # a cache-dir outside the project: `mlf-lint` says so; flake8 runs without
    cache = Cache(folder, config.key()) if folder is not None and folder.is_dir() else None
    model = program_model(root, sources, project_files, cache=cache, target_versions=targets)
    if cache is not None:
        cache.save({s.digest for s in sources})
    return model


def facts_for_root(root: Path) -> ProjectFacts:
    """The pooled facts of the project at ``root`` (see :func:`model_for_root`)."""
    return model_for_root(root).library

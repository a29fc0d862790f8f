"""The facts API: what a project does (seeding, deterministic mode, env vars, pinned versions),
computed one way for the CLI's runner, the flake8 plugin and the cache.

- :func:`project_facts` computes the facts of one project root from its code files (already read,
  see :mod:`mlf_lint.lint.sources`) and its project files, through the content cache when one is
  given;
- :func:`facts_for_root` is the whole pipeline for a caller that has only a root (the flake8
  plugin, an editor): config, discovery, reading, cache, then :func:`project_facts`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence

from mlf_lint import project_checks
from mlf_lint.engine.cache import Cache, cache_folder, content_hash
from mlf_lint.engine.config import Config, ConfigError, load_config
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.paths import relative
from mlf_lint.lint import summaries
from mlf_lint.lint.discovery import discover_root
from mlf_lint.lint.sources import SourceFile, read_source
from mlf_lint.project_checks.model import ProjectFiles
from mlf_lint.project_checks.versions import parse_target_versions, pinned_versions


def project_facts(root: Path, sources: Sequence[SourceFile], project_files: Sequence[Path], *,
                  cache: Optional[Cache] = None, target_versions: Optional[Mapping[str, str]] = None,
                  store: Optional[ProjectFiles] = None) -> ProjectFacts:
    """The facts of the project at ``root``.

    ``sources``: its code files (``.py`` files count; others are skipped); ``project_files``: the
    environment.yml, Dockerfile, workflows ... whose env vars the run sees; ``cache``: per-file
    summaries and the code facts of an unchanged set of files are reused from it and stored in it
    (the caller saves it); ``target_versions``: ``--target-version`` overrides of the pins;
    ``store``: the run's project files, so that the checks reuse what was read and parsed here.
    """
    store = store or ProjectFiles()
    texts: Dict[str, SourceFile] = {}
    for src in sources:
        if src.text is None or not src.rel.endswith(".py"):
            continue
        texts[relative(src.path, root)] = src
    # The code-derived facts of an unchanged set of files are reused as a whole.
    code_key = content_hash("\n".join(f"{rel}\0{src.digest}" for rel, src in sorted(texts.items())).encode())
    facts = cache.code_facts(str(root), code_key) if cache else None
    if facts is None:
        found = {}
        for rel, src in texts.items():
            summary = cache.summary(src.digest) if cache else None
            if summary is None:
                summary = summaries.summarize(src.text or "")
                if cache:
                    cache.put_summary(src.digest, summary)
            found[rel] = summary
        facts = summaries.combine(found, {rel: src.text or "" for rel, src in texts.items()})
        if cache:
            cache.put_code_facts(str(root), code_key, facts)
    for name, places in project_checks.collect_env_vars(root, list(project_files), store).items():
        facts.env_vars.setdefault(name, []).extend(places)
    facts.versions.update(pinned_versions(root, store))
    facts.versions.update(target_versions or {})
    return facts


def facts_for_root(root: Path) -> ProjectFacts:
    """The facts of the project at ``root`` with nothing else given, as the flake8 plugin needs them.

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
    folder = cache_folder(root, config.cache_dir)
    cache = Cache(folder, config.key()) if folder.is_dir() else None
    facts = project_facts(root, sources, project_files, cache=cache, target_versions=targets)
    if cache is not None:
        cache.save({s.digest for s in sources})
    return facts

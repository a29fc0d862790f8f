"""A whole run: discover files, collect project facts, analyse each file (in parallel, through the
cache), check project files, apply per-file ignores, and return findings in a stable order."""
from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from mlf_lint.engine import project
from mlf_lint.engine.cache import Cache, content_hash, fact_digests
from mlf_lint.engine.check import UNREADABLE, check_source
from mlf_lint.engine.config import Config
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.files import discover, is_code
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.result import RunResult

PARALLEL_THRESHOLD = 48  # below this many files to analyse, forking costs more than it saves


@dataclass
class Options:
    paths: List[Path]
    config: Config
    root: Path                      # project root (config, facts)
    base: Path                      # paths in findings are relative to this
    target_versions: Dict[str, str] = field(default_factory=dict)
    use_cache: bool = True
    cache_dir: Optional[Path] = None
    jobs: Optional[int] = None
    progress: Optional[Callable[[int, int], None]] = None  # (done, total)


@dataclass
class SourceFile:
    path: Path
    rel: str                        # relative to Options.base, POSIX
    digest: str
    text: Optional[str]             # None when unreadable
    problem: Optional[str] = None


def _project_checks():
    try:
        from mlf_lint import project_checks
    except ImportError:  # pragma: no cover - the package always ships it
        return None
    return project_checks if hasattr(project_checks, "check_project") else None


def _read(path: Path, rel: str) -> SourceFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return SourceFile(path, rel, "", None, f"cannot read the file ({exc.strerror})")
    digest = content_hash(data)
    if b"\0" in data:
        return SourceFile(path, rel, digest, None, "binary content (NUL bytes), not Python source")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return SourceFile(path, rel, digest, None,
                          f"not valid UTF-8 (byte {exc.start}); save it as UTF-8 or exclude it")
    return SourceFile(path, rel, digest, text)


# -- worker side ---------------------------------------------------------------------------------
_WORKER: Dict[str, object] = {}


def _init_worker(facts: ProjectFacts, enabled: Set[str]) -> None:
    _WORKER["facts"] = facts
    _WORKER["enabled"] = enabled


def _analyse(item: Tuple[str, str]) -> Tuple[str, List[dict], List[str]]:
    rel, text = item
    findings, used = _analyse_text(rel, text, _WORKER["facts"], _WORKER["enabled"])  # type: ignore[arg-type]
    return rel, [f.to_dict() for f in findings], sorted(used)


def _analyse_text(rel: str, text: str, facts: ProjectFacts, enabled: Set[str]) -> Tuple[List[Finding], Set[str]]:
    if rel.endswith(".ipynb"):
        try:
            from mlf_lint.engine import notebook
        except ImportError:  # pragma: no cover - notebooks support ships with the package
            return [], set()
        return notebook.check_notebook(rel, text, facts, enabled)
    return check_source(rel, text, facts, enabled)


# -- the run -------------------------------------------------------------------------------------
def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def collect_facts(root: Path, sources: Sequence[SourceFile], cache: Optional[Cache],
                  project_files: Sequence[Path], target_versions: Dict[str, str]) -> ProjectFacts:
    summaries = {}
    texts = {}
    for src in sources:
        if src.text is None or not src.rel.endswith(".py"):
            continue
        key = project.relpath(src.path, root)
        texts[key] = src.text
        summary = cache.summary(src.digest) if cache else None
        if summary is None:
            summary = project.summarize(src.text)
            if cache:
                cache.put_summary(src.digest, summary)
        summaries[key] = summary
    facts = project.combine(summaries, texts)
    checks = _project_checks()
    if checks is not None:
        for name, places in checks.collect_env_vars(root, list(project_files)).items():
            facts.env_vars.setdefault(name, []).extend(places)
        from mlf_lint.project_checks.versions import pinned_versions

        facts.versions.update(pinned_versions(root))
    facts.versions.update(target_versions)
    return facts


def run(options: Options) -> RunResult:
    config = options.config
    enabled = config.enabled_codes()
    checks = _project_checks()
    files = discover(options.paths, options.root, [*config.exclude, *config.extend_exclude],
                     config.respect_gitignore, checks.is_project_file if checks else None)
    code_files = [p for p in files if is_code(p)]
    project_files = [p for p in files if not is_code(p)]
    sources = [_read(p, _rel(p, options.base)) for p in code_files]
    cache = None
    if options.use_cache:
        folder = options.cache_dir or Path(config.cache_dir or options.root / ".mlf_lint_cache")
        if not folder.is_absolute():
            folder = options.root / folder
        cache = Cache(folder, config.key())
    facts = collect_facts(options.root, sources, cache, project_files, options.target_versions)

    findings: List[Finding] = []
    unanalysed: List[Tuple[str, str]] = []
    todo: List[Tuple[str, str]] = []
    digests = {}
    for src in sources:
        if src.text is None:
            unanalysed.append((src.rel, src.problem or "unreadable"))
            if UNREADABLE in enabled:
                findings.append(Finding(src.rel, 1, 0, UNREADABLE, f"cannot analyse this file: {src.problem}",
                                        severity="error"))
            continue
        digests[src.rel] = src.digest
        cached = cache.lookup(src.rel, src.digest, facts) if cache else None
        if cached is not None:
            findings.extend(Finding.from_dict(d) for d in cached)
        else:
            todo.append((src.rel, src.text))

    total, done = len(todo), 0
    jobs = options.jobs or config.jobs or os.cpu_count() or 1
    if jobs > 1 and total >= PARALLEL_THRESHOLD:
        import multiprocessing

        context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                 initargs=(facts, enabled)) as pool:
            results = pool.map(_analyse, todo, chunksize=max(1, min(16, total // (jobs * 4) or 1)))
            for rel, found, used in results:
                done += 1
                if options.progress:
                    options.progress(done, total)
                _record(rel, [Finding.from_dict(d) for d in found], set(used), findings, cache, digests, facts)
    else:
        for rel, text in todo:
            found, used = _analyse_text(rel, text, facts, enabled)
            done += 1
            if options.progress:
                options.progress(done, total)
            _record(rel, found, used, findings, cache, digests, facts)

    if checks is not None and project_files:
        for finding in checks.check_project(options.root, project_files, facts):
            if finding.code in enabled:
                findings.append(_rebase(finding, options.root, options.base))
        for finding in findings:
            if finding.code.startswith("MLF91") and finding.path not in {u[0] for u in unanalysed}:
                unanalysed.append((finding.path, finding.message))

    for finding in findings:
        if finding.code in ("MLF901",) and (finding.path, finding.message) not in unanalysed:
            unanalysed.append((finding.path, finding.message))
    findings = [f for f in findings if not _per_file_ignored(f, config)]
    findings.sort(key=Finding.sort_key)
    if cache:
        cache.save(digests.values())
    return RunResult(root=options.base, findings=findings, files_checked=len(files),
                     unanalysed=sorted(set(unanalysed)), enabled_codes=sorted(enabled))


def _record(rel: str, found: List[Finding], used: Set[str], findings: List[Finding], cache: Optional[Cache],
            digests: Dict[str, str], facts: ProjectFacts) -> None:
    findings.extend(found)
    if cache:
        cache.store(rel, digests[rel], [f.to_dict() for f in found], fact_digests(facts, used))


def _rebase(finding: Finding, root: Path, base: Path) -> Finding:
    if root == base:
        return finding
    path = _rel((root / finding.path).resolve(), base)
    from dataclasses import replace

    return replace(finding, path=path)


def _per_file_ignored(finding: Finding, config: Config) -> bool:
    if not config.per_file_ignores:
        return False
    return any(finding.code.startswith(c.upper()) for c in config.ignored_for(finding.path))

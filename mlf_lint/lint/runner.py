"""A whole run: discover files, collect project facts, analyse each file (in parallel, through the
cache), check project files, apply per-file ignores, and return findings in a stable order."""
from __future__ import annotations

import ast
import gc
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

from mlf_lint import project_checks
from mlf_lint.engine.cache import Cache, cache_folder, fact_digests
from mlf_lint.engine.collector import fewer_collections
from mlf_lint.engine.config import Config
from mlf_lint.engine.facts import FileFacts
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.paths import relative
from mlf_lint.engine.result import RunResult
from mlf_lint.lint.check import UNREADABLE, FileAnalysis, analyse_source, dispatch_for
from mlf_lint.lint.discovery import RootFinder, discover, discover_root, is_code
from mlf_lint.lint.facts import code_line_findings, code_lines_of, fact_store, program_model
from mlf_lint.lint.freshness import Code, CodeFacts
from mlf_lint.lint.programs import ProgramModel
from mlf_lint.lint.sources import SourceFile, read_source
from mlf_lint.project_checks.model import ProjectFiles

PARALLEL_THRESHOLD = 48  # below this many files to analyse, forking costs more than it saves


def worker_count(requested: Optional[int]) -> int:
    """Processes for a run: as many as requested, but no more than CPUs (default: one per CPU).
    More only fork, compete and copy facts: `-j 300` on a 32-CPU machine ran ten times slower."""
    cpus = os.cpu_count() or 1
    return min(requested or cpus, cpus)


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


# -- worker side ---------------------------------------------------------------------------------
_WORKER: Dict[str, object] = {}


def _init_worker(facts: List[FileFacts], enabled: Set[str]) -> None:
    _WORKER["facts"] = facts
    _WORKER["enabled"] = enabled


# Trees the fact pass parsed, by file path: forked workers inherit them, so no file is parsed twice.
_TREES: Dict[Path, ast.Module] = {}


# The files to analyse: forked workers inherit the list and receive indices into it (no text is
# sent through a pipe); spawned ones (Windows) receive the items themselves.
_TODO: List[Tuple[str, str, int, Path]] = []


def _analyse(item: Union[int, Tuple[str, str, int, Path]]) -> Tuple[str, List[dict], List[str], Optional[str]]:
    rel, text, index, path = _TODO[item] if isinstance(item, int) else item
    facts = _WORKER["facts"][index]  # type: ignore[index]
    analysis = _analyse_text(rel, text, facts, _WORKER["enabled"], path)  # type: ignore[arg-type]
    return rel, [f.to_dict() for f in analysis.findings], sorted(analysis.used), analysis.failure


def _analyse_text(rel: str, text: str, facts: FileFacts, enabled: Set[str],
                  path: Optional[Path] = None) -> FileAnalysis:
    if rel.endswith(".ipynb"):
        from mlf_lint.lint.notebook import analyse_notebook

        return analyse_notebook(rel, text, facts, enabled)
    return analyse_source(rel, text, facts, enabled, tree=_TREES.pop(path, None) if path else None)


# -- the run -------------------------------------------------------------------------------------
def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _models(options: Options, sources: List[SourceFile], project_files: List[Path], folder: Optional[Path],
            store: ProjectFiles) -> Tuple[Dict[Path, ProgramModel], Dict[Path, Path], Dict[Path, List[Path]]]:
    """The program model of every root, each file's root (code and project files alike), and each
    root's project files (also those outside the checked paths).

    Each file's root is found from the file (as the flake8 plugin does), in one pass with a memo
    per folder; a root's model comes from every code file under it, also those outside the checked
    paths (not read unless they changed since the fact store in ``folder`` saw them; no store:
    ``--no-cache``). Each file is summarised once per run (summaries are keyed by content)."""
    config = options.config
    finder = RootFinder((p.resolve() for p in options.paths), options.root)
    file_root: Dict[Path, Path] = {}
    for path in [*(src.path for src in sources), *project_files]:
        file_root[path] = finder.root_of(path.parent)
    roots = sorted(set(file_root.values()))
    root_set = set(roots)
    pools: Dict[Path, List[Code]] = {root: [] for root in roots}
    for src in sources:  # every root above a file sees it (nested roots: the outer one too)
        for parent in (src.path.parent, *src.path.parent.parents):
            if parent in root_set:
                pools[parent].append(src)
    checked = [p.resolve() for p in options.paths]
    known = {str(src.path) for src in sources}
    by_root: Dict[Path, ProgramModel] = {}
    files_of: Dict[Path, List[Path]] = {}
    memo: Dict[str, dict] = {}   # summaries by digest, shared by the run's roots
    for root in roots:
        pool = pools[root]
        root_project_files = [p for p in project_files if _under(p, root)]
        code_facts = CodeFacts(root, fact_store(root, folder, create=True) if folder is not None else None, memo)
        if not any(_under(root, p) for p in checked if p.is_dir()):
            code, found = discover_root(root, config, code_facts.store)
            pool = pool + [p for p in code if p not in known]
            root_project_files = sorted({*root_project_files, *found})
        by_root[root] = program_model(root, pool, root_project_files, code_facts=code_facts,
                                      target_versions=options.target_versions, trees=_TREES, store=store)
        files_of[root] = root_project_files
    return by_root, file_root, files_of


def run(options: Options) -> RunResult:
    config = options.config
    enabled = config.enabled_codes()
    templates: List[Path] = []
    files = discover(options.paths, options.root, [*config.exclude, *config.extend_exclude],
                     config.respect_gitignore, project_checks.is_project_file, templates)
    code_files = [p for p in files if is_code(p)]
    project_files = [p for p in files if not is_code(p)]
    sources = [read_source(p, relative(p, options.base)) for p in code_files]
    cache, folder = None, None
    if options.use_cache:
        folder = cache_folder(options.root, config.cache_dir, options.cache_dir)
        cache = Cache(folder, config.key())
    store = ProjectFiles()  # each project file read and parsed once in this run
    _TREES.clear()
    try:
        with fewer_collections():
            models, file_root, files_of = _models(options, sources, project_files, folder, store)
            result = _run(options, enabled, files, sources, project_files, cache, models, file_root, files_of,
                          store)
        result.notes = _template_note(templates, options.base)
        return result
    finally:
        _TREES.clear()


def _run(options: Options, enabled: Set[str], files: List[Path], sources: List[SourceFile],
         project_files: List[Path], cache: Optional[Cache], models: Dict[Path, ProgramModel],
         file_root: Dict[Path, Path], files_of: Dict[Path, List[Path]], store: ProjectFiles) -> RunResult:
    config = options.config
    roots = sorted(models)
    every: List[FileFacts] = []

    findings: List[Finding] = []
    unanalysed: List[Tuple[str, str]] = []
    todo: List[Tuple[str, str, int, Path]] = []
    digests: Dict[str, str] = {}
    facts_of: Dict[str, FileFacts] = {}
    for src in sources:
        if src.text is None:
            unanalysed.append((src.rel, src.problem or "unreadable"))
            if UNREADABLE in enabled:
                findings.append(Finding(src.rel, 1, 0, UNREADABLE, f"cannot analyse this file: {src.problem}",
                                        severity="error"))
            continue
        root = file_root[src.path]
        facts = models[root].for_file(relative(src.path, root))
        facts_of[src.rel] = facts
        digests[src.rel] = src.digest
        cached = cache.lookup(src.rel, src.digest, facts) if cache else None
        if cached is not None:
            found, failure = cached
            findings.extend(Finding.from_dict(d) for d in found)
            if failure:
                unanalysed.append((src.rel, failure))
        else:
            todo.append((src.rel, src.text, len(every), src.path))
            every.append(facts)

    total, done = len(todo), 0
    jobs = worker_count(options.jobs or config.jobs)
    if jobs > 1 and total >= PARALLEL_THRESHOLD:
        import multiprocessing

        forked = sys.platform != "win32"
        context = multiprocessing.get_context("fork" if forked else "spawn")
        _TODO[:] = todo
        items: Sequence[Union[int, Tuple[str, str, int, Path]]] = range(total) if forked else todo
        if forked:
            dispatch_for(frozenset(enabled))  # built once here (rule tables loaded), inherited by each worker
        # Objects that exist before the fork are frozen out of the collector: a child's collections
        # would otherwise visit every tree and fact, and copy each page they touch (copy-on-write).
        gc.freeze()
        try:
            with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                     initargs=(every, enabled)) as pool:
                results = pool.map(_analyse, items, chunksize=max(1, min(16, total // (jobs * 4) or 1)))
                for rel, found, used, failure in results:
                    done += 1
                    if options.progress:
                        options.progress(done, total)
                    analysis = FileAnalysis([Finding.from_dict(d) for d in found], set(used), failure)
                    _record(rel, analysis, findings, unanalysed, cache, digests, facts_of[rel])
        finally:
            gc.unfreeze()
            _TODO.clear()
    else:
        for rel, text, index, path in todo:
            analysis = _analyse_text(rel, text, every[index], enabled, path)
            done += 1
            if options.progress:
                options.progress(done, total)
            _record(rel, analysis, findings, unanalysed, cache, digests, facts_of[rel])

    # Project-level findings on lines of the checked .py files (MLF4xx), from all of the root's
    # project files, whether or not they were checked: as the flake8 plugin reports them.
    code_lines: Dict[Path, Dict[str, List[Finding]]] = {}
    for src in sources:
        if src.text is None or not src.path.name.endswith(".py"):
            continue
        root = file_root[src.path]
        if root not in code_lines:
            code_lines[root] = code_line_findings(root, models[root].library, files_of[root], store)
        findings += code_lines_of(code_lines[root], relative(src.path, root), src.text, src.rel, enabled)
    if project_files:
        for root in roots:
            mine = [p for p in project_files if file_root[p] == root]  # each at its nearest root
            if not mine:
                continue
            facts = models[root].library
            checked = project_checks.check_project_files(root, mine, facts, store)
            findings += [_rebase(f, root, options.base) for f in checked.findings
                         if f.code in enabled and not f.path.endswith(".py")]
            failed = {}  # path -> why: the first failure of each file
            for finding in checked.failed:
                failed.setdefault(_rebase(finding, root, options.base).path, finding.message)
            unanalysed += failed.items()
    findings = [f for f in findings if not _per_file_ignored(f, config)]
    findings.sort(key=Finding.sort_key)
    if cache:
        cache.save()
    return RunResult(root=options.base, findings=findings, files_checked=len(files),
                     unanalysed=sorted(set(unanalysed)), enabled_codes=sorted(enabled),
                     analysed=sorted(rel for rel, *_ in todo))


def _template_note(templates: List[Path], base: Path) -> List[str]:
    if not templates:
        return []
    shown = ", ".join(relative(t, base) for t in sorted(templates)[:3]) + (", ..." if len(templates) > 3 else "")
    many = len(templates) != 1
    return [f"{len(templates)} template folder{'s' if many else ''} (Jinja / cookiecutter) {'were' if many else 'was'} "
            f"not checked: {'their' if many else 'its'} files mean something only once rendered ({shown}). "
            "Lint a rendered project instead."]


def _record(rel: str, analysis: FileAnalysis, findings: List[Finding], unanalysed: List[Tuple[str, str]],
            cache: Optional[Cache], digests: Dict[str, str], facts: FileFacts) -> None:
    findings.extend(analysis.findings)
    if analysis.failure:
        unanalysed.append((rel, analysis.failure))
    if cache:
        cache.store(rel, digests[rel], [f.to_dict() for f in analysis.findings], fact_digests(facts, analysis.used),
                    analysis.failure)


def _rebase(finding: Finding, root: Path, base: Path) -> Finding:
    if root == base:
        return finding
    path = relative((root / finding.path).resolve(), base)
    from dataclasses import replace

    return replace(finding, path=path)


def _per_file_ignored(finding: Finding, config: Config) -> bool:
    if not config.per_file_ignores:
        return False
    return any(finding.code.startswith(c.upper()) for c in config.ignored_for(finding.path))

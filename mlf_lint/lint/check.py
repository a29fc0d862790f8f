"""Check one Python source: the function both the CLI and the flake8 plugin call."""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field, replace
from typing import Dict, FrozenSet, List, Optional, Set, Tuple, Union

from mlf_lint.engine import noqa
from mlf_lint.engine.analyzer import Dispatch, analyze_tree
from mlf_lint.engine.cache import fact_digest
from mlf_lint.engine.facts import FileFacts, ProjectFacts
from mlf_lint.engine.finding import Finding

SYNTAX_ERROR = "MLF901"
UNREADABLE = "MLF902"


@functools.lru_cache(maxsize=8)
def dispatch_for(enabled: Optional[FrozenSet[str]]) -> Dispatch:
    from mlf_lint.rules import code_rules

    rules = code_rules()
    if enabled is not None:
        rules = [r for r in rules if any(c in enabled for c in r.codes)]
    return Dispatch(rules)


def parse_failure(path: str, exc: BaseException) -> Finding:
    if isinstance(exc, SyntaxError):
        line = exc.lineno or 1
        col = max((exc.offset or 1) - 1, 0)
        return Finding(path, line, col, SYNTAX_ERROR,
                       f"cannot parse this file: {exc.msg}; no rule was checked in it. Fix the syntax "
                       "error (or exclude the file).", severity="error")
    return Finding(path, 1, 0, UNREADABLE, f"cannot analyse this file: {exc}", severity="error")


@dataclass
class FileAnalysis:
    """One file's findings (noqa applied), the project facts they depend on, and why the file (or
    a notebook cell) could not be analysed, if it could not."""

    findings: List[Finding] = field(default_factory=list)
    used: Set[str] = field(default_factory=set)
    failure: Optional[str] = None


def analyse_source(path: str, source: str, facts: Union[ProjectFacts, FileFacts],
                   enabled: Optional[Set[str]] = None, tree: Optional[ast.Module] = None) -> FileAnalysis:
    """One Python source, analysed. ``facts``: the facts of each group of programs that reach the
    file (:class:`FileFacts`), or one set of facts."""
    if noqa.file_is_exempt(source):
        return FileAnalysis()
    dispatch = dispatch_for(frozenset(enabled) if enabled is not None else None)
    if not dispatch.wants(source):
        return FileAnalysis()
    if tree is None:
        try:
            tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError) as exc:
            finding = parse_failure(path, exc)
            wanted = enabled is None or finding.code in enabled
            return FileAnalysis([finding] if wanted else [], failure=finding.message)
    findings, used = judge(tree, path, source, FileFacts.of(facts), dispatch, enabled)
    return FileAnalysis(noqa.apply(findings, source, path, enabled), used)


def check_source(path: str, source: str, facts: Union[ProjectFacts, FileFacts], enabled: Optional[Set[str]] = None,
                 tree: Optional[ast.Module] = None) -> Tuple[List[Finding], Set[str]]:
    """Findings in one file (noqa applied) and the project facts they depend on."""
    analysis = analyse_source(path, source, facts, enabled, tree)
    return analysis.findings, analysis.used


def judge(tree: ast.Module, path: str, source: str, facts: FileFacts, dispatch: Dispatch,
          enabled: Optional[Set[str]]) -> Tuple[List[Finding], Set[str]]:
    """Findings of one module judged for every program that reaches it, each reported once.

    The module is analysed under the first group's facts; another group is analysed again only
    when it differs in a fact that analysis consulted (programs agreeing on every consulted fact
    take the same path through the rules). A finding that holds for only some of the programs
    names them."""
    quiet = facts.quiet_functions
    programs, first = facts.groups[0]
    found, used = analyze_tree(tree, path, source, first, dispatch, enabled, quiet)
    runs: List[Tuple[List[str], List[Finding], ProjectFacts]] = [(list(programs), found, first)]
    for programs, group in facts.groups[1:]:
        key = _key(group, used)
        same = next((run for run in runs if _key(run[2], used) == key), None)
        if same is not None:
            same[0].extend(programs)
            continue
        more, consulted = analyze_tree(tree, path, source, group, dispatch, enabled, quiet)
        used |= consulted
        runs.append((list(programs), more, group))
    used |= {"programs", "quiet_functions"}
    every = sorted(p for names, _, _ in runs for p in names)
    if facts.reached is not None:
        runs, found = _by_function(tree, path, source, facts, dispatch, enabled, runs, used, every)
    if len(runs) == 1:
        return found, used
    holds: Dict[Tuple[int, int, str], Tuple[Finding, List[str]]] = {}
    for names, findings, _ in runs:
        for finding in findings:
            spot = (finding.line, finding.col, finding.code)
            if spot in holds:
                holds[spot][1].extend(names)
            else:
                holds[spot] = (finding, list(names))
    merged = []
    for finding, names in holds.values():
        if sorted(names) != every:
            shown = ", ".join(sorted(names)[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            runs_of = "run" if len(names) == 1 else "runs"
            finding = replace(finding, message=f"{finding.message} (in the {runs_of} of {shown})")
        merged.append(finding)
    return merged, used


def _key(facts: ProjectFacts, used: Set[str]) -> Tuple[str, ...]:
    return tuple(fact_digest(facts, name) for name in sorted(used))


def _by_function(tree: ast.Module, path: str, source: str, facts: FileFacts, dispatch: Dispatch,
                 enabled: Optional[Set[str]], runs: List[Tuple[List[str], List[Finding], ProjectFacts]],
                 used: Set[str], every: List[str]
                 ) -> Tuple[List[Tuple[List[str], List[Finding], ProjectFacts]], List[Finding]]:
    """Each run keeps the findings in code its programs run: module level, and the functions they
    call. A finding inside a function that none of them calls is library code for this file, judged
    with the root's pooled facts (one more analysis, only when there is such a finding)."""
    # runs[i] holds facts.groups[i]'s programs (and any group whose facts matched it)
    reach: Dict[Tuple[str, ...], Optional[FrozenSet[str]]] = {}
    for (programs, _), reached in zip(facts.groups, facts.reached or ()):
        for run_names, _, _ in runs:
            if programs and programs[0] in run_names:
                key = tuple(run_names)
                reach[key] = None if reached is None or reach.get(key, frozenset()) is None else \
                    frozenset(reach.get(key, frozenset()) | reached)
    defined = facts.defined
    spans: List[Tuple[int, int, str]] = []
    union: Set[str] = set().union(*(r for r in (facts.reached or ()) if r is not None))

    def where(finding: Finding) -> Optional[str]:
        if not spans:
            spans.extend(_function_spans(tree) or [(0, -1, "")])
        inside = [name for start, end, name in spans if start <= finding.line <= end]
        return inside[-1] if inside else None

    kept = []
    unreached = False
    for names, findings, group in runs:
        reached = reach.get(tuple(names))
        mine = []
        for finding in findings:
            function = where(finding)
            if reached is None or function is None or function in reached or function not in defined:
                mine.append(finding)
            elif function not in union:
                unreached = True
        kept.append((names, mine, group))
    if unreached and facts.library is not None:
        more, consulted = analyze_tree(tree, path, source, facts.library, dispatch, enabled, facts.quiet_functions)
        used |= consulted
        extra = []
        for finding in more:
            function = where(finding)
            if function is not None and function in defined and function not in union:
                extra.append(finding)
        if extra:
            # Judged for no program: reported as library code (no program named).
            kept.append((list(every), extra, facts.library))
    return kept, kept[0][1]


def _function_spans(tree: ast.Module) -> List[Tuple[int, int, str]]:
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.append((node.lineno, getattr(node, "end_lineno", node.lineno) or node.lineno, node.name))
    spans.sort()
    return spans

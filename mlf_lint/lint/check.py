"""Check one Python source: the function both the CLI and the flake8 plugin call."""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from typing import FrozenSet, List, Optional, Set, Tuple

from mlf_lint.engine import noqa
from mlf_lint.engine.analyzer import Dispatch, analyze_tree
from mlf_lint.engine.facts import ProjectFacts
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


def analyse_source(path: str, source: str, facts: ProjectFacts, enabled: Optional[Set[str]] = None,
                   tree: Optional[ast.Module] = None) -> FileAnalysis:
    """One Python source, analysed."""
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
    findings, used = analyze_tree(tree, path, source, facts, dispatch, enabled)
    return FileAnalysis(noqa.apply(findings, source, path, enabled), used)


def check_source(path: str, source: str, facts: ProjectFacts, enabled: Optional[Set[str]] = None,
                 tree: Optional[ast.Module] = None) -> Tuple[List[Finding], Set[str]]:
    """Findings in one file (noqa applied) and the project facts they depend on."""
    analysis = analyse_source(path, source, facts, enabled, tree)
    return analysis.findings, analysis.used

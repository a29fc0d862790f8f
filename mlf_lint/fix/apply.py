"""Apply the fixes of one source text: locate each finding's node, plan its rewrite, drop what
would not parse or what conflicts, and rewrite everything left in one LibCST pass."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from mlf_lint.engine.finding import Finding, Fix
from mlf_lint.fix.edits import FixContext, Fixer, Plan, Rewrite
from mlf_lint.fix.positions import NodeIndex
from mlf_lint.fix.registry import get_fixer
from mlf_lint.fix.textedit import line_edit


@dataclass
class Candidate:
    """A finding whose fixer found something to rewrite; ``fix`` is that rewrite on its own."""

    finding: Finding
    fixer: Fixer
    plan: Plan
    fix: Fix


@dataclass
class FixOutcome:
    source: str
    applied: List[Candidate] = field(default_factory=list)
    messages: List[str] = field(default_factory=list)  # fixes dropped, and why

    @property
    def changed(self) -> bool:
        return bool(self.applied)


class _Apply(cst.CSTTransformer):
    def __init__(self, rewrites: Dict[cst.CSTNode, List[Rewrite]]) -> None:
        super().__init__()
        self.rewrites = rewrites

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode
                 ) -> Union[cst.CSTNode, cst.RemovalSentinel]:
        result: Union[cst.CSTNode, cst.RemovalSentinel] = updated_node
        for rewrite in self.rewrites.get(original_node, ()):
            if isinstance(result, cst.RemovalSentinel):
                break
            result = rewrite(result)
        return result


def _render(module: cst.Module, plans: Iterable[Plan]) -> str:
    rewrites: Dict[cst.CSTNode, List[Rewrite]] = {}
    for plan in plans:
        for node, rewrite in plan.items():
            rewrites.setdefault(node, []).append(rewrite)
    return module.visit(_Apply(rewrites)).code


def parses(source: str, strict: bool = True) -> bool:
    """``strict`` also compiles, which catches what the parser lets through (a repeated keyword)."""
    try:
        if strict:
            compile(source, "<fix>", "exec", dont_inherit=True)
        else:
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # deep nesting: not Python to CPython
        return False
    return True


def _where(finding: Finding) -> str:
    cell = f"cell {finding.cell}, " if finding.cell else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.col + 1}"


class SourceFixer:
    """Fixes for one parsed source. Parsing fails cleanly: ``problem`` says why and nothing is fixed."""

    def __init__(self, source: str, path: str = "<source>") -> None:
        self.source = source
        self.path = path
        self.problem: Optional[str] = None
        self.messages: List[str] = []
        try:
            self.wrapper: Optional[MetadataWrapper] = MetadataWrapper(cst.parse_module(source))
        except (cst.ParserSyntaxError, RecursionError) as exc:
            self.wrapper = None
            self.problem = f"{path}: not fixed, LibCST cannot parse it ({str(exc).splitlines()[0]})"
            return
        self.module = self.wrapper.module
        # A cell with top-level await does not compile before the fix either: then parsing decides.
        self.strict = parses(source)
        self.index = NodeIndex(self.wrapper.resolve(PositionProvider), source)
        self.context = FixContext(self.module, self.wrapper.resolve(ParentNodeProvider))

    def candidates(self, findings: Iterable[Finding]) -> List[Candidate]:
        """Every finding with a fix that applies on its own, in source order."""
        found: List[Candidate] = []
        if self.wrapper is None:
            return found
        for finding in sorted(findings, key=Finding.sort_key):
            fixer = get_fixer(finding.code)
            if fixer is None:
                continue
            node = self.index.find(finding, fixer.target)
            plan = fixer.plan(node, self.context) if node is not None else None
            if not plan:
                continue
            fixed = _render(self.module, [plan])
            if fixed == self.source:
                continue
            if not parses(fixed, self.strict):
                self.messages.append(f"{_where(finding)}: {finding.code} fix dropped: the result would not parse")
                continue
            line, col, end_line, end_col, text = line_edit(self.source, fixed)
            found.append(Candidate(finding, fixer, plan,
                                   Fix(fixer.safe, fixer.description, line, col, end_line, end_col, text)))
        return found

    def apply(self, candidates: Iterable[Candidate]) -> FixOutcome:
        outcome = FixOutcome(self.source, messages=list(self.messages))
        if self.wrapper is None:
            if self.problem:
                outcome.messages.append(self.problem)
            return outcome
        accepted: List[Candidate] = []
        claimed: Dict[cst.CSTNode, List[Tuple[Candidate, Rewrite]]] = {}
        for candidate in candidates:
            clash = _conflict(candidate, claimed)
            if clash is not None:
                outcome.messages.append(
                    f"{_where(candidate.finding)}: {candidate.finding.code} fix dropped: it conflicts with "
                    f"the {clash.finding.code} fix of the same code ({_where(clash.finding)})")
                continue
            accepted.append(candidate)
            for node, rewrite in candidate.plan.items():
                claimed.setdefault(node, []).append((candidate, rewrite))
        if not accepted:
            return outcome
        fixed = _render(self.module, [c.plan for c in accepted])
        if not parses(fixed, self.strict):
            outcome.messages.append(f"{self.path}: fixes dropped: together they would not parse "
                                    f"({', '.join(c.finding.code for c in accepted)})")
            return outcome
        outcome.source = fixed
        outcome.applied = accepted
        return outcome


def _conflict(candidate: Candidate, claimed: Dict[cst.CSTNode, List[Tuple[Candidate, Rewrite]]]
              ) -> Optional[Candidate]:
    """Two rewrites of one node go together only when their order does not matter."""
    for node, rewrite in candidate.plan.items():
        for other, other_rewrite in claimed.get(node, ()):
            if not _commute(node, rewrite, other_rewrite):
                return other
    return None


def _commute(node: cst.CSTNode, first: Rewrite, second: Rewrite) -> bool:
    def both(a: Rewrite, b: Rewrite) -> Union[cst.CSTNode, cst.RemovalSentinel]:
        middle = a(node)
        return middle if isinstance(middle, cst.RemovalSentinel) else b(middle)

    one, two = both(first, second), both(second, first)
    if isinstance(one, cst.RemovalSentinel) or isinstance(two, cst.RemovalSentinel):
        return one is two
    return _signature(one) == _signature(two)


def _signature(node: cst.CSTNode) -> object:
    """The code of a node, with a call's keyword arguments as a set: their order does not matter,
    so two fixes that each add a keyword to one call go together."""
    render = cst.Module(body=[]).code_for_node
    if isinstance(node, cst.Call):
        args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in node.args]
        keywords = frozenset(render(a) for a in args if a.keyword is not None)
        others = tuple(render(a) for a in args if a.keyword is None)
        return render(node.with_changes(args=[])), others, keywords
    return render(node)


def fix_source(source: str, findings: Iterable[Finding], unsafe: bool = False,
               path: str = "<source>") -> FixOutcome:
    """Apply the safe fixes (and the unsafe ones with ``unsafe``) of ``findings`` to ``source``."""
    fixer = SourceFixer(source, path)
    chosen = [c for c in fixer.candidates(findings) if unsafe or c.fixer.safe]
    return fixer.apply(chosen)

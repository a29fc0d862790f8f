"""Apply the fixes of one source text: locate each finding's node, plan its rewrite, drop what
would not parse or what conflicts, and rewrite everything left in one LibCST pass."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Dict, Iterable, List, Optional, Tuple, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from mlf_lint.engine.finding import Finding, Fix
from mlf_lint.fix.edits import FixContext, Fixer, Plan, Rewrite
from mlf_lint.fix.positions import NodeIndex
from mlf_lint.fix.registry import get_fixer
from mlf_lint.fix.textedit import line_edit, split_lines

TOO_DEEP = "not fixed: an expression is nested too deeply for LibCST, the library the fixes use"


@dataclass
class Candidate:
    """A finding whose fixer found something to rewrite; ``fix`` is that rewrite on its own, and
    ``region`` the lines it was planned on."""

    finding: Finding
    fixer: Fixer
    plan: Plan
    fix: Fix
    region: "_Region"


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


@dataclass(frozen=True)
class _Region:
    """Whole lines ``start``..``end`` (1-based) holding complete statements; ``indent`` is the
    prefix every non-blank line of them starts with, removed while LibCST works on them."""

    start: int
    end: int
    indent: str = ""

    def contains(self, other: "_Region") -> bool:
        return self.start <= other.start and other.end <= self.end


class _Snippet:
    """One region, dedented and parsed by LibCST, with the metadata fixers use. Parsing only the
    statement a finding sits in (not the module) is what keeps fixes cheap enough to attach to every
    finding of a JSON or SARIF report; --fix goes through the same code, so both give the same text."""

    def __init__(self, lines: List[str], region: _Region) -> None:
        self.region = region
        self.lines = lines
        width = len(region.indent)
        text = "".join(line[width:] if line.strip() else line for line in lines[region.start - 1:region.end])
        self.module = cst.parse_module(text)
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)  # the tree is ours: no copy
        self.index = NodeIndex(wrapper.resolve(PositionProvider), text)
        self.context = FixContext(self.module, wrapper.resolve(ParentNodeProvider))

    def node_for(self, finding: Finding, kind: type) -> Optional[cst.CSTNode]:
        width = len(self.region.indent.encode("utf-8"))
        shift = self.region.start - 1
        local = replace(finding, line=finding.line - shift, col=finding.col - width,
                        end_line=None if finding.end_line is None else finding.end_line - shift,
                        end_col=None if finding.end_col is None else finding.end_col - width)
        return self.index.find(local, kind)

    def splice(self, plans: Iterable[Plan]) -> str:
        """The whole source with this region rewritten by ``plans``."""
        rendered = split_lines(_render(self.module, plans))
        indent = self.region.indent
        body = "".join(indent + line if line.strip() else line for line in rendered)
        return "".join(self.lines[:self.region.start - 1]) + body + "".join(self.lines[self.region.end:])


class SourceFixer:
    """Fixes for one source. Each finding is fixed in the smallest statement around it that stands
    on its own (a fixer that needs the whole block, ``reach="module"``, gets the module). A source
    LibCST cannot parse fails cleanly: ``problem`` says why and nothing is fixed."""

    def __init__(self, source: str, path: str = "<source>") -> None:
        self.source = source
        self.path = path
        self.problem: Optional[str] = None
        self.messages: List[str] = []
        self.lines = split_lines(source)
        self._snippets: Dict[_Region, Optional[_Snippet]] = {}
        # A cell with top-level await does not compile before the fix either: then parsing decides.
        self.strict = parses(source)
        try:
            self.tree: Optional[ast.Module] = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            self.tree = None
        self.whole = _Region(1, max(len(self.lines), 1))

    def _snippet(self, region: _Region) -> Optional[_Snippet]:
        if region not in self._snippets:
            try:
                self._snippets[region] = _Snippet(self.lines, region)
            except RecursionError:
                self._snippets[region] = None
                if region == self.whole:
                    self.problem = f"{self.path}: {TOO_DEEP}"
            except cst.ParserSyntaxError as exc:
                self._snippets[region] = None
                if region == self.whole:
                    self.problem = f"{self.path}: not fixed, LibCST cannot parse it ({str(exc).splitlines()[0]})"
        return self._snippets[region]

    def _region(self, finding: Finding, fixer: Fixer) -> _Region:
        if fixer.reach == "module" or self.tree is None:
            return self.whole
        first, last = finding.line, finding.end_line or finding.line
        for stmt in reversed(_statements_around(self.tree, first, last)):  # innermost first
            region = _statement_region(self.lines, stmt)
            if region is not None:
                return region
        return self.whole

    def candidates(self, findings: Iterable[Finding]) -> List[Candidate]:
        """Every finding with a fix that applies on its own, in source order."""
        found: List[Candidate] = []
        for finding in sorted(findings, key=Finding.sort_key):
            fixer = get_fixer(finding.code)
            if fixer is None:
                continue
            region = self._region(finding, fixer)
            snippet = self._snippet(region)
            if snippet is None and region != self.whole:
                region, snippet = self.whole, self._snippet(self.whole)
            if snippet is None:
                continue
            node = snippet.node_for(finding, fixer.target)
            plan = fixer.plan(node, snippet.context) if node is not None else None
            if not plan:
                continue
            fixed = snippet.splice([plan])
            if fixed == self.source:
                continue
            if not parses(fixed, self.strict):
                self.messages.append(f"{_where(finding)}: {finding.code} fix dropped: the result would not parse")
                continue
            line, col, end_line, end_col, text = line_edit(self.source, fixed)
            found.append(Candidate(finding, fixer, plan,
                                   Fix(fixer.safe, fixer.description, line, col, end_line, end_col, text), region))
        return found

    def apply(self, candidates: Iterable[Candidate]) -> FixOutcome:
        outcome = FixOutcome(self.source, messages=list(self.messages))
        chosen = list(candidates)
        if not chosen:
            if self.problem:
                outcome.messages.append(self.problem)
            return outcome
        # Regions nest like statements: a fix inside another fix's region joins that region.
        groups: List[Tuple[_Region, List[Candidate]]] = []
        for candidate in sorted(chosen, key=lambda c: (c.region.start, -c.region.end)):
            if groups and groups[-1][0].contains(candidate.region):
                groups[-1][1].append(candidate)
            else:
                groups.append((candidate.region, [candidate]))
        source = self.source
        applied: List[Candidate] = []
        for region, members in reversed(groups):  # bottom up: earlier lines keep their numbers
            accepted = self._compatible(region, members, outcome)
            if not accepted:
                continue
            snippet = self._snippet(region)
            assert snippet is not None  # every member's plan was made on it or a region inside it
            replanned = self._plans(snippet, accepted)
            spliced = snippet.splice(replanned)
            start, end = region.start - 1, region.end
            ours = split_lines(spliced)
            body = ours[start:len(ours) - (len(self.lines) - end)]
            source = "".join(split_lines(source)[:start] + body + split_lines(source)[end:])
            applied.extend(accepted)
        applied.sort(key=lambda c: Finding.sort_key(c.finding))
        if not applied:
            return outcome
        if not parses(source, self.strict):
            outcome.messages.append(f"{self.path}: fixes dropped: together they would not parse "
                                    f"({', '.join(c.finding.code for c in applied)})")
            return outcome
        outcome.source = source
        outcome.applied = applied
        return outcome

    def _plans(self, snippet: _Snippet, members: List[Candidate]) -> List[Plan]:
        """The members' plans made on ``snippet`` (a member found in a smaller region is planned again)."""
        plans = []
        for member in members:
            if member.region == snippet.region:
                plans.append(member.plan)
                continue
            node = snippet.node_for(member.finding, member.fixer.target)
            plan = member.fixer.plan(node, snippet.context) if node is not None else None
            if plan:
                plans.append(plan)
        return plans

    def _compatible(self, region: _Region, members: List[Candidate], outcome: FixOutcome) -> List[Candidate]:
        snippet = self._snippet(region)
        if snippet is None:
            return []
        accepted: List[Candidate] = []
        claimed: Dict[cst.CSTNode, List[Tuple[Candidate, Rewrite]]] = {}
        for member in sorted(members, key=lambda c: Finding.sort_key(c.finding)):
            plan = self._plans(snippet, [member])
            if not plan:
                continue
            probe = Candidate(member.finding, member.fixer, plan[0], member.fix, region)
            clash = _conflict(probe, claimed)
            if clash is not None:
                outcome.messages.append(
                    f"{_where(member.finding)}: {member.finding.code} fix dropped: it conflicts with "
                    f"the {clash.finding.code} fix of the same code ({_where(clash.finding)})")
                continue
            accepted.append(probe)
            for node, rewrite in probe.plan.items():
                claimed.setdefault(node, []).append((probe, rewrite))
        return accepted


def _statements_around(tree: ast.Module, first: int, last: int) -> List[ast.stmt]:
    """The statements whose lines hold lines ``first``..``last``, outermost first."""
    chain: List[ast.stmt] = []
    body: List[ast.stmt] = tree.body
    while True:
        inner = next((s for s in body if _span(s)[0] <= first and last <= _span(s)[1]), None)
        if inner is None:
            return chain
        chain.append(inner)
        body = [child for field in ("body", "orelse", "finalbody", "handlers", "cases")
                for child in getattr(inner, field, None) or ()]
        body = [b for item in body for b in (getattr(item, "body", None) or [] if not isinstance(item, ast.stmt)
                                             else [item])]


def _span(stmt: ast.stmt) -> Tuple[int, int]:
    start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())])
    return start, stmt.end_lineno or stmt.lineno


def _statement_region(lines: List[str], stmt: ast.stmt) -> Optional[_Region]:
    """The whole lines of ``stmt`` when nothing else shares them and each starts with its indent."""
    start, end = _span(stmt)
    if end > len(lines):
        return None
    first = lines[start - 1]
    column = min([stmt.col_offset] + [d.col_offset - 1 for d in getattr(stmt, "decorator_list", ())])
    indent = first.encode("utf-8")[:column].decode("utf-8", errors="replace")
    if indent.strip() or not first.startswith(indent):
        return None  # another statement before it on its line (a; b)
    tail = lines[end - 1].rstrip("\r\n").encode("utf-8")[stmt.end_col_offset or 0:].decode("utf-8", "replace")
    if tail.strip() and not tail.strip().startswith("#"):
        return None  # another statement after it on its line
    if any(line.strip() and not line.startswith(indent) for line in lines[start - 1:end]):
        return None  # a line (inside a string, a bracket) reaches left of the statement's indent
    return _Region(start, end, indent)


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

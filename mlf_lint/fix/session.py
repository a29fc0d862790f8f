"""Fixes across a whole run: group the findings by file, plan each file's fixes, and either write
them, show them as a diff, or attach them to the findings for the reporters."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from mlf_lint.engine.finding import Finding
from mlf_lint.engine.paths import on_disk
from mlf_lint.engine.result import RunResult
from mlf_lint.fix.apply import TOO_DEEP as _TOO_DEEP, Candidate, SourceFixer
from mlf_lint.fix.registry import all_fixers
from mlf_lint.fix.textedit import split_lines
from mlf_lint.fix.textio import SourceError, SourceText, read_source, write_source


@dataclass
class FileFix:
    path: Path
    rel: str
    original: SourceText
    text: str
    applied: List[Candidate]


@dataclass
class Plan:
    files: List[FileFix] = field(default_factory=list)
    messages: List[str] = field(default_factory=list)
    root: Optional[Path] = None  # the folder the run was given: no write leads out of it

    @property
    def applied(self) -> List[Candidate]:
        return [c for f in self.files for c in f.applied]


def _fixable_by_file(result: RunResult) -> Dict[str, List[Finding]]:
    fixers = all_fixers()
    grouped: Dict[str, List[Finding]] = {}
    for finding in result.findings:
        if finding.code in fixers:
            grouped.setdefault(finding.path, []).append(finding)
    return grouped


# LibCST's visitors recurse once per nesting level: a file the analysis reads (its walks are
# iterative) can be too deep for them. Such a file keeps its findings and is left unfixed.


def _candidates(text: str, rel: str, findings: List[Finding]) -> Tuple[List[Candidate], List[str], object]:
    """Candidates of one file; notebooks go cell by cell (see ``mlf_lint.fix.notebook``). The
    messages say why fixes were dropped or the file cannot be fixed."""
    try:
        if rel.endswith(".ipynb"):
            from mlf_lint.fix.notebook import NotebookFixer

            fixer: object = NotebookFixer(text, rel)
        else:
            fixer = SourceFixer(text, rel)
        found = fixer.candidates(findings)  # type: ignore[attr-defined]
    except RecursionError:
        return [], [f"{rel}: {_TOO_DEEP}"], None
    problem = getattr(fixer, "problem", None)
    return found, [*fixer.messages, *([problem] if problem else [])], fixer  # type: ignore[attr-defined]


def plan_fixes(result: RunResult, unsafe: bool) -> Plan:
    """What ``--fix`` would write: the new text of every file with an applicable fix."""
    root = Path(result.root)
    plan = Plan(root=root)
    for rel, findings in sorted(_fixable_by_file(result).items()):
        path = root / on_disk(rel)
        try:
            original = read_source(path)
        except SourceError as exc:
            plan.messages.append(str(exc))
            continue
        found, messages, fixer = _candidates(original.text, rel, findings)
        chosen = [c for c in found if unsafe or c.fixer.safe]
        if not chosen:
            plan.messages.extend(messages)  # with candidates chosen, the outcome repeats them
            continue
        try:
            outcome = fixer.apply(chosen)  # type: ignore[attr-defined]
        except RecursionError:
            plan.messages.append(f"{rel}: {_TOO_DEEP}")
            continue
        plan.messages.extend(outcome.messages)
        if outcome.changed and outcome.source != original.text:
            plan.files.append(FileFix(path, rel, original, outcome.source, outcome.applied))
    return plan


def write_fixes(plan: Plan) -> List[str]:
    """Write every fixed file; a file that cannot be written keeps its content and gets a message."""
    problems = []
    for item in plan.files:
        try:
            write_source(item.path, item.original, item.text, plan.root)
        except SourceError as exc:
            problems.append(str(exc))
            item.applied = []
    return problems


def unified_diff(plan: Plan) -> str:
    chunks = []
    for item in plan.files:
        chunks.extend(difflib.unified_diff(split_lines(item.original.text),
                                           split_lines(item.text),
                                           fromfile=f"a/{item.rel}", tofile=f"b/{item.rel}"))
        if chunks and not chunks[-1].endswith(("\n", "\r")):
            chunks.append("\n\\ No newline at end of file\n")
    return "".join(chunks)


def attach_fixes(result: RunResult) -> RunResult:
    """The same result with ``Finding.fix`` set wherever a fix (safe or not) applies."""
    grouped = _fixable_by_file(result)
    if not grouped:
        return result
    fixes = {}
    root = Path(result.root)
    for rel, findings in grouped.items():
        try:
            original = read_source(root / on_disk(rel))
        except SourceError:
            continue
        found, _, _ = _candidates(original.text, rel, findings)
        for candidate in found:
            fixes[id(candidate.finding)] = candidate.fix
    findings = [replace(f, fix=fixes[id(f)]) if id(f) in fixes else f for f in result.findings]
    return replace(result, findings=findings)

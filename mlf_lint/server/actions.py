"""Code actions: every fix of a finding (safe ones preferred, unsafe ones say so), a
``# noqa: CODE`` for each finding, and "fix all" (the safe fixes of the whole document).

LibCST (behind the fixes) is imported on the first request only; a document version's fix
candidates are computed once, because editors ask for code actions whenever the cursor moves.
"""
from __future__ import annotations

import tokenize
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from mlf_lint.engine.finding import Finding
from mlf_lint.server.convert import diagnostic, fix_edit, whole_document_edit

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.mlf-lint"


@dataclass
class Document:
    """What the server knows of an open document at one version."""

    uri: str
    rel: str
    text: str
    version: Optional[int]
    findings: List[Finding]
    _fixer: object = field(default=None, repr=False)
    _candidates: Optional[list] = field(default=None, repr=False)

    def candidates(self) -> list:
        if self._candidates is None:
            from mlf_lint.fix.apply import SourceFixer
            from mlf_lint.fix.registry import all_fixers

            fixable = [f for f in self.findings if f.code in all_fixers()]
            self._fixer = SourceFixer(self.text, self.rel) if fixable else None
            self._candidates = self._fixer.candidates(fixable) if self._fixer is not None else []
        return self._candidates

    def fix_all(self) -> Optional[str]:
        """The text with every safe fix applied together, or None when none applies."""
        safe = [c for c in self.candidates() if c.fix.safe]
        if not safe:
            return None
        outcome = self._fixer.apply(safe)  # type: ignore[attr-defined]
        return outcome.source if outcome.changed else None


def _touches(finding: Finding, first: int, last: int) -> bool:
    """Whether a finding's lines (1-based) meet the 0-based line span [first, last]."""
    end = finding.end_line or finding.line
    return finding.line - 1 <= last and end - 1 >= first


def _edit(uri: str, edit: types.TextEdit) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: [edit]})


def code_actions(doc: Document, span: Tuple[int, int], lines: Sequence[str], codec: PositionCodec,
                 only: Optional[Sequence[str]] = None) -> List[types.CodeAction]:
    def wanted(kind: str) -> bool:
        return not only or any(kind == k or kind.startswith(k + ".") for k in only)

    here = [f for f in doc.findings if _touches(f, *span)]
    actions: List[types.CodeAction] = []
    if here and wanted(types.CodeActionKind.QuickFix.value):
        for candidate in doc.candidates():
            if candidate.finding not in here:
                continue
            fix = candidate.fix
            title = f"Fix {candidate.finding.code}: {fix.description}"
            actions.append(types.CodeAction(
                title=title if fix.safe else f"{title} (unsafe: it changes results)",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic(candidate.finding, lines, codec)],
                is_preferred=fix.safe,
                edit=_edit(doc.uri, fix_edit(fix, lines, codec))))
        actions.extend(_noqa_actions(doc, here, lines, codec))
    if wanted(FIX_ALL):
        fix_all = _fix_all(doc, lines, codec)
        if fix_all is not None:
            actions.append(fix_all)
    return actions


def _noqa_actions(doc: Document, findings: List[Finding], lines: Sequence[str],
                  codec: PositionCodec) -> List[types.CodeAction]:
    from mlf_lint.fix.noqa import add_noqa_to_source

    actions = []
    seen: Dict[Tuple[int, str], bool] = {}
    for finding in findings:
        if (finding.line, finding.code) in seen:
            continue
        seen[finding.line, finding.code] = True
        try:
            text, added, _ = add_noqa_to_source(doc.text, {finding.line: {finding.code}})
        except (tokenize.TokenError, SyntaxError):
            continue  # a document that does not tokenize takes no directive
        edit = whole_document_edit(doc.text, text, lines, codec) if added else None
        if edit is None:
            continue  # inside a multi-line string, or already suppressed
        actions.append(types.CodeAction(
            title=f"Suppress {finding.code} on line {finding.line} (# noqa: {finding.code})",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic(finding, lines, codec)],
            edit=_edit(doc.uri, edit)))
    return actions


def _fix_all(doc: Document, lines: Sequence[str], codec: PositionCodec) -> Optional[types.CodeAction]:
    fixed = doc.fix_all()
    edit = whole_document_edit(doc.text, fixed, lines, codec) if fixed is not None else None
    if edit is None:
        return None
    return types.CodeAction(title="Fix all safe mlf-lint findings", kind=FIX_ALL, edit=_edit(doc.uri, edit))

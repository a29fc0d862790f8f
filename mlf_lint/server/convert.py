"""Findings and fixes as LSP objects. Findings count columns in UTF-8 bytes (as ``ast`` and
flake8 do) and fixes in characters; the client counts in the position encoding agreed at
initialisation (UTF-16 unless it offers another), which the workspace's codec converts to."""
from __future__ import annotations

from typing import Optional, Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from mlf_lint.engine.finding import Finding, Fix
from mlf_lint.engine.registry import all_rules

SOURCE = "mlf-lint"
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "note": types.DiagnosticSeverity.Information}


def _char_col(lines: Sequence[str], line: int, byte_col: int) -> int:
    """The character column of a 0-based line's UTF-8 byte column."""
    if not 0 <= line < len(lines):
        return 0
    return len(lines[line].encode("utf-8")[:max(byte_col, 0)].decode("utf-8", "ignore"))


def _position(codec: PositionCodec, lines: Sequence[str], line: int, char_col: int) -> types.Position:
    return codec.position_to_client_units(lines, types.Position(line=line, character=char_col))


def finding_range(finding: Finding, lines: Sequence[str], codec: PositionCodec) -> types.Range:
    line = max(finding.line - 1, 0)
    start = _position(codec, lines, line, _char_col(lines, line, finding.col))
    if finding.end_line is None or finding.end_col is None:
        # No end: the rest of the line, so the squiggle is visible.
        text = lines[line].rstrip("\r\n") if line < len(lines) else ""
        return types.Range(start=start, end=_position(codec, lines, line, len(text)))
    end_line = max(finding.end_line - 1, line)
    end = _position(codec, lines, end_line, _char_col(lines, end_line, finding.end_col))
    return types.Range(start=start, end=end)


def diagnostic(finding: Finding, lines: Sequence[str], codec: PositionCodec) -> types.Diagnostic:
    rule = all_rules().get(finding.code)
    return types.Diagnostic(
        range=finding_range(finding, lines, codec),
        message=finding.message,
        severity=SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=rule.url) if rule is not None else None,
        source=SOURCE,
    )


def fix_edit(fix: Fix, lines: Sequence[str], codec: PositionCodec) -> types.TextEdit:
    start = _position(codec, lines, fix.line - 1, fix.col)
    end = _position(codec, lines, fix.end_line - 1, fix.end_col)
    return types.TextEdit(range=types.Range(start=start, end=end), new_text=fix.replacement)


def whole_document_edit(old: str, new: str, lines: Sequence[str], codec: PositionCodec) -> Optional[types.TextEdit]:
    """One edit that turns ``old`` into ``new`` (the smallest run of whole lines), or None."""
    if old == new:
        return None
    from mlf_lint.fix.textedit import line_edit

    line, col, end_line, end_col, text = line_edit(old, new)
    return fix_edit(Fix(True, "", line, col, end_line, end_col, text), lines, codec)

"""Map a finding's position (ast: 1-based line, 0-based UTF-8 byte column) onto LibCST nodes
(1-based line, 0-based character column), so a fixer rewrites exactly the node the rule reported."""
from __future__ import annotations

import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Type

import libcst as cst
from libcst.metadata import CodeRange

from mlf_lint.engine.finding import Finding

# Python's tokenizer ends lines only at these; str.splitlines() also splits at \f, \x1c, \u2028 ...
_LINE_END = re.compile(r"\r\n|\r|\n")

Point = Tuple[int, int]


def source_lines(source: str) -> List[str]:
    """Physical lines without their line endings, as the tokenizer numbers them."""
    return _LINE_END.split(source)


def char_column(lines: Sequence[str], line: int, byte_col: int) -> int:
    """ast counts columns in UTF-8 bytes, LibCST in characters; they differ after non-ASCII text."""
    if not 1 <= line <= len(lines):
        return byte_col
    text = lines[line - 1]
    if text.isascii():
        return byte_col
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


class NodeIndex:
    """Every node of a module by the position of its first character."""

    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange], source: str) -> None:
        self.lines = source_lines(source)
        self._by_start: Dict[Point, List[Tuple[cst.CSTNode, CodeRange]]] = {}
        for node, where in positions.items():
            key = (where.start.line, where.start.column)
            self._by_start.setdefault(key, []).append((node, where))

    def find(self, finding: Finding, kind: Type[cst.CSTNode]) -> Optional[cst.CSTNode]:
        """The node of type ``kind`` the finding points at: same start, and same end when known.

        Several nodes share a start (``a.b.c`` and ``a.b`` and ``a``), so the end decides; without
        an end the widest candidate wins, which is the one ast reports for an expression statement.
        """
        start = (finding.line, char_column(self.lines, finding.line, finding.col))
        candidates = [(n, w) for n, w in self._by_start.get(start, []) if isinstance(n, kind)]
        if not candidates:
            return None
        if finding.end_line is not None and finding.end_col is not None:
            end = (finding.end_line, char_column(self.lines, finding.end_line, finding.end_col))
            for node, where in candidates:
                if (where.end.line, where.end.column) == end:
                    return node
        candidates.sort(key=lambda item: (item[1].end.line, item[1].end.column), reverse=True)
        return candidates[0][0]

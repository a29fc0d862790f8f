"""Fixes inside Jupyter notebooks: each code cell is fixed as a module of its own (``Finding.cell``
counts code cells from 1, lines count within the cell), and the cell's source is written back into
the notebook JSON with the layout Jupyter uses (the original indent, key order and line lists)."""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Tuple

from mlf_lint.engine.finding import Finding
from mlf_lint.fix.apply import Candidate, FixOutcome, SourceFixer
from mlf_lint.fix.textedit import split_lines

# IPython magics and shell escapes are not Python: they are masked as comments while fixing.
_MAGIC = re.compile(r"^[ \t]*[%!]")
_MASK = "#mlf-lint-magic:{}"
_MASK_LINE = re.compile(r"^#mlf-lint-magic:(\d+)(\r\n|\r|\n)?$")


def _mask(source: str) -> Tuple[str, List[str]]:
    masked, magics = [], []
    for line in split_lines(source):
        if _MAGIC.match(line):
            eol = line[len(line.rstrip("\r\n")):]
            masked.append(_MASK.format(len(magics)) + eol)
            magics.append(line.rstrip("\r\n"))
        else:
            masked.append(line)
    return "".join(masked), magics


def _unmask(source: str, magics: List[str]) -> Optional[str]:
    """The source with its magics back, or None when a fix removed one (with the line it led)."""
    out, seen = [], set()
    for line in split_lines(source):
        match = _MASK_LINE.match(line)
        if match:
            seen.add(int(match.group(1)))
            out.append(magics[int(match.group(1))] + (match.group(2) or ""))
        else:
            out.append(line)
    return "".join(out) if len(seen) == len(magics) else None


def _indent(text: str) -> int:
    match = re.search(r"^\{\s*\n( *)\"", text)
    return len(match.group(1)) if match else 1


class NotebookFixer:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.messages: List[str] = []
        self.cells: List[Dict[str, Any]] = []
        self.notebook: Optional[Dict[str, Any]] = None
        self._fixers: Dict[int, Tuple[SourceFixer, List[str]]] = {}
        try:
            notebook = json.loads(text)
            self.cells = [c for c in notebook["cells"] if c.get("cell_type") == "code"]
            self.notebook = notebook
        except (ValueError, KeyError, TypeError, AttributeError):
            self.messages.append(f"{path}: not fixed, not a readable notebook")

    def _cell_fixer(self, number: int) -> Optional[Tuple[SourceFixer, List[str]]]:
        if number not in self._fixers:
            if not 1 <= number <= len(self.cells):
                return None
            raw = self.cells[number - 1].get("source", "")
            source = "".join(raw) if isinstance(raw, list) else str(raw)
            masked, magics = _mask(source)
            self._fixers[number] = (SourceFixer(masked, f"{self.path} cell {number}"), magics)
        return self._fixers[number]

    def candidates(self, findings: List[Finding]) -> List[Candidate]:
        found: List[Candidate] = []
        by_cell: Dict[int, List[Finding]] = {}
        for finding in findings:
            if finding.cell is not None:
                by_cell.setdefault(finding.cell, []).append(finding)
        for number, cell_findings in sorted(by_cell.items()):
            entry = self._cell_fixer(number)
            if entry is None:
                continue
            fixer = entry[0]
            found.extend(fixer.candidates(cell_findings))
            self.messages.extend(fixer.messages)
            fixer.messages = []
        return found

    def apply(self, candidates: List[Candidate]) -> FixOutcome:
        outcome = FixOutcome(self.text)
        by_cell: Dict[int, List[Candidate]] = {}
        for candidate in candidates:
            by_cell.setdefault(candidate.finding.cell or 0, []).append(candidate)
        for number, chosen in sorted(by_cell.items()):
            entry = self._cell_fixer(number)
            if entry is None:
                continue
            fixer, magics = entry
            result = fixer.apply(chosen)
            outcome.messages.extend(result.messages)
            if not result.changed:
                continue
            source = _unmask(result.source, magics)
            if source is None:
                outcome.messages.append(f"{self.path} cell {number}: fixes dropped: they would remove a "
                                        "magic command")
                continue
            cell = self.cells[number - 1]
            cell["source"] = split_lines(source) if isinstance(cell.get("source"), list) else source
            outcome.applied.extend(result.applied)
        if outcome.applied and self.notebook is not None:
            ending = "\n" if self.text.endswith("\n") else ""
            outcome.source = json.dumps(self.notebook, indent=_indent(self.text), ensure_ascii=False) + ending
        return outcome

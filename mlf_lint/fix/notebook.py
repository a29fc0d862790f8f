"""Fixes inside Jupyter notebooks: each code cell is fixed as a module of its own (``Finding.cell``
counts code cells from 1, lines count within the cell), and the notebook is written back in its
own layout (indent or compactness, key order, line lists, line endings) by the one notebook reader,
:mod:`mlf_lint.engine.notebook`."""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from mlf_lint.engine import notebook as reader
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


class NotebookFixer:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.messages: List[str] = []
        self.notebook: Optional[reader.Notebook] = None
        self._fixers: Dict[int, Tuple[SourceFixer, List[str]]] = {}
        try:
            self.notebook = reader.read(text)
        except reader.NotebookError:
            self.messages.append(f"{path}: not fixed, not a readable notebook")

    @property
    def cells(self) -> List[reader.CodeCell]:
        return self.notebook.cells if self.notebook is not None else []

    def _cell_fixer(self, number: int) -> Optional[Tuple[SourceFixer, List[str]]]:
        if number not in self._fixers:
            if not 1 <= number <= len(self.cells):
                return None
            masked, magics = _mask(self.cells[number - 1].source)
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
            self.cells[number - 1].set_source(source)
            outcome.applied.extend(result.applied)
        if outcome.applied and self.notebook is not None:
            outcome.source = reader.dump(self.notebook, self.text)
        return outcome

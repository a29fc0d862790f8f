"""Checking Jupyter notebooks: the code cells are checked as one module, so an import in cell 1
resolves a call in cell 3, and each finding is mapped back to its cell (numbered as
:mod:`mlf_lint.engine.notebook`, the one notebook reader, numbers them).

IPython syntax is blanked before parsing, keeping every line in place: a line magic (``%time``),
a shell escape (``!pip install``), ``x = !ls`` / ``x = %sx ls`` and help lines (``obj?``) become
``pass`` at the same indentation (or ``x = None``); a cell magic (``%%bash``) blanks the whole cell,
whose body is not Python.
"""
from __future__ import annotations

import ast
import copy
import re
from dataclasses import replace
from typing import List, Optional, Set, Tuple, Union

from mlf_lint.engine import notebook as reader
from mlf_lint.engine.facts import FileFacts, ProjectFacts
from mlf_lint.engine.finding import Finding
from mlf_lint.lint import summaries
from mlf_lint.lint.check import SYNTAX_ERROR, FileAnalysis, check_source

INVALID_NOTEBOOK = "MLF903"
_MAGIC = re.compile(r"^(\s*)(?:[%!]|\?\?|\?(?=\w))")
_ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*)[%!]")
_HELP = re.compile(r"^(\s*)[\w.]+\?\??\s*$")


def python_lines(source: str) -> List[str]:
    """The cell's lines with IPython syntax blanked (same number of lines)."""
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return [""] * len(lines)
    out = []
    for line in lines:
        assigned = _ASSIGNED_MAGIC.match(line)
        if assigned:
            out.append(assigned.group(1) + "None")
            continue
        magic = _MAGIC.match(line) or _HELP.match(line)
        out.append(magic.group(1) + "pass" if magic else line)
    return out


def _parses(text: str) -> Optional[SyntaxError]:
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return exc
    except ValueError as exc:  # NUL bytes
        return SyntaxError(str(exc))
    return None


def check_notebook(rel: str, text: str, facts: Union[ProjectFacts, FileFacts],
                   enabled: Optional[Set[str]] = None) -> Tuple[List[Finding], Set[str]]:
    """Findings in one notebook, each with ``cell`` and a line inside that cell."""
    analysis = analyse_notebook(rel, text, facts, enabled)
    return analysis.findings, analysis.used


def analyse_notebook(rel: str, text: str, facts: Union[ProjectFacts, FileFacts],
                     enabled: Optional[Set[str]] = None) -> FileAnalysis:
    """One notebook, analysed; a broken cell (or a file that is no notebook) is its failure."""
    def wanted(code: str) -> bool:
        return enabled is None or code in enabled

    try:
        cells = [cell.source for cell in reader.read(text).cells]
    except reader.NotebookError as exc:
        message = (f"notebook is not valid JSON ({exc}); no rule was checked in it. Repair or re-save it in "
                   "Jupyter." if exc.invalid_json else
                   "notebook has no list of cells, so it is not a Jupyter notebook; no rule was checked in "
                   "it. Re-save it in Jupyter or rename it.")
        found = [Finding(rel, 1, 0, INVALID_NOTEBOOK, message, severity="error")]
        return FileAnalysis(found if wanted(INVALID_NOTEBOOK) else [], failure=message)

    findings: List[Finding] = []
    failure: Optional[str] = None
    blocks: List[List[str]] = []
    for number, source in enumerate(cells, start=1):
        lines = python_lines(source)
        error = _parses("\n".join(lines))
        if error is not None and _parses(source) is None:
            # A line that only looked like IPython syntax (a "%" continuing an expression).
            lines, error = source.split("\n"), None
        if error is not None:
            # One broken cell does not hide the others: report it and leave it out of the module.
            message = f"cannot parse this cell: {error.msg}; no rule was checked in it. Fix the syntax error."
            failure = failure or message
            if wanted(SYNTAX_ERROR):
                findings.append(Finding(
                    rel, min(max(error.lineno or 1, 1), len(lines)), max((error.offset or 1) - 1, 0),
                    SYNTAX_ERROR, message, severity="error", cell=number))
            lines = [""] * len(lines)
        blocks.append(lines)

    # One module: cell i's line j sits at starts[i] + j.
    starts: List[int] = []
    module: List[str] = []
    for lines in blocks:
        starts.append(len(module))
        module.extend(lines)
    text = "\n".join(module) + "\n"
    # A notebook is a program: facts from the program model already include its own cells.
    own = facts if isinstance(facts, FileFacts) else with_own_facts(rel, text, facts)
    found, used = check_source(rel, text, own, enabled)
    for finding in found:
        findings.append(_to_cell(finding, starts, blocks))
    findings.sort(key=Finding.sort_key)
    return FileAnalysis(findings, used, failure)


def with_own_facts(rel: str, text: str, facts: ProjectFacts) -> ProjectFacts:
    """Pooled project facts plus what the notebook itself does (a notebook checked without a
    program model: a notebook that seeds TensorFlow in its first cell is seeded)."""
    own = summaries.combine({rel: summaries.summarize(text)}, {rel: text})
    merged = copy.deepcopy(facts)
    for name, value in vars(own).items():
        if isinstance(value, list) and value:
            getattr(merged, name).extend(v for v in value if v not in getattr(merged, name))
    for name, places in own.env_vars.items():
        merged.env_vars.setdefault(name, []).extend(places)
    return merged


def _to_cell(finding: Finding, starts: List[int], blocks: List[List[str]]) -> Finding:
    index = 0
    for i, start in enumerate(starts):
        if start < finding.line and len(blocks[i]):
            index = i
    line = finding.line - starts[index]
    end_line = finding.end_line
    end_col = finding.end_col
    if end_line is not None:
        end_line -= starts[index]
        if not 1 <= end_line <= len(blocks[index]):
            end_line, end_col = None, None  # ends outside the cell: drop the end rather than mislead
    return replace(finding, line=line, end_line=end_line, end_col=end_col, cell=index + 1)

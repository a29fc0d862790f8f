"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

Paths stay relative to the project root, which is the workspace when the workflow runs at the
repository root; notebook findings are placed on the cell's line inside the .ipynb JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

from mlf_lint.engine.finding import Finding
from mlf_lint.engine.result import RunResult
from mlf_lint.report.sarif import SourceCache

COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: RunResult, color: bool = False) -> str:
    sources = SourceCache(Path(result.root))
    lines: List[str] = [annotation(f, sources) for f in sorted(result.findings, key=Finding.sort_key)]
    return "".join(line + "\n" for line in lines)


def annotation(f: Finding, sources: SourceCache) -> str:
    line, col = f.line, f.col + 1
    end_line = f.end_line if f.end_line is not None else f.line
    end_col = (f.end_col + 1) if f.end_col is not None else None
    message = f.message
    if f.cell is not None:
        message = f"cell {f.cell}, line {f.line}: {message}"
        spot = sources.notebook_spot(f.path, f.cell, f.line)
        line, col, end_line, end_col = (spot[0], spot[1], spot[0], spot[2]) if spot else (1, 1, 1, None)
    props = [f"file={_escape_property(f.path)}", f"line={line}", f"col={col}", f"endLine={end_line}"]
    if end_col is not None:
        props.append(f"endColumn={end_col}")
    props.append(f"title={_escape_property(f.code)}")
    return f"::{COMMAND.get(f.severity, 'warning')} {','.join(props)}::{_escape_data(message)}"

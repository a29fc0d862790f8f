"""The one Jupyter notebook reader: code cells (nbformat 4 ``cells`` and nbformat 3 ``worksheets``),
where each cell line sits in the ``.ipynb`` text, and writing a changed notebook back in its own layout.

Numbering, shared by the analysis, the reporters and the fixes: ``Finding.cell`` is the 1-based
index of a cell among the notebook's *code* cells (markdown and raw cells are not counted), the way
Jupyter's "In [n]" order counts them; ``Finding.line`` is the 1-based line inside that cell.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from mlf_lint.engine.text import split_lines


class NotebookError(ValueError):
    """The text is not a notebook. ``invalid_json``: it is not JSON at all (else: JSON without cells)."""

    def __init__(self, message: str, invalid_json: bool) -> None:
        super().__init__(message)
        self.invalid_json = invalid_json


@dataclass
class CodeCell:
    number: int               # 1-based among code cells
    data: Dict[str, Any]      # the cell's JSON object (changed in place by fixes)

    @property
    def key(self) -> str:
        """Where the source is kept: ``source`` (nbformat 4), ``input`` (nbformat 3 code cells)."""
        return "source" if "source" in self.data or "input" not in self.data else "input"

    @property
    def source(self) -> str:
        return _text(self.data.get(self.key, ""))

    def set_source(self, text: str) -> None:
        """Write the cell's source back as the notebook kept it: a list of lines, or one string."""
        self.data[self.key] = split_lines(text) if isinstance(self.data.get(self.key), list) else text


@dataclass
class Notebook:
    data: Dict[str, Any]
    cells: List[CodeCell]


def read(text: str) -> Notebook:
    """The notebook in ``text``; NotebookError when it is not JSON or has no list of cells."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NotebookError(str(exc), invalid_json=True) from None
    cells = _code_cells(data)
    if cells is None:
        raise NotebookError("no list of cells", invalid_json=False)
    return Notebook(data, [CodeCell(number, cell) for number, cell in enumerate(cells, start=1)])


def _code_cells(doc: Any) -> Optional[List[Dict[str, Any]]]:
    """The code cells of a parsed notebook (plain or located strings), in order; None if none can be."""
    if not isinstance(doc, dict):
        return None
    cells = doc.get("cells")
    if cells is None and isinstance(doc.get("worksheets"), list):
        cells = [c for sheet in doc["worksheets"] if isinstance(sheet, dict)
                 for c in (sheet.get("cells") if isinstance(sheet.get("cells"), list) else [])]
    if not isinstance(cells, list):
        return None
    return [c for c in cells if isinstance(c, dict) and _plain(c.get("cell_type")) == "code"]


def _source_parts(cell: Dict[str, Any]) -> List[Any]:
    value = cell.get("source", cell.get("input", ""))
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else ""


# -- positions: where each cell line sits in the .ipynb text (for SARIF regions) -----------------
@dataclass(frozen=True)
class LineSpot:
    text: str        # the cell line
    line: int        # 1-based line in the .ipynb of the JSON string it starts in
    start: int       # 1-based column of that string's opening quote
    end: int         # 1-based column just past its closing quote


@dataclass(frozen=True)
class _Located:
    text: str
    line: int
    start: int
    end: int


def _plain(value: Any) -> Any:
    return value.text if isinstance(value, _Located) else value


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+|\s+')


def cell_lines(text: str) -> Optional[List[List[LineSpot]]]:
    """Each code cell's source lines (as :func:`read` numbers the cells), each with the place of the
    JSON string it comes from. None when the text is not a notebook. A small position-keeping JSON
    reader, because ``json`` forgets where values were."""
    tokens: List[Tuple[str, int, int]] = []  # (token, line, column)
    line, line_start = 1, 0
    for match in _JSON_TOKEN.finditer(text, 1 if text.startswith("\ufeff") else 0):
        tok = match.group()
        if not tok.isspace():
            tokens.append((tok, line, match.start() - line_start + 1))
        newlines = tok.count("\n")
        if newlines:
            line += newlines
            line_start = match.start() + tok.rindex("\n") + 1
    pos = 0

    def value() -> Any:
        nonlocal pos
        tok, tline, tcol = tokens[pos]
        pos += 1
        if tok == "{":
            obj: Dict[str, Any] = {}
            while tokens[pos][0] != "}":
                key = json.loads(tokens[pos][0])
                pos += 2  # key and colon
                obj[key] = value()
                if tokens[pos][0] == ",":
                    pos += 1
            pos += 1
            return obj
        if tok == "[":
            items = []
            while tokens[pos][0] != "]":
                items.append(value())
                if tokens[pos][0] == ",":
                    pos += 1
            pos += 1
            return items
        if tok.startswith('"'):
            return _Located(json.loads(tok), tline, tcol, tcol + len(tok))
        return json.loads(tok)

    try:
        cells = _code_cells(value())
    except (IndexError, KeyError, TypeError, ValueError, RecursionError):
        return None
    return None if cells is None else [_spots(cell) for cell in cells]


def _spots(cell: Dict[str, Any]) -> List[LineSpot]:
    lines: List[LineSpot] = []
    pending: Optional[Tuple[str, _Located]] = None  # a line not ended yet, and where it began
    for part in _source_parts(cell):
        if not isinstance(part, _Located):
            continue
        # One JSON string may hold several lines ("a\nb") or part of one: each source line maps
        # to the string where it starts.
        chunks = part.text.split("\n")
        for chunk in chunks[:-1]:
            text, origin = (pending[0] + chunk, pending[1]) if pending else (chunk, part)
            lines.append(LineSpot(text, origin.line, origin.start, origin.end))
            pending = None
        if chunks[-1]:
            pending = (pending[0] + chunks[-1], pending[1]) if pending else (chunks[-1], part)
    if pending:
        lines.append(LineSpot(pending[0], pending[1].line, pending[1].start, pending[1].end))
    return lines


# -- writing back --------------------------------------------------------------------------------
def dump(notebook: Notebook, original: str) -> str:
    """The notebook as JSON in the layout of ``original``: its indentation (or compactness), its
    separators, whether it escapes non-ASCII text, its line endings and its final newline."""
    text = json.dumps(notebook.data, **_layout(original))
    if original.rstrip(" \t").endswith("\n"):
        text += "\n"
    return text.replace("\n", "\r\n") if "\r\n" in original else text


def _layout(original: str) -> Dict[str, Any]:
    """The ``json.dumps`` options that write ``original`` back exactly (Jupyter's indent=1, a
    compact one-line file ...); the nearest guess where none does."""
    body = original.lstrip("\ufeff").strip().replace("\r\n", "\n")
    match = re.match(r'\{[ \t]*\n([ \t]*)"', body)
    indent = len(match.group(1)) if match else None
    shapes: List[Dict[str, Any]] = [{"indent": indent}] if indent is not None or "\n" in body else \
        [{"separators": (", ", ": ")}, {"separators": (",", ":")}]
    candidates = [{**shape, "ensure_ascii": escaped} for shape in shapes for escaped in (False, True)]
    try:
        data = json.loads(body)
    except ValueError:
        return candidates[0]
    for options in candidates:
        if json.dumps(data, **options) == body:
            return options
    return {"indent": indent or 1, "ensure_ascii": False} if "\n" in body else candidates[0]

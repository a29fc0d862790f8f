"""``--add-noqa``: suppress every current finding with a ``# noqa: CODE`` comment on its line,
merged into a ``# noqa: X`` already there; a bare ``# noqa`` already covers everything."""
from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path
from typing import Dict, List, Set, Tuple

from mlf_lint.engine.noqa import NOQA_INLINE
from mlf_lint.engine.result import RunResult
from mlf_lint.fix.textedit import split_lines
from mlf_lint.fix.textio import SourceError, read_source, write_source

_EOL = re.compile(r"(\r\n|\r|\n)?$")


def _layout(source: str) -> Tuple[Set[int], Dict[int, tokenize.TokenInfo]]:
    """Lines a comment cannot end (inside a multi-line string, or continued with a backslash)
    and the comment token of each line."""
    blocked: Set[int] = set()
    comments: Dict[int, tokenize.TokenInfo] = {}
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for token in tokens:
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token
        elif token.end[0] > token.start[0] and token.type != tokenize.NL:
            # a string (or an f-string's parts) over several lines: only its last line is code
            blocked.update(range(token.start[0], token.end[0]))
    for number, line in enumerate(split_lines(source), start=1):
        if line.rstrip("\r\n").endswith("\\") and number not in comments:
            blocked.add(number)
    return blocked, comments


def _with_codes(line: str, codes: Set[str], comment: "tokenize.TokenInfo | None") -> str:
    body, eol = _EOL.split(line, maxsplit=1)[0], _EOL.search(line).group(0)  # type: ignore[union-attr]
    if comment is not None:
        match = NOQA_INLINE.search(comment.string)
        if match:
            if not match.group("codes"):
                return line  # bare noqa: everything on the line is already suppressed
            present = {c.upper() for c in re.split(r"[,\s]+", match.group("codes").strip()) if c}
            merged = ", ".join(sorted(present | codes))
            start = comment.start[1] + match.start()
            end = comment.start[1] + match.end()
            return body[:start] + f"# noqa: {merged}" + body[end:].lstrip(",") + eol
    return body.rstrip() + f"  # noqa: {', '.join(sorted(codes))}" + eol


def add_noqa_to_source(source: str, codes_by_line: Dict[int, Set[str]]) -> Tuple[str, int, List[int]]:
    """The new source, how many lines got a directive, and the lines that could not take one."""
    blocked, comments = _layout(source)
    lines = split_lines(source)
    added, skipped = 0, []
    for number, codes in sorted(codes_by_line.items()):
        if number > len(lines):
            continue
        if number in blocked:
            skipped.append(number)
            continue
        new = _with_codes(lines[number - 1], codes, comments.get(number))
        if new != lines[number - 1]:
            lines[number - 1] = new
            added += 1
    return "".join(lines), added, skipped


def add_noqa(result: RunResult) -> Tuple[int, List[str]]:
    """Add the directives to every Python file with findings; returns (count, messages)."""
    grouped: Dict[str, Dict[int, Set[str]]] = {}
    messages: List[str] = []
    for finding in result.findings:
        if not finding.path.endswith(".py") or finding.cell is not None:
            messages.append(f"{finding.path}:{finding.line}: {finding.code} not suppressed: "
                            "--add-noqa edits Python files only")
            continue
        grouped.setdefault(finding.path, {}).setdefault(finding.line, set()).add(finding.code)
    total = 0
    for rel, codes in sorted(grouped.items()):
        path = Path(result.root) / rel
        try:
            original = read_source(path)
            text, added, skipped = add_noqa_to_source(original.text, codes)
        except (SourceError, tokenize.TokenError, SyntaxError) as exc:
            messages.append(f"{rel}: no noqa added ({exc})")
            continue
        messages.extend(f"{rel}:{line}: no noqa added: the line ends inside a multi-line string or a "
                        f"backslash continuation (use per-file-ignores)" for line in skipped)
        if not added:
            continue
        try:
            ast.parse(text)
        except (SyntaxError, ValueError):
            messages.append(f"{rel}: no noqa added: the result would not parse")
            continue
        try:
            write_source(path, original, text, Path(result.root))
        except SourceError as exc:
            messages.append(str(exc))
            continue
        total += added
    return total, messages

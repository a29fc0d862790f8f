"""Describe the difference between two versions of a text as one edit of whole lines, the shape
``Fix`` (and ruff-style JSON) carries."""
from __future__ import annotations

from typing import Tuple

from mlf_lint.engine.text import split_lines

__all__ = ["Edit", "line_edit", "split_lines"]

Edit = Tuple[int, int, int, int, str]  # line, col, end_line, end_col (exclusive), replacement


def line_edit(old: str, new: str) -> Edit:
    """The smallest run of whole lines of ``old`` to replace to obtain ``new``."""
    a, b = split_lines(old), split_lines(new)
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    tail = 0
    while tail < min(len(a), len(b)) - start and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    end = len(a) - tail
    replacement = "".join(b[start:len(b) - tail])
    if end < len(a):
        return start + 1, 0, end + 1, 0, replacement
    last = len(a)  # the edit runs to the end of the file
    if a and start >= last:  # only lines added after the last one
        return last, len(a[-1]), last, len(a[-1]), replacement
    return start + 1, 0, max(last, 1), len(a[-1]) if a else 0, replacement

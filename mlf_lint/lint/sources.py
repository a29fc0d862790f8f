"""Reading a code file once: its bytes' digest (the cache key) and its text (decoded as Python
decodes it: see :mod:`mlf_lint.engine.pysource`), or why there is none."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from mlf_lint.engine.cache import content_hash
from mlf_lint.engine.pysource import DecodeError, decode


@dataclass
class SourceFile:
    path: Path
    rel: str                        # relative to the run's base folder, POSIX
    digest: str
    text: Optional[str]             # None when unreadable
    problem: Optional[str] = None   # why there is no text
    # (mtime_ns, size) taken *before* the bytes were read: should the file change meanwhile, the
    # stat stored with this digest no longer matches it, and the next run reads the file again.
    stat: Optional[Tuple[int, int]] = None


def read_source(path: Path, rel: str) -> SourceFile:
    """The file at ``path`` (shown as ``rel``); never raises: an unreadable file carries ``problem``."""
    try:
        with open(path, "rb") as handle:
            seen = os.fstat(handle.fileno())
            data = handle.read()
    except OSError as exc:
        return SourceFile(path, rel, "", None, f"cannot read the file ({exc.strerror})")
    return source_from_bytes(path, rel, data, (seen.st_mtime_ns, seen.st_size))


def source_from_bytes(path: Path, rel: str, data: bytes, stat: Optional[Tuple[int, int]] = None) -> SourceFile:
    """A code file from its bytes: digest, text, or why it has no text."""
    digest = content_hash(data)
    try:
        text = decode(data, notebook=path.suffix == ".ipynb").text
    except DecodeError as exc:
        return SourceFile(path, rel, digest, None, str(exc), stat)
    return SourceFile(path, rel, digest, text, stat=stat)


def code_text(rel: str, text: str) -> str:
    """The Python a file runs: a notebook's code cells (IPython syntax blanked), else the source."""
    if not rel.endswith(".ipynb"):
        return text
    from mlf_lint.engine import notebook as reader
    from mlf_lint.lint.notebook import python_lines

    try:
        cells = [cell.source for cell in reader.read(text).cells]
    except (reader.NotebookError, ValueError, AttributeError):
        return ""
    return "\n".join("\n".join(python_lines(cell)) for cell in cells)

"""Reading a code file once: its bytes' digest (the cache key) and its text (decoded as Python
decodes it: see :mod:`mlf_lint.engine.pysource`), or why there is none."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from mlf_lint.engine.cache import content_hash
from mlf_lint.engine.pysource import DecodeError, decode


@dataclass
class SourceFile:
    path: Path
    rel: str                        # relative to the run's base folder, POSIX
    digest: str
    text: Optional[str]             # None when unreadable
    problem: Optional[str] = None   # why there is no text


def read_source(path: Path, rel: str) -> SourceFile:
    """The file at ``path`` (shown as ``rel``); never raises: an unreadable file carries ``problem``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return SourceFile(path, rel, "", None, f"cannot read the file ({exc.strerror})")
    digest = content_hash(data)
    try:
        text = decode(data, notebook=path.suffix == ".ipynb").text
    except DecodeError as exc:
        return SourceFile(path, rel, digest, None, str(exc))
    return SourceFile(path, rel, digest, text)

"""Reading a code file once: its bytes' digest (the cache key) and its text, or why there is none."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from mlf_lint.engine.cache import content_hash


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
    if b"\0" in data:
        return SourceFile(path, rel, digest, None, "binary content (NUL bytes), not Python source")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return SourceFile(path, rel, digest, None,
                          f"not valid UTF-8 (byte {exc.start}); save it as UTF-8 or exclude it")
    return SourceFile(path, rel, digest, text)

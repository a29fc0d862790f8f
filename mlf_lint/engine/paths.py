"""Path helpers every layer shares: relative POSIX paths, which modules are tests, file stats."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Tuple


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form, or as given when it lies outside."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def is_test_file(rel: str) -> bool:
    """Test modules are not training runs: they neither seed the project nor need seeding."""
    parts = rel.split("/")
    name = parts[-1]
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or "tests" in parts[:-1] or "test" in parts[:-1])


def file_stat(path: str) -> Optional[Tuple[int, int]]:
    """``(mtime_ns, size)`` of a file, or None when there is none (what caches compare)."""
    try:
        seen = os.stat(path)
    except OSError:
        return None
    return seen.st_mtime_ns, seen.st_size

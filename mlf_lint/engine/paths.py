"""Path helpers every layer shares: relative POSIX paths, which modules are tests, file stats."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional, Tuple


def printable(name: str) -> str:
    """``name`` as it can be printed, written to JSON/XML and encoded as UTF-8: a file name whose
    bytes are not UTF-8 reaches Python with lone surrogates (PEP 383), shown here as ``\\xff``."""
    if name.isascii():
        return name
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file system produced
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")


def on_disk(name: str) -> str:
    """The file-system name that :func:`printable` showed as ``name``: each ``\\xNN`` of a byte
    above 0x7f back to its PEP 383 surrogate, so ``open`` finds the file again."""
    if "\\x" not in name:
        return name
    return _ESCAPED_BYTE.sub(lambda match: chr(0xDC00 + int(match.group(1), 16)), name)


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (or as given when it lies outside), printable:
    the name every finding, report and cache entry uses."""
    try:
        return printable(path.relative_to(root).as_posix())
    except ValueError:
        return printable(path.as_posix())


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

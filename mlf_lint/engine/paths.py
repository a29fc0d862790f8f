"""Path helpers every layer shares: relative POSIX paths, and which modules are tests."""
from __future__ import annotations

from pathlib import Path


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

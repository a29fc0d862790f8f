"""TOML reading on every supported Python (tomllib from 3.11, tomli before)."""
from __future__ import annotations

import re
import sys
from typing import Any, Dict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib


class TomlSyntaxError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def loads(text: str) -> Dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The decoder writes "... (at line 3, column 7)"; keep the line, drop the position from the message.
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        line = int(match.group(1)) if match else text.count("\n") + 1 if "end of document" in str(exc) else 1
        return _raise(line, message)
    except (RecursionError, MemoryError):  # tomllib recurses once per nested array or inline table
        return _raise(1, "nested too deeply to read")


def _raise(line: int, message: str) -> Dict[str, Any]:
    raise TomlSyntaxError(line, message)

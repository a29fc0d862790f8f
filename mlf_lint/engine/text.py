"""Text helpers shared by the notebook reader and the fixes."""
from __future__ import annotations

import re
from typing import List

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> List[str]:
    """Lines with their own line endings (CRLF stays CRLF)."""
    return _LINE.findall(text)

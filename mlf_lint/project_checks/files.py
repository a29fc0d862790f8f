"""Reading project files: text or one MLF912 finding (binary, not UTF-8, unreadable); never an exception."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks.findings import make

# Lock files can be large; anything beyond this is not a hand-written project file.
MAX_BYTES = 20 * 1024 * 1024


def read_text(path: Path, rel: str) -> Tuple[Optional[str], Optional[Finding]]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, make("MLF912", rel, 1, f"{rel} is larger than {MAX_BYTES // (1024 * 1024)} MiB: "
                              "not read as a project file. Exclude it or split it.")
        data = path.read_bytes()
    except OSError as exc:
        return None, make("MLF912", rel, 1, f"{rel} cannot be read ({exc.strerror or exc}): its settings "
                                            "were not checked. Fix the file's permissions or exclude it.")
    if b"\x00" in data[:8192]:
        return None, make("MLF912", rel, 1, f"{rel} is a binary file, not a text project file: it was not "
                                            "checked. Exclude it or replace it with the text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, make("MLF912", rel, line, f"{rel} is not UTF-8 text (byte {exc.start}): it was not "
                                               "checked. Save it as UTF-8.")
    return text, None

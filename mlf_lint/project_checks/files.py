"""Reading project files: text, or why there is none (binary, not UTF-8, unreadable, too large) as one
MLF912 finding; never an exception."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks.findings import make

# Lock files can be large; anything beyond this is not a hand-written project file.
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Unreadable:
    """Why a file has no text: a message with ``{rel}`` for the file's name, and the line."""

    message: str
    line: int = 1

    def finding(self, rel: str) -> Finding:
        return make("MLF912", rel, self.line, self.message.format(rel=rel))


def load_text(path: Path) -> Tuple[Optional[str], Optional[Unreadable]]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, Unreadable(f"{{rel}} is larger than {MAX_BYTES // (1024 * 1024)} MiB: not read as a "
                                    "project file. Exclude it or split it.")
        data = path.read_bytes()
    except OSError as exc:
        reason = str(exc.strerror or exc).replace("{", "{{").replace("}", "}}")
        return None, Unreadable(f"{{rel}} cannot be read ({reason}): its settings were not checked. Fix the "
                                "file's permissions or exclude it.")
    if b"\x00" in data[:8192]:
        return None, Unreadable("{rel} is a binary file, not a text project file: it was not checked. Exclude "
                                "it or replace it with the text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Unreadable(f"{{rel}} is not UTF-8 text (byte {exc.start}): it was not checked. Save it as "
                                "UTF-8.", line)
    return text, None

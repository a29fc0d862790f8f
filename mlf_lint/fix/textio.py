"""Read a source file as text and write it back byte-for-byte the same apart from the edit: same
encoding (PEP 263 cookie, UTF-8 BOM) and line endings, replaced atomically so that a crash or a
full disk never leaves half a file."""
from __future__ import annotations

import codecs
import io
import os
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path


class SourceError(Exception):
    """A file that cannot be read or written; the message names it."""


@dataclass(frozen=True)
class SourceText:
    text: str          # decoded, line endings untouched
    encoding: str
    bom: bool


def read_source(path: Path) -> SourceText:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        encoding = "utf-8" if path.suffix == ".ipynb" else tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        if encoding == "utf-8-sig":
            encoding = "utf-8"
        text = data[len(codecs.BOM_UTF8) if bom else 0:].decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot decode ({exc})") from None
    return SourceText(text, encoding, bom)


def encode(original: SourceText, text: str) -> bytes:
    return (codecs.BOM_UTF8 if original.bom else b"") + text.encode(original.encoding)


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, then rename over the original."""
    folder = path.parent
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = None
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".mlf-fix", dir=folder)
    except OSError as exc:
        raise SourceError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise SourceError(f"{path}: cannot write ({exc.strerror})") from None


def write_source(path: Path, original: SourceText, text: str) -> None:
    try:
        data = encode(original, text)
    except UnicodeEncodeError as exc:
        raise SourceError(f"{path}: the fix cannot be written in {original.encoding} ({exc.reason})") from None
    write_atomic(path, data)

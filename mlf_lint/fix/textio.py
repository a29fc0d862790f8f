"""Read a source file as text and write it back byte-for-byte the same apart from the edit: same
encoding (PEP 263 cookie, UTF-8 BOM) and line endings, replaced atomically so that a crash or a
full disk never leaves half a file."""
from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

from mlf_lint.engine.pysource import DecodeError, Decoded, decode


class SourceError(Exception):
    """A file that cannot be read or written; the message names it."""


SourceText = Decoded  # text (line endings untouched), encoding, bom


def read_source(path: Path) -> SourceText:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        decoded = decode(data, notebook=path.suffix == ".ipynb")  # the lint's own reading
    except DecodeError as exc:
        raise SourceError(f"{path}: cannot decode ({exc})") from None
    return SourceText(decoded.text, decoded.encoding, decoded.bom)


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

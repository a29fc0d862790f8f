"""Read a source file as text and write it back byte-for-byte the same apart from the edit: same
encoding (PEP 263 cookie, UTF-8 BOM) and line endings, replaced atomically so that a crash or a
full disk never leaves half a file. Links stay links (their target is fixed, inside the project
only), hard links stay linked, modes are kept, and read-only files are skipped with a message."""
from __future__ import annotations

import codecs
import io
import os
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Optional


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


def writable_target(path: Path, within: Optional[Path] = None) -> Path:
    """The file a write to ``path`` must change: a link's target (so the link stays a link),
    refused when it lies outside ``within`` or cannot be written (read-only files are skipped,
    not forced: the mode bits decide even for root)."""
    target = Path(os.path.realpath(path))
    if within is not None and Path(os.path.realpath(within)) not in target.parents:
        raise SourceError(f"{path}: a link to {target}, outside {within}; not fixed (run mlf-lint on that "
                          "file's own project to fix it)")
    try:
        mode = os.stat(target).st_mode
    except OSError as exc:
        raise SourceError(f"{path}: cannot write ({exc.strerror})") from None
    if not mode & 0o222 or not os.access(target, os.W_OK):
        raise SourceError(f"{path}: read-only, not fixed (make it writable to fix it)")
    return target


def write_atomic(path: Path, data: bytes, within: Optional[Path] = None) -> None:
    """Write ``data`` to the file at ``path`` (a link's target), keeping its mode and links.

    A file with one name is replaced through a temporary file in its folder, so a crash or a full
    disk never leaves half a file; a file with several hard links is rewritten in place (a
    replace would split it from its other names), and put back as it was if that fails.
    """
    target = writable_target(path, within)
    info = os.stat(target)
    if info.st_nlink > 1:
        _write_in_place(path, target, data)
        return
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".mlf-fix", dir=target.parent)
    except OSError as exc:
        raise SourceError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, info.st_mode & 0o7777)
        _keep_owner(temp, info)
        os.replace(temp, target)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise SourceError(f"{path}: cannot write ({exc.strerror})") from None


def _keep_owner(temp: str, info: os.stat_result) -> None:
    if hasattr(os, "chown") and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.chown(temp, info.st_uid, info.st_gid)
        except OSError:
            pass  # only root may give a file away; the content is what matters


def _write_in_place(path: Path, target: Path, data: bytes) -> None:
    try:
        with open(target, "r+b") as stream:
            before = stream.read()
            try:
                stream.seek(0)
                stream.write(data)
                stream.truncate()
                stream.flush()
                os.fsync(stream.fileno())
            except OSError:
                stream.seek(0)
                stream.write(before)
                stream.truncate()
                raise
    except OSError as exc:
        raise SourceError(f"{path}: cannot write ({exc.strerror})") from None


def write_source(path: Path, original: SourceText, text: str, within: Optional[Path] = None) -> None:
    """Write ``text`` in the original's encoding; ``within``: the folder the run was given, which
    a link must not lead out of."""
    try:
        data = encode(original, text)
    except UnicodeEncodeError as exc:
        raise SourceError(f"{path}: the fix cannot be written in {original.encoding} ({exc.reason})") from None
    write_atomic(path, data, within)

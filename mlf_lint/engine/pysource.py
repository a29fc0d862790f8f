"""Python source as Python itself reads it: bytes decoded by the PEP 263 rules (a coding cookie, a
UTF-8 BOM, else UTF-8), and text parsed without letting a pathological file crash the run.

The one reader for the lint (``mlf_lint.lint.sources``), the flake8 plugin's project facts and the
fixes (``mlf_lint.fix.textio``), so a file the CLI checks is a file ``--fix`` can write back in its
own encoding, and a file ``python`` runs is a file mlf-lint reads.
"""
from __future__ import annotations

import ast
import codecs
import io
import tokenize
from dataclasses import dataclass

from mlf_lint.engine.paths import printable


class DecodeError(ValueError):
    """Bytes that are not Python source text; the message says why, worded for the user."""


@dataclass(frozen=True)
class Decoded:
    text: str          # line endings untouched, BOM removed
    encoding: str      # a codec name Python knows ("utf-8", "iso-8859-1", "big5" ...)
    bom: bool          # the file starts with a UTF-8 BOM (written back with it)


def decode(data: bytes, notebook: bool = False) -> Decoded:
    """``data`` decoded as ``python`` decodes a source file (``tokenize.detect_encoding``: the BOM,
    then a ``# -*- coding: NAME -*-`` cookie on line 1 or 2, else UTF-8). A notebook is JSON, and
    JSON is UTF-8 (RFC 8259), BOM tolerated. Raises :class:`DecodeError`."""
    bom = data.startswith(codecs.BOM_UTF8)
    if b"\0" in data:
        raise DecodeError("binary content (NUL bytes), not Python source")
    encoding = "utf-8"
    if not notebook:
        try:
            encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        except SyntaxError as exc:
            if bom and str(exc.msg).startswith("encoding problem"):
                raise DecodeError("it starts with a UTF-8 BOM but its coding declaration names another "
                                  "encoding; remove one of them (PEP 263)") from None
            if not str(exc.msg).startswith("invalid or missing encoding declaration"):  # an unknown codec
                raise DecodeError(f"{exc.msg}; fix its coding declaration (PEP 263) or exclude the file") from None
            # Line 1 or 2 is not UTF-8 and names no encoding: the decode below says where.
        if encoding == "utf-8-sig":
            encoding = "utf-8"
    body = data[len(codecs.BOM_UTF8):] if bom else data
    try:
        return Decoded(body.decode(encoding), encoding, bom)
    except UnicodeDecodeError as exc:
        at = exc.start + (len(codecs.BOM_UTF8) if bom else 0)
        if encoding == "utf-8":
            raise DecodeError(f"not valid UTF-8 (byte {at}) and no coding declaration (PEP 263) names another "
                              "encoding; save it as UTF-8, declare its encoding, or exclude it") from None
        raise DecodeError(f"not valid {encoding} (byte {at}), the encoding its coding declaration names; "
                          "fix the declaration or the file, or exclude it") from None
    except LookupError:  # pragma: no cover - detect_encoding already refuses unknown codecs
        raise DecodeError(f"unknown encoding {encoding!r} in its coding declaration") from None


TOO_DEEP = "an expression is nested too deeply for Python's parser (CPython cannot compile it either)"


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse`` that fails only with SyntaxError (not Python, also an expression nested deeper
    than the parser's limits: ``1+1+...`` with thousands of terms ends in RecursionError, a
    60,000-long ``not not ...`` in MemoryError, and neither compiles in CPython) or ValueError (NUL
    bytes)."""
    try:
        return ast.parse(source, filename=printable(filename))
    except (RecursionError, MemoryError):
        raise SyntaxError(TOO_DEEP) from None

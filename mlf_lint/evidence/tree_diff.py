"""Bit-for-bit comparison of the files two runs produced."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional

from mlf_lint.evidence.difference import Difference
from mlf_lint.evidence.exclusions import MLMODEL_VOLATILE_KEYS, Exclusions

_CHUNK = 1 << 20


def list_files(root: Path, exclusions: Exclusions, prefix: str = "") -> Dict[str, Path]:
    """Relative POSIX path (under ``prefix``) -> file, for every file below ``root`` (or ``root``
    itself when it is a file). Empty folders carry no data and are not listed."""
    found: Dict[str, Path] = {}
    if root.is_symlink() or root.is_file():
        name = prefix or root.name
        if not exclusions.ignores_artifact(name):
            found[name] = root
        return found
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        base = Path(folder)
        rel_folder = base.relative_to(root).as_posix()
        # A symlink to a folder is recorded as a link, not followed: its target is outside the output.
        for name in sorted(files) + sorted(d for d in dirs if (base / d).is_symlink()):
            rel = name if rel_folder == "." else f"{rel_folder}/{name}"
            rel = f"{prefix}/{rel}" if prefix else rel
            if not exclusions.ignores_artifact(rel):
                found[rel] = base / name
    return found


def _content(path: Path):
    """Yield the file's bytes in chunks; a symlink's content is its target text."""
    if path.is_symlink():
        yield os.readlink(path).encode()
        return
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                return
            yield chunk


def first_differing_offset(a: Path, b: Path) -> Optional[int]:
    """Offset of the first byte where the files differ (the shorter length when one is a prefix
    of the other), or None when they are identical."""
    if a.is_symlink() != b.is_symlink():
        return 0
    offset = 0
    stream_a, stream_b = _content(a), _content(b)
    buffer_a = buffer_b = b""
    while True:
        if not buffer_a:
            buffer_a = next(stream_a, b"")
        if not buffer_b:
            buffer_b = next(stream_b, b"")
        if not buffer_a or not buffer_b:
            return None if buffer_a == buffer_b else offset
        size = min(len(buffer_a), len(buffer_b))
        head_a, head_b = buffer_a[:size], buffer_b[:size]
        if head_a != head_b:
            return offset + next(i for i in range(size) if head_a[i] != head_b[i])
        offset += size
        buffer_a, buffer_b = buffer_a[size:], buffer_b[size:]


def compare_trees(
    files_a: Dict[str, Path], files_b: Dict[str, Path], run_a: int, run_b: int, label: str = "artifact"
) -> List[Difference]:
    differences: List[Difference] = []
    for rel in sorted(set(files_a) | set(files_b)):
        if rel not in files_b:
            differences.append(Difference(label, rel, run_a, run_b, detail=f"only in run {run_a}"))
        elif rel not in files_a:
            differences.append(Difference(label, rel, run_a, run_b, detail=f"only in run {run_b}"))
        else:
            offset = first_differing_offset(files_a[rel], files_b[rel])
            if offset is None:
                continue
            key = _mlmodel_difference(files_a[rel], files_b[rel])
            if key is None:
                differences.append(Difference(label, rel, run_a, run_b, offset=offset))
            elif key:
                differences.append(
                    Difference(
                        label,
                        rel,
                        run_a,
                        run_b,
                        detail=(f"differs in key {key!r} (ignoring {', '.join(MLMODEL_VOLATILE_KEYS)})"),
                    )
                )
    return differences


def _mlmodel_difference(a: Path, b: Path) -> Optional[str]:
    """MLflow's MLmodel files record the run id, a creation time and a random model id. For two
    MLmodel files return "" when they agree on everything else, else the first top-level key that
    differs; None when they are not both readable MLmodel files (compare bytes then)."""
    if a.name != "MLmodel" or b.name != "MLmodel" or a.is_symlink() or b.is_symlink():
        return None
    import yaml

    try:
        documents = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in (a, b)]
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not all(isinstance(document, dict) for document in documents):
        return None
    first, second = documents
    for key in sorted(set(first) | set(second), key=str):
        if key not in MLMODEL_VOLATILE_KEYS and first.get(key) != second.get(key):
            return str(key)
    return ""

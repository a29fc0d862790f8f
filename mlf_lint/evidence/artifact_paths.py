"""Point the artifact locations of a copied ``mlruns/`` file store at where it lies on this machine.

A file store copied from another machine keeps that machine's absolute paths in each
``meta.yaml`` (``artifact_location`` of experiments and logged models, ``artifact_uri`` of runs), so
the MLflow UI finds no artifacts. Only local locations (``file:`` URIs, or plain paths as old MLflow
wrote them) are rewritten, and only when the old path ends in the same ``<experiment>/<run>`` layout
(anything else was a custom location and is left alone). Remote locations (s3:, http:, ...) are
reported. A ``meta.yaml`` that does not parse is reported and never written; writes are atomic.
Symbolic links (an experiment, run or model folder, or a meta.yaml) are reported and never
followed or replaced: nothing outside the store is read or written.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import yaml

from mlf_lint.evidence.mlflow_store import local_path

LOCATION_KEYS = ("artifact_location", "artifact_uri")
_TRASH = ".trash"


@dataclass(frozen=True)
class LocationChange:
    meta_file: Path
    key: str
    old: str
    new: str


@dataclass(frozen=True)
class LeftAlone:
    meta_file: Path
    key: str
    value: str
    reason: str


@dataclass
class FixPlan:
    root: Path
    changes: List[LocationChange] = field(default_factory=list)
    left_alone: List[LeftAlone] = field(default_factory=list)
    broken: List[Tuple[Path, str]] = field(default_factory=list)  # (meta.yaml, why), never written
    already_correct: int = 0
    files_scanned: int = 0


class StoreNotFound(Exception):
    """PATH is not an MLflow file store."""


def find_store_root(path: Path) -> Path:
    """PATH itself, or PATH/mlruns when PATH is a project folder holding one."""
    if not path.is_dir():
        raise StoreNotFound(f"{path}: no such folder (expected an MLflow file store such as ./mlruns)")
    if not any(path.glob("*/meta.yaml")) and (path / "mlruns").is_dir():
        path = path / "mlruns"
    if not any(path.glob("*/meta.yaml")) and not (path / _TRASH).is_dir():
        raise StoreNotFound(f"{path}: not an MLflow file store (no <experiment>/meta.yaml inside)")
    return path.resolve()


def _link_or_file(path: Path, links: List[Path]) -> Optional[Path]:
    """``path`` when it is a real file or folder; a symbolic link is noted in ``links`` instead, since
    following it would read and rewrite files outside the store (and replacing it would turn the
    link into a copy)."""
    if path.is_symlink():
        links.append(path)
        return None
    return path


def _meta_files(root: Path, links: List[Path]) -> Iterator[Path]:
    """The meta.yaml files of experiments, runs and logged models: artifacts folders are never
    entered, since a user's artifact may itself be called meta.yaml, and links never followed."""
    for base in (root, root / _TRASH):
        if not base.is_dir() or not _link_or_file(base, links):
            continue
        for experiment in sorted(p for p in base.iterdir() if p.is_dir() and p.name != _TRASH):
            if not (experiment / "meta.yaml").is_file() or not _link_or_file(experiment, links):
                continue
            if _link_or_file(experiment / "meta.yaml", links):
                yield experiment / "meta.yaml"
            for child in sorted(p for p in experiment.iterdir() if p.is_dir()):
                if not _link_or_file(child, links):
                    continue
                if child.name == "models":
                    for model in sorted(m for m in child.iterdir() if (m / "meta.yaml").is_file()):
                        if _link_or_file(model, links) and _link_or_file(model / "meta.yaml", links):
                            yield model / "meta.yaml"
                elif (child / "meta.yaml").is_file() and _link_or_file(child / "meta.yaml", links):
                    yield child / "meta.yaml"


def _parts(path: str) -> List[str]:
    return [part for part in re.split(r"[\\/]+", path) if part]


def _relocate(value: str, local: Path, owner: Path, root: Path) -> Optional[str]:
    """The value's location on this machine, or None when the old path does not end in the
    owner's place in the store (a custom artifact location)."""
    relative = list(owner.relative_to(root).parts)
    if relative[:1] == [_TRASH]:
        # A deleted experiment is restored to <root>/<id>, so its locations must point there.
        relative = relative[1:]
    old = _parts(str(local))
    for start in range(len(old) - len(relative), -1, -1):
        end = start + len(relative)
        if old[start:end] == relative:
            new_path = root.joinpath(*relative, *old[end:])
            return new_path.as_uri() if value.startswith("file:") else str(new_path)
    return None


def plan_fixes(root: Path) -> FixPlan:
    plan = FixPlan(root=root)
    links: List[Path] = []
    for meta_file in _meta_files(root, links):
        plan.files_scanned += 1
        try:
            data = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            plan.broken.append(
                (meta_file, str(error).splitlines()[0] if str(error) else type(error).__name__)
            )
            continue
        if not isinstance(data, dict):
            plan.broken.append((meta_file, f"expected a mapping, found {type(data).__name__}"))
            continue
        for key in LOCATION_KEYS:
            value = data.get(key)
            if not isinstance(value, str) or not value:
                continue
            local = local_path(value)
            if local is None:
                plan.left_alone.append(LeftAlone(meta_file, key, value, "remote location"))
                continue
            new = _relocate(value, local, meta_file.parent, root)
            if new is None:
                plan.left_alone.append(
                    LeftAlone(meta_file, key, value, "custom location outside the store layout")
                )
            elif new == value:
                plan.already_correct += 1
            else:
                plan.changes.append(LocationChange(meta_file, key, value, new))
    for link in links:
        plan.left_alone.append(LeftAlone(link, "link", os.readlink(link), "symbolic link, not followed"))
    return plan


def _rewrite(text: str, key: str, new: str) -> str:
    """Replace one top-level key's line (and any folded continuation lines), keeping the rest
    of the file byte for byte."""
    lines = text.splitlines(keepends=True)
    replacement = yaml.safe_dump({key: new}, default_flow_style=False, width=2**31)
    out: List[str] = []
    skipping = False
    for line in lines:
        if skipping and line[:1] in (" ", "\t"):
            continue
        skipping = False
        if re.match(rf"{re.escape(key)}\s*:", line):
            out.append(replacement)
            skipping = True
        else:
            out.append(line)
    return "".join(out)


def _inside(path: Path, root: Path) -> bool:
    """A real file whose folder resolves inside ``root`` (checked again just before writing)."""
    return not path.is_symlink() and root.resolve() in path.parent.resolve().parents


def _atomic_write(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".meta.yaml.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def apply_fixes(plan: FixPlan) -> List[Tuple[Path, str]]:
    """Write the planned changes, one atomic replace per meta.yaml; return the files that could not
    be written (path, why). A rewrite that would not parse back to exactly the intended data is
    refused rather than written."""
    by_file: Dict[Path, List[LocationChange]] = {}
    for change in plan.changes:
        by_file.setdefault(change.meta_file, []).append(change)
    failures: List[Tuple[Path, str]] = []
    for meta_file, changes in by_file.items():
        if not _inside(meta_file, plan.root):
            failures.append((meta_file, "it or its folder is a link out of the store; not written"))
            continue
        try:
            text = meta_file.read_text(encoding="utf-8")
            expected = yaml.safe_load(text)
            for change in changes:
                text = _rewrite(text, change.key, change.new)
                expected[change.key] = change.new
            if yaml.safe_load(text) != expected:
                failures.append(
                    (meta_file, "rewrite would change more than the artifact location; not written")
                )
                continue
            _atomic_write(meta_file, text)
        except (OSError, yaml.YAMLError) as error:
            failures.append((meta_file, str(error).splitlines()[0]))
    return failures

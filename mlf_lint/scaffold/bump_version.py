"""``bump-version``: move a project from one ``X.Y.Z[-SNAPSHOT]`` version to another.

The files to update are those the project record lists under ``bump_version.files``; the first
one is the reference for the current version. A version is only recognised where it is assigned
to a version key at the start of a line, so dependency pins and tool versions are left alone::

    version = 1.2.3            (setup.cfg, TOML)       __version__ = "1.2.3"   (Python)
    version: 1.2.3             (YAML)                   "version": "1.2.3"      (JSON)
    VERSION = '1.2.3'          release = "1.2.3"        ARG VERSION=1.2.3 / LABEL version="1.2.3"

and the tag of the project's own container image (named after its recorded ``project_slug`` or
``package_name``): ``image: demo:1.2.3``, ``docker build -t ghcr.io/acme/demo:1.2.3 .``.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from mlf_lint.engine.versions import Version
from mlf_lint.scaffold.registry import PROJECT_RECORD, read_record

_VERSION_TEXT = r"\d+\.\d+\.\d+(?:-SNAPSHOT)?"
_ASSIGNMENT = re.compile(
    r"^(?P<prefix>[ \t]*(?:(?:ARG|ENV|LABEL)[ \t]+)?[\"']?(?:__version__|version|release)[\"']?"
    r"[ \t]*[:=][ \t]*[\"']?)"
    rf"(?P<version>{_VERSION_TEXT})(?![\w.+-])",
    re.IGNORECASE | re.MULTILINE,
)
CHANGELOG_SUBSECTIONS = ("Added", "Changed", "Fixed", "Removed")


class BumpError(ValueError):
    """The bump cannot be done; nothing has been written."""


def parse_version(text: str) -> Version:
    """A project version (``X.Y.Z`` or ``X.Y.Z-SNAPSHOT``); BumpError otherwise."""
    try:
        return Version.project(text)
    except ValueError as exc:
        raise BumpError(str(exc)) from None


@dataclass(frozen=True)
class Occurrence:
    file: str
    line: int
    version: str
    start: int  # offset of the version string in the file's text
    end: int


def bump_files(project: Path) -> List[str]:
    record = read_record(project)
    if record is None:
        raise BumpError(f"{project}: no {PROJECT_RECORD}; bump-version needs the list of files "
                        "(bump_version: {files: [...]}) that a project from `mlf-lint create` records")
    section = record.get("bump_version") or {}
    files = section.get("files") if isinstance(section, dict) else None
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise BumpError(f"{project / PROJECT_RECORD}: bump_version.files must be a non-empty list "
                        "of file paths relative to the project")
    return files


def project_file(project: Path, name: str, key: str) -> Path:
    """The file a record entry names, links resolved, refused when it lies outside the project:
    a committed record is not the user's say-so to edit files elsewhere."""
    path = (project / name).resolve()
    if project.resolve() not in path.parents:
        raise BumpError(f"{PROJECT_RECORD} {key}: {name!r} lies outside the project {project}; "
                        "bump-version only edits files inside it (nothing was written)")
    return path


def changelog_name(project: Path) -> str:
    section = (read_record(project) or {}).get("bump_version") or {}
    value = section.get("changelog", "CHANGELOG.md") if isinstance(section, dict) else "CHANGELOG.md"
    return str(value)


def _read(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # keep CRLF as it is
            return handle.read()
    except UnicodeDecodeError:
        raise BumpError(f"{path}: not UTF-8 text") from None


def find_versions(text: str, file: str, image_names: Sequence[str] = ()) -> List[Occurrence]:
    """Version assignments, plus tags of the project's own container image (``demo:1.2.3``)."""
    spans = {(m.start("version"), m.end("version")) for m in _ASSIGNMENT.finditer(text)}
    if image_names:
        names = "|".join(re.escape(n) for n in sorted(set(image_names), key=len, reverse=True))
        image = re.compile(rf"(?<![\w.-])(?:[\w.-]+/)*(?:{names}):(?P<version>{_VERSION_TEXT})(?![\w.+-])")
        spans |= {(m.start("version"), m.end("version")) for m in image.finditer(text)}
    return [Occurrence(file, text.count("\n", 0, start) + 1, text[start:end], start, end)
            for start, end in sorted(spans)]


def image_names(project: Path) -> List[str]:
    """Names the project's container image goes by: its recorded slug and package name, and the
    project folder's name (what cookiecutter named it after the slug)."""
    answers = (read_record(project) or {}).get("answers") or {}
    names = [project.resolve().name]
    if isinstance(answers, dict):
        names += [str(answers[k]) for k in ("project_slug", "package_name") if answers.get(k)]
    return names


def _scan(project: Path) -> Dict[str, List[Occurrence]]:
    scanned: Dict[str, List[Occurrence]] = {}
    for name in bump_files(project):
        path = project_file(project, name, "bump_version.files")
        if not path.is_file():
            raise BumpError(f"{name}: listed in {PROJECT_RECORD} bump_version.files but not found")
        scanned[name] = find_versions(_read(path), name, image_names(project))
    return scanned


def current_version(project: Path) -> str:
    scanned = _scan(project)
    first = next(iter(scanned))
    if not scanned[first]:
        raise BumpError(f"{first}: no version string (such as `version = 1.2.3`) found; it is the "
                        f"first file of bump_version.files, the one that holds the project version")
    return scanned[first][0].version


def version_mismatches(project: Path) -> List[Tuple[str, int, str, str]]:
    """Versions that disagree with the project version, as (file, line, found, expected).

    A listed file that is missing or holds no version is reported with line 0 and found "".
    A project without a record or without a version in its first file has nothing to compare: [].
    """
    try:
        scanned = _scan_lenient(project)
    except BumpError:
        return []
    first = next(iter(scanned), None)
    if first is None or not scanned[first]:
        return []
    expected = scanned[first][0].version
    problems: List[Tuple[str, int, str, str]] = []
    for name, occurrences in scanned.items():
        if not occurrences:
            problems.append((name, 0, "", expected))
        problems += [(o.file, o.line, o.version, expected) for o in occurrences if o.version != expected]
    return problems


def _scan_lenient(project: Path) -> Dict[str, List[Occurrence]]:
    scanned: Dict[str, List[Occurrence]] = {}
    names = image_names(project)
    for name in bump_files(project):
        try:
            path = project_file(project, name, "bump_version.files")
        except BumpError:
            path = None  # outside the project: never read, reported like a missing file
        scanned[name] = find_versions(_read(path), name, names) if path and path.is_file() else []
    return scanned


def changelog_section(version: Version, today: _dt.date) -> str:
    if not version.final:
        return "## [Unreleased]\n\n" + "".join(f"### {s}\n\n" for s in CHANGELOG_SUBSECTIONS)
    body = "".join(f"### {s}\n\n" for s in CHANGELOG_SUBSECTIONS)
    return f"## [{version}] - {today.isoformat()}\n\n{body}"


def add_changelog_section(text: str, version: Version, today: _dt.date) -> Optional[str]:
    """The changelog with a section for ``version``, or None when it already has one.

    A release takes over the entries of an ``## [Unreleased]`` section (they are what is being
    released) and leaves an empty Unreleased above it; a snapshot only makes sure an Unreleased
    section exists. Otherwise the section goes before the newest ``## `` heading.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    text = text.replace("\r\n", "\n")
    headings = list(re.finditer(r"^## .*$", text, re.MULTILINE))
    unreleased = next((h for h in headings if re.match(r"## \[?unreleased\]?", h.group(0), re.I)), None)
    if version.final and re.search(rf"^## \[?{re.escape(str(version))}\]?(\s|$)", text, re.M):
        return None
    if not version.final and unreleased is not None:
        return None
    if version.final and unreleased is not None:
        end = next((h.start() for h in headings if h.start() > unreleased.start()), len(text))
        entries = text[unreleased.end():end].strip("\n")
        has_entries = any(line.strip() and not line.startswith("### ") for line in entries.splitlines())
        body = (entries + "\n\n") if has_entries else "".join(f"### {s}\n\n" for s in CHANGELOG_SUBSECTIONS)
        section = f"## [Unreleased]\n\n## [{version}] - {today.isoformat()}\n\n{body}"
        result = text[:unreleased.start()] + section + text[end:]
    else:
        at = headings[0].start() if headings else len(text)
        before = text[:at]
        if before and not before.endswith("\n\n"):
            before = before.rstrip("\n") + "\n\n"
        result = before + changelog_section(version, today) + text[at:]
    return result.replace("\n", newline)


@dataclass
class BumpResult:
    old: str
    new: str
    changed: List[Tuple[str, int]]  # (file, occurrences replaced)
    changelog: Optional[str]  # the changelog file updated, or None
    notes: List[str]


def bump(project: Path, new: str, downgrade: bool = False, today: Optional[_dt.date] = None,
         changelog: bool = True) -> BumpResult:
    """Replace the current version with ``new`` in every listed file and add a changelog section.

    Everything is checked before the first write, so a refusal leaves every file as it was.
    """
    target = parse_version(new)
    scanned = _scan(project)
    old_text = current_version(project)
    old = parse_version(old_text)
    if target == old:
        raise BumpError(f"the project is already at version {old}")
    if target < old and not downgrade:
        raise BumpError(f"{target} is lower than the current version {old}; pass --downgrade to do it anyway")
    stale = [f"{o.file}:{o.line} has {o.version}" for occ in scanned.values() for o in occ
             if o.version != old_text]
    if stale:
        raise BumpError(f"versions disagree with {old_text} ({'; '.join(stale)}); make them agree first")
    empty = [name for name, occ in scanned.items() if not occ]
    if empty:
        raise BumpError(f"{empty[0]}: no version string found to bump (expected e.g. `version = {old}`)")

    writes: Dict[Path, str] = {}
    changed: List[Tuple[str, int]] = []
    for name, occurrences in scanned.items():
        path = project_file(project, name, "bump_version.files")
        text = _read(path)
        for occ in sorted(occurrences, key=lambda o: o.start, reverse=True):
            text = text[:occ.start] + str(target) + text[occ.end:]
        writes[path] = text
        changed.append((name, len(occurrences)))

    notes: List[str] = []
    changelog_file: Optional[str] = None
    if changelog:
        name = changelog_name(project)
        path = project_file(project, name, "bump_version.changelog")
        if path.is_file():
            updated = add_changelog_section(_read(path), target, today or _dt.date.today())
            if updated is None:
                notes.append(f"{name} already has a section for {target}: left as it is")
            else:
                writes[path] = updated
                changelog_file = name
        else:
            notes.append(f"no {name}: no changelog section added")
    for path, text in writes.items():
        _write_keeping_mode(path, text)
    return BumpResult(old_text, str(target), changed, changelog_file, notes)


def _write_keeping_mode(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

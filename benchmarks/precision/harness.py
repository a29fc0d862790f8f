"""Findings matched to hand-made labels, and the per-code precision tally.

Pure logic (no linting, no corpus): `precision.py` feeds it. A label is keyed by repository, code
and location, plus a hash of the flagged line's text, so a label made at one commit still finds
its finding after the code above it moved a few lines. Verdict files store that hash rather than
the line itself: no fetched code is committed.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

VERDICTS = ("TRUE", "FALSE", "DEBATABLE")
COLUMNS = ("repo", "commit", "code", "location", "line_hash", "subject", "verdict", "checked_by_hand", "reason")
MAX_SHIFT = 80          # lines a labelled line may move and still match on its text
_LOCATION = re.compile(r"^(?P<path>.+?)(?::cell(?P<cell>\d+))?:(?P<line>\d+)(?::(?P<col>\d+))?$")
_QUOTED = re.compile(r"'([^']+)'")


class LabelError(ValueError):
    """A verdict file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    cell: Optional[int] = None   # 1-based code cell of a notebook; line is then inside the cell
    col: Optional[int] = None

    @classmethod
    def parse(cls, text: str) -> "Location":
        found = _LOCATION.match(text)
        if not found:
            raise ValueError(f"location {text!r} is not PATH[:cellN]:LINE[:COL]")
        cell, col = found.group("cell"), found.group("col")
        return cls(found.group("path"), int(found.group("line")),
                   int(cell) if cell else None, int(col) if col else None)

    def __str__(self) -> str:
        cell = f":cell{self.cell}" if self.cell is not None else ""
        col = f":{self.col}" if self.col is not None else ""
        return f"{self.path}{cell}:{self.line}{col}"


@dataclass(frozen=True)
class Label:
    repo: str
    commit: str
    code: str
    location: Location
    line_hash: str
    subject: str
    verdict: str
    by_hand: bool
    reason: str
    row: int = 0                 # line in the verdict file, for messages

    def to_row(self) -> str:
        return "\t".join((self.repo, self.commit, self.code, str(self.location), self.line_hash, self.subject,
                          self.verdict, "yes" if self.by_hand else "no", self.reason))


@dataclass(frozen=True)
class Finding:
    repo: str
    code: str
    location: Location
    line_hash: str
    subject: str
    message: str


@dataclass(frozen=True)
class Matched:
    finding: Finding
    label: Optional[Label]
    how: str                     # "exact", "shifted" (same text, moved), "position" (text changed), "" unlabelled


def line_hash(text: str) -> str:
    """Hash of one source line with its whitespace normalised; "" for a blank or missing line."""
    normalised = " ".join(text.split())
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:12] if normalised else ""


def subject_of(message: str) -> str:
    """The first quoted word of a message (the package of MLF501, ...): tells apart findings of one
    code on one line. A tie-breaker only, so a reworded message still matches."""
    found = _QUOTED.search(message)
    return found.group(1)[:80].replace("\t", " ") if found else ""


def read_labels(text: str, source: str) -> List[Label]:
    lines = text.splitlines()
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise LabelError(f"{source}:1: the header must be the columns {' '.join(COLUMNS)} (tab-separated)")
    labels = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            raise LabelError(f"{source}:{number}: {len(cells)} columns, expected {len(COLUMNS)}")
        row = dict(zip(COLUMNS, cells))
        if row["verdict"] not in VERDICTS:
            raise LabelError(f"{source}:{number}: verdict {row['verdict']!r} is not one of {', '.join(VERDICTS)}")
        if row["checked_by_hand"] not in ("yes", "no"):
            raise LabelError(f"{source}:{number}: checked_by_hand must be yes or no, not {row['checked_by_hand']!r}")
        try:
            location = Location.parse(row["location"])
        except ValueError as error:
            raise LabelError(f"{source}:{number}: {error}") from None
        labels.append(Label(row["repo"], row["commit"], row["code"], location, row["line_hash"], row["subject"],
                            row["verdict"], row["checked_by_hand"] == "yes", row["reason"], number))
    return labels


def _group(location: Location, code: str, repo: str) -> Tuple[str, str, str]:
    return repo, code, location.path


def _cost(finding: Finding, label: Label, commit: str) -> Optional[Tuple[int, ...]]:
    """How well a label fits a finding (lower is better); None where it cannot be the same finding."""
    if label.location.cell is not None and label.location.cell != finding.location.cell:
        return None
    shift = abs(finding.location.line - label.location.line)
    if finding.line_hash and finding.line_hash == label.line_hash and shift <= MAX_SHIFT:
        tier = 0
    elif shift == 0:
        tier = 1                 # same place, text changed (or no text stored): the fallback
    else:
        return None
    col = abs((finding.location.col or 0) - (label.location.col or 0))
    return (tier, int(finding.subject != label.subject), int(label.commit != commit), shift, col)


def match(findings: Sequence[Finding], labels: Sequence[Label],
          commits: Dict[str, str]) -> Tuple[List[Matched], List[Label]]:
    """Pair each finding with at most one label (best pairs first); return every finding with its
    label or none, and the labels no finding took (gone). `commits`: repo -> the commit linted."""
    by_group: Dict[Tuple[str, str, str], List[int]] = {}
    for index, label in enumerate(labels):
        by_group.setdefault(_group(label.location, label.code, label.repo), []).append(index)
    pairs = []
    for f_index, finding in enumerate(findings):
        for l_index in by_group.get(_group(finding.location, finding.code, finding.repo), []):
            cost = _cost(finding, labels[l_index], commits.get(finding.repo, ""))
            if cost is not None:
                pairs.append((cost, l_index, f_index))
    pairs.sort()
    label_of: Dict[int, Tuple[int, int]] = {}
    taken = set()
    for cost, l_index, f_index in pairs:
        if f_index not in label_of and l_index not in taken:
            label_of[f_index] = (l_index, cost[0])
            taken.add(l_index)
    matched = []
    for f_index, finding in enumerate(findings):
        if f_index not in label_of:
            matched.append(Matched(finding, None, ""))
            continue
        l_index, tier = label_of[f_index]
        label = labels[l_index]
        how = "position" if tier else ("exact" if label.location.line == finding.location.line else "shifted")
        matched.append(Matched(finding, label, how))
    gone = [label for index, label in enumerate(labels) if index not in taken]
    return matched, gone


@dataclass
class Tally:
    findings: int = 0
    true: int = 0
    false: int = 0
    debatable: int = 0
    unlabelled: int = 0
    extrapolated: int = 0        # matched labels not checked by hand (checked_by_hand = no)
    hand_true: int = 0
    hand_false: int = 0
    gone: Dict[str, int] = field(default_factory=lambda: {verdict: 0 for verdict in VERDICTS})

    @property
    def precision(self) -> Optional[float]:
        return self.true / (self.true + self.false) if self.true + self.false else None

    @property
    def hand_precision(self) -> Optional[float]:
        judged = self.hand_true + self.hand_false
        return self.hand_true / judged if judged else None

    def add(self, matched: Matched) -> None:
        self.findings += 1
        label = matched.label
        if label is None:
            self.unlabelled += 1
            return
        if label.verdict == "TRUE":
            self.true += 1
            self.hand_true += label.by_hand
        elif label.verdict == "FALSE":
            self.false += 1
            self.hand_false += label.by_hand
        else:
            self.debatable += 1
        self.extrapolated += not label.by_hand

    def as_dict(self) -> Dict[str, object]:
        return {"findings": self.findings, "TRUE": self.true, "FALSE": self.false, "DEBATABLE": self.debatable,
                "unlabelled": self.unlabelled, "extrapolated": self.extrapolated,
                "gone": dict(self.gone), "precision": self.precision, "hand_checked_precision": self.hand_precision}


def tally(matched: Iterable[Matched], gone: Iterable[Label]) -> Dict[str, Tally]:
    """Per code, plus "all"."""
    tallies: Dict[str, Tally] = {}
    overall = Tally()
    for item in matched:
        tallies.setdefault(item.finding.code, Tally()).add(item)
        overall.add(item)
    for label in gone:
        tallies.setdefault(label.code, Tally()).gone[label.verdict] += 1
        overall.gone[label.verdict] += 1
    result = dict(sorted(tallies.items()))
    result["all"] = overall
    return result


def code_selected(code: str, prefixes: Sequence[str]) -> bool:
    return not prefixes or any(code.startswith(prefix) for prefix in prefixes)

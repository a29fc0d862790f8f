"""SARIF 2.1.0 for GitHub code scanning, built with sarif-om.

The output is a pure function of the findings and the files they point into: keys sorted, no
timestamps, no absolute paths (``%SRCROOT%`` is left for the consumer to resolve, as CodeQL does),
so two runs over the same tree give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import attr
import sarif_om as om

from mlf_lint import __version__
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.notebook import LineSpot, cell_lines
from mlf_lint.engine.registry import Rule, all_rules
from mlf_lint.engine.result import RunResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/mlf-lint/mlf-lint"
SRCROOT = "%SRCROOT%"
# GitHub truncates (and the multitool flags) descriptions above this length.
MAX_DESCRIPTION = 1024
# GitHub reads ``problem.severity`` for non-security alerts; "note" is called "recommendation" there.
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
# Properties SARIF defines with a default that we still write out, because readers skim for them.
ALWAYS_WRITTEN = {"level"}


def render(result: RunResult, color: bool = False, rules: Optional[Mapping[str, Rule]] = None) -> str:
    """The SARIF log as text. ``rules`` overrides the registry (tests build their own)."""
    log = build_log(result, rules if rules is not None else all_rules())
    return json.dumps(to_json(log), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build_log(result: RunResult, rules: Mapping[str, Rule]) -> om.SarifLog:
    findings = sorted(result.findings, key=Finding.sort_key)
    codes = sorted(set(result.enabled_codes) | {f.code for f in findings})
    rule_index = {code: i for i, code in enumerate(codes)}
    sources = SourceCache(Path(result.root))
    fingerprints = line_hashes(findings, sources)
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="mlf-lint",
                full_name=f"mlf-lint {__version__}",
                version=__version__,
                semantic_version=__version__,
                information_uri=INFORMATION_URI,
                rules=[_descriptor(code, rules.get(code)) for code in codes],
            )
        ),
        automation_details=om.RunAutomationDetails(id="mlf-lint/"),
        original_uri_base_ids={
            SRCROOT: om.ArtifactLocation(description=om.Message(text="The root of the checked project."))
        },
        column_kind="unicodeCodePoints",
        invocations=[_invocation(result)],
        results=[_result(f, rule_index[f.code], fingerprints[i], sources) for i, f in enumerate(findings)],
    )
    return om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])


def line_hashes(findings: List[Finding], sources: SourceCache) -> List[str]:
    """``primaryLocationLineHash`` for each finding: its line's text, its code and its occurrence.

    The line number is left out on purpose: a line inserted above a finding must not turn it into
    a new alert. Identical lines with the same code are told apart by their order in the file.
    """
    seen: Counter = Counter()
    hashes = []
    for f in findings:
        text = sources.line(f.path, f.line, f.cell)
        if text is None:  # file gone or unreadable: the message is the next most stable thing
            text = f.message
        digest = hashlib.sha256(f"{f.code}\0{' '.join(text.split())}".encode("utf-8")).hexdigest()[:16]
        seen[(f.path, digest)] += 1
        hashes.append(f"{digest}:{seen[(f.path, digest)]}")
    return hashes


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _truncate(text: str, limit: int = MAX_DESCRIPTION) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _descriptor(code: str, rule: Optional[Rule]) -> om.ReportingDescriptor:
    if rule is None:  # a code the registry does not know (a plugin, a newer cache): still listed
        return om.ReportingDescriptor(
            id=code,
            name=f"Rule{code}",  # SARIF1001: a name equal to the id is flagged
            short_description=om.MultiformatMessageString(text=f"mlf-lint rule {code}."),
            full_description=om.MultiformatMessageString(text=f"mlf-lint rule {code}."),
            help=om.MultiformatMessageString(
                text=f"mlf-lint rule {code}.", markdown=f"mlf-lint rule `{code}`."
            ),
            default_configuration=om.ReportingConfiguration(level="warning"),
            properties={"precision": "medium", "tags": ["reproducibility"]},
        )
    full = _truncate(_sentence(f"{rule.what.strip()} {rule.why.strip()}"))
    refs = "\n".join(f"{r.title}: {r.url}" for r in rule.references)
    return om.ReportingDescriptor(
        id=rule.code,
        name=_pascal(rule.name),
        short_description=om.MultiformatMessageString(text=_truncate(_sentence(rule.summary))),
        full_description=om.MultiformatMessageString(text=full),
        help=om.MultiformatMessageString(
            text=_sentence(f"{rule.what.strip()} {rule.why.strip()}")
            + (f"\n\nReferences:\n{refs}" if refs else ""),
            markdown=rule.page() + f"\n[Rule page]({rule.url})\n",
        ),
        help_uri=rule.url,
        default_configuration=om.ReportingConfiguration(level=rule.severity),
        properties={
            "precision": rule.precision,
            "problem.severity": PROBLEM_SEVERITY.get(rule.severity, "warning"),
            "tags": sorted({"reproducibility", rule.library.lower(), *rule.tags}),
        },
    )


def _pascal(name: str) -> str:
    # The multitool (SARIF2012) wants Pascal-case friendly names; rule names are kebab-case.
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-") if part)


def _invocation(result: RunResult) -> om.Invocation:
    notes = [
        om.Notification(
            message=om.Message(text=_sentence(f"{path} was not analysed: {reason}")),
            level="warning",
            locations=[om.Location(physical_location=om.PhysicalLocation(artifact_location=_artifact(path)))],
        )
        for path, reason in sorted(result.unanalysed)
    ]
    return om.Invocation(execution_successful=True, tool_execution_notifications=notes or None)


def _artifact(path: str) -> om.ArtifactLocation:
    return om.ArtifactLocation(uri=_uri(path), uri_base_id=SRCROOT)


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/")


def _result(f: Finding, index: int, fingerprint: str, sources: SourceCache) -> om.Result:
    message = _sentence(f.message)
    if f.cell is not None:  # the region is in the notebook's JSON: name the cell's own line too
        message = _sentence(f"{f.message.rstrip().rstrip('.')} (cell {f.cell}, line {f.line})")
    properties: Optional[Dict[str, Any]] = None
    if f.cell is not None:
        properties = {"cell": f.cell, "cellLine": f.line, "cellColumn": f.col + 1}
    return om.Result(
        rule_id=f.code,
        rule_index=index,
        level=f.severity if f.severity in PROBLEM_SEVERITY else "warning",
        message=om.Message(text=message),
        locations=[
            om.Location(
                physical_location=om.PhysicalLocation(
                    artifact_location=_artifact(f.path), region=_region(f, sources)
                )
            )
        ],
        partial_fingerprints={"primaryLocationLineHash": fingerprint},
        properties=properties,
        fixes=_fixes(f),
    )


def _fixes(f: Finding) -> Optional[List[om.Fix]]:
    """The finding's fix as a SARIF replacement (plain files only: a notebook's edit is in a cell's
    text, not at a place in the .ipynb JSON that a SARIF viewer could patch)."""
    fix = f.fix
    if fix is None or f.cell is not None:
        return None
    kind = "Safe fix" if fix.safe else "Unsafe fix: it changes results (applied with --unsafe-fixes)"
    region = om.Region(start_line=fix.line, start_column=fix.col + 1, end_line=fix.end_line,
                       end_column=fix.end_col + 1)
    return [om.Fix(
        description=om.Message(text=_sentence(f"{fix.description.rstrip('.')}. {kind}")),
        artifact_changes=[om.ArtifactChange(
            artifact_location=_artifact(f.path),
            replacements=[om.Replacement(deleted_region=region,
                                         inserted_content=om.ArtifactContent(text=fix.replacement))],
        )],
    )]


def _region(f: Finding, sources: SourceCache) -> om.Region:
    """A full region in SARIF's 1-based, end-exclusive columns."""
    if f.cell is not None:
        return _notebook_region(f, sources)
    start_col = f.col + 1
    end_line = f.end_line if f.end_line is not None else f.line
    if f.end_col is not None:
        end_col = f.end_col + 1
    else:  # no end given: the rest of the line, so the annotation covers the statement
        text = sources.line(f.path, f.line, None) or ""
        end_col = max(len(text.rstrip()) + 1, start_col + 1)
    if end_line == f.line and end_col < start_col:
        end_col = start_col
    return om.Region(start_line=f.line, start_column=start_col, end_line=end_line, end_column=end_col)


def _notebook_region(f: Finding, sources: SourceCache) -> om.Region:
    """Where the cell's line sits in the .ipynb JSON text, so GitHub can show it in the file."""
    spot: Optional[Tuple[int, int, int]] = sources.notebook_spot(f.path, f.cell or 0, f.line)
    if spot is None:
        return om.Region(start_line=1, start_column=1, end_line=1, end_column=2)
    line, start, end = spot
    return om.Region(start_line=line, start_column=start, end_line=line, end_column=max(end, start + 1))


class SourceCache:
    """The text of the files findings point into, read once each; notebooks by code cell."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lines: Dict[str, Optional[List[str]]] = {}
        self._cells: Dict[str, Optional[List[List[LineSpot]]]] = {}

    def _text(self, path: str) -> Optional[str]:
        try:
            return (self.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def line(self, path: str, line: int, cell: Optional[int]) -> Optional[str]:
        if cell is not None:
            spot = self._cell_lines(path)
            if spot is None or not 1 <= cell <= len(spot) or not 1 <= line <= len(spot[cell - 1]):
                return None
            return spot[cell - 1][line - 1].text
        if path not in self._lines:
            text = self._text(path)
            self._lines[path] = None if text is None else text.splitlines()
        lines = self._lines[path]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]

    def notebook_spot(self, path: str, cell: int, line: int) -> Optional[Tuple[int, int, int]]:
        """(line in the .ipynb, first and past-last 1-based column of the JSON string holding it)."""
        cells = self._cell_lines(path)
        if cells is None or not 1 <= cell <= len(cells) or not 1 <= line <= len(cells[cell - 1]):
            return None
        spot = cells[cell - 1][line - 1]
        return spot.line, spot.start, spot.end

    def _cell_lines(self, path: str) -> Optional[List[List[LineSpot]]]:
        if path not in self._cells:
            text = self._text(path)
            self._cells[path] = None if text is None else cell_lines(text)
        return self._cells[path]


def to_json(obj: Any) -> Any:
    """sarif-om objects to plain JSON values, dropping unset and default-valued properties."""
    if attr.has(type(obj)):
        out: Dict[str, Any] = {}
        for field in attr.fields(type(obj)):
            value = getattr(obj, field.name)
            name = field.metadata.get("schema_property_name", field.name)
            default = field.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if value is None or (value == default and name not in ALWAYS_WRITTEN):
                continue
            out[name] = to_json(value)
        return out
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    return obj

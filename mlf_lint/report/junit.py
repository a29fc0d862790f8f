"""``--format junit``: one test suite, one test case per file with findings, one failure per finding.

CI systems that show test reports (GitLab, Jenkins, Azure) then list each file that fails the lint.
A clean run still has one passing case, so the report is never empty.
"""

from __future__ import annotations

from itertools import groupby
from typing import List
from xml.etree import ElementTree as ET

from mlf_lint.engine.finding import Finding
from mlf_lint.engine.result import RunResult

SUITE = "mlf-lint"


def _position(f: Finding) -> str:
    cell = f"cell {f.cell}:" if f.cell is not None else ""
    return f"{f.path}:{cell}{f.line}:{f.col + 1}"


def render(result: RunResult, color: bool = False) -> str:
    findings = sorted(result.findings, key=Finding.sort_key)
    cases: List[ET.Element] = []
    for path, group in groupby(findings, key=lambda f: f.path):
        case = ET.Element("testcase", {"name": path, "classname": SUITE, "file": path})
        for f in group:
            failure = ET.SubElement(
                case, "failure", {"message": f"{f.code}: {f.message}", "type": f"{f.code} ({f.severity})"}
            )
            failure.text = f"{_position(f)}: {f.code} {f.message}"
        cases.append(case)
    failing = len(cases)
    if not cases:
        checked = f"{result.files_checked} file{'s' if result.files_checked != 1 else ''} checked"
        cases.append(ET.Element("testcase", {"name": checked, "classname": SUITE}))
    suite = ET.Element(
        "testsuite",
        {"name": SUITE, "tests": str(len(cases)), "failures": str(failing), "errors": "0", "skipped": "0"},
    )
    suite.extend(cases)
    suites = ET.Element("testsuites", {"name": SUITE, "tests": str(len(cases)), "failures": str(failing)})
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"

"""SARIF output: structure GitHub code scanning needs, stable fingerprints, byte-identical reruns,
and (when the npm tools are installed) the Microsoft SARIF Multitool and the JSON schema."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from mlf_lint.engine.finding import Finding
from mlf_lint.engine.registry import all_rules
from mlf_lint.engine.result import RunResult
from mlf_lint.report import render as render_format
from mlf_lint.report import sarif

_spec = importlib.util.spec_from_file_location(
    "report_sample", Path(__file__).parent / "fixtures/report/sample.py"
)
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)  # type: ignore[union-attr]


def sarif_of(result: RunResult, rules: Any = None) -> Dict[str, Any]:
    return json.loads(sarif.render(result, rules=sample.RULES if rules is None else rules))


def hashes(log: Dict[str, Any], uri: str) -> List[str]:
    return [
        r["partialFingerprints"]["primaryLocationLineHash"]
        for r in log["runs"][0]["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri
    ]


def test_log_has_what_github_code_scanning_reads() -> None:
    log = sarif_of(sample.run_result())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    assert run["automationDetails"]["id"] == "mlf-lint/"
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mlf-lint" and driver["version"]
    assert [r["id"] for r in driver["rules"]] == sorted(sample.RULES)
    for descriptor in driver["rules"]:
        rule = sample.RULES[descriptor["id"]]
        assert descriptor["name"] and descriptor["shortDescription"]["text"]
        assert 0 < len(descriptor["fullDescription"]["text"]) <= 1024
        assert descriptor["help"]["text"]
        assert rule.references[0].url in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == rule.severity
        assert descriptor["properties"]["precision"] == rule.precision
        assert "reproducibility" in descriptor["properties"]["tags"]


def test_results_point_at_rule_file_and_full_region() -> None:
    result = sample.run_result()
    log = sarif_of(result)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_key = {(f.path, f.cell, f.line, f.code): f for f in result.findings}
    assert len(run["results"]) == len(result.findings)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        location = res["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        uri = location["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and (sample.PROJECT / uri).is_file()
        region = location["region"]
        assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(region)
        if uri.endswith(".ipynb"):
            continue
        finding = by_key[(uri, None, region["startLine"], res["ruleId"])]
        assert res["level"] == finding.severity
        assert region["startColumn"] == finding.col + 1  # SARIF columns are 1-based
        if finding.end_col is not None:
            assert (region["endLine"], region["endColumn"]) == (finding.end_line, finding.end_col + 1)
        assert res["message"]["text"].startswith(finding.message)


def test_region_without_end_covers_the_rest_of_the_line() -> None:
    log = sarif_of(sample.run_result())
    numpy_result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "MLF001")
    region = numpy_result["locations"][0]["physicalLocation"]["region"]
    line = (sample.PROJECT / "src/train.py").read_text().splitlines()[region["startLine"] - 1]
    assert line[slice(region["startColumn"] - 1, region["endColumn"] - 1)] == "np.random.rand(3)"


def test_notebook_findings_point_into_the_ipynb_at_the_cell_line() -> None:
    log = sarif_of(sample.run_result())
    text = (sample.PROJECT / "notebooks/explore.ipynb").read_text().splitlines()
    notebook = [
        r
        for r in log["runs"][0]["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "notebooks/explore.ipynb"
    ]
    assert {r["ruleId"] for r in notebook} == {"MLF104", "MLF120"}
    for res in notebook:
        region = res["locations"][0]["physicalLocation"]["region"]
        json_line = text[region["startLine"] - 1]
        expected = (
            "torch.histc(x, bins=4)" if res["ruleId"] == "MLF104" else "torch.backends.cudnn.benchmark = True"
        )
        assert expected in json_line[slice(region["startColumn"] - 1, region["endColumn"] - 1)]
        assert res["properties"]["cell"] in (1, 2) and "cell" in res["message"]["text"]


def test_unanalysed_files_become_tool_execution_notifications() -> None:
    invocation = sarif_of(sample.run_result())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert len(notes) == 1
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/broken.py"
    assert "invalid syntax" in notes[0]["message"]["text"]


def test_same_input_gives_byte_identical_sarif_whatever_the_finding_order() -> None:
    first = sarif.render(sample.run_result(), rules=sample.RULES)
    shuffled = sample.run_result()
    random.Random(4).shuffle(shuffled.findings)
    shuffled.enabled_codes = list(reversed(shuffled.enabled_codes))
    assert sarif.render(shuffled, rules=sample.RULES) == first
    assert "Time" not in first and str(sample.PROJECT) not in first  # no timestamps, no absolute paths


def test_fingerprint_survives_a_line_inserted_above_and_changes_with_the_line(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(sample.PROJECT, root)
    before = hashes(sarif_of(sample.run_result(root)), "src/train.py")

    train = root / "src/train.py"
    train.write_text('"""A docstring added above every finding."""\n' + train.read_text())
    moved = sample.run_result(root)
    moved.findings = [
        dataclasses.replace(f, line=f.line + 1) if f.path == "src/train.py" else f for f in moved.findings
    ]
    assert hashes(sarif_of(moved), "src/train.py") == before

    train.write_text(train.read_text().replace("benchmark = True", "benchmark = 1"))
    assert hashes(sarif_of(moved), "src/train.py")[0] != before[0]


def test_identical_lines_are_told_apart_by_occurrence() -> None:
    first, second = hashes(sarif_of(sample.run_result()), "src/data.py")
    assert first.split(":")[0] == second.split(":")[0]
    assert (first.split(":")[1], second.split(":")[1]) == ("1", "2")


def test_long_descriptions_are_cut_to_githubs_limit() -> None:
    wordy = dataclasses.replace(sample.RULES["MLF104"], what="word " * 400, summary="summary " * 200)
    log = sarif_of(sample.run_result(), rules={**sample.RULES, "MLF104": wordy})
    descriptor = next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "MLF104")
    assert len(descriptor["fullDescription"]["text"]) <= 1024
    assert len(descriptor["shortDescription"]["text"]) <= 1024


def test_codes_unknown_to_the_registry_still_get_a_rule_entry() -> None:
    result = RunResult(
        root=sample.PROJECT,
        findings=[Finding("src/train.py", 6, 0, "MLF999", "plugin finding")],
        enabled_codes=[],
    )
    log = sarif_of(result, rules={})
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["MLF999"]
    assert run["results"][0]["ruleIndex"] == 0


def test_missing_file_does_not_break_the_report() -> None:
    result = RunResult(
        root=sample.PROJECT, findings=[Finding("gone.py", 3, 2, "MLF104", "x")], enabled_codes=[]
    )
    res = sarif_of(result)["runs"][0]["results"][0]
    assert res["partialFingerprints"]["primaryLocationLineHash"].endswith(":1")
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_sarif_is_registered_as_a_format() -> None:
    assert json.loads(render_format("sarif", RunResult(root=sample.PROJECT)))["runs"][0]["results"] == []


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_every_registered_rule_fits_githubs_limits(code: str) -> None:
    descriptor = sarif_of(RunResult(root=sample.PROJECT, enabled_codes=[code]), rules=all_rules())
    rule = descriptor["runs"][0]["tool"]["driver"]["rules"][0]
    assert len(rule["shortDescription"]["text"]) <= 1024 and len(rule["fullDescription"]["text"]) <= 1024
    assert rule["properties"]["precision"] in ("very-high", "high", "medium", "low")
    assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    for ref in all_rules()[code].references:
        assert ref.url in rule["help"]["markdown"]


def _write_fixture_sarif(tmp_path: Path) -> Path:
    path = tmp_path / "mlf-lint.sarif"
    path.write_text(sarif.render(sample.run_result(), rules=sample.RULES), encoding="utf-8")
    return path


def test_sarif_matches_the_json_schema(tmp_path: Path) -> None:
    tools = sample.sarif_multitool()
    if tools is None:
        pytest.skip(sample.MISSING_NODE_TOOLS)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(tools[1].read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    log = json.loads(_write_fixture_sarif(tmp_path).read_text())
    assert [e.message for e in validator.iter_errors(log)] == []
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(broken))  # the check can fail


def multitool_problems(binary: Path, target: Path, out: Path) -> List[str]:
    proc = subprocess.run(
        [
            str(binary),
            "validate",
            "--rule-kind",
            "Sarif;Ghas",
            "--level",
            "Error;Warning;Note",
            "-o",
            str(out),
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.is_file(), f"multitool wrote no report (exit {proc.returncode}): {proc.stdout[-2000:]}"
    report = json.loads(out.read_text(encoding="utf-8-sig"))
    return [
        f"{r.get('level', 'warning')} {r['ruleId']}: {r['message'].get('arguments')}"
        for run in report["runs"]
        for r in run.get("results", [])
        if r.get("level", "warning") in ("error", "warning")  # SARIF's default level is warning
    ]


def test_microsoft_sarif_multitool_finds_no_errors_or_warnings(tmp_path: Path) -> None:
    tools = sample.sarif_multitool()
    if tools is None:
        pytest.skip(sample.MISSING_NODE_TOOLS)
    target = _write_fixture_sarif(tmp_path)
    assert multitool_problems(tools[0], target, tmp_path / "validation.sarif") == []

    # The same check flags a log GitHub would reject, so a pass above means something.
    broken = json.loads(target.read_text())
    del broken["runs"][0]["results"][0]["locations"]
    bad = tmp_path / "broken.sarif"
    bad.write_text(json.dumps(broken))
    assert multitool_problems(tools[0], bad, tmp_path / "validation-broken.sarif")


def _cli_sarif(project: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mlf_lint", "check", ".", "--format", "sarif", "-o", str(out), "--no-cache"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_writes_valid_stable_sarif(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(sample.PROJECT, project)
    first, second = tmp_path / "first.sarif", tmp_path / "second.sarif"
    proc = _cli_sarif(project, first)
    assert proc.returncode == 1, proc.stderr
    assert _cli_sarif(project, second).returncode == 1
    assert first.read_bytes() == second.read_bytes()
    run = json.loads(first.read_text())["runs"][0]
    bench = [
        r
        for r in run["results"]
        if r["ruleId"] == "MLF120"
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/train.py"
    ]
    assert [b["locations"][0]["physicalLocation"]["region"]["startLine"] for b in bench] == [6]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {r["ruleId"] for r in run["results"]}
    tools = sample.sarif_multitool()
    if tools is not None:
        assert multitool_problems(tools[0], first, tmp_path / "validation.sarif") == []


def test_registry_rules_pass_the_multitool(tmp_path: Path) -> None:
    tools = sample.sarif_multitool()
    if tools is None:
        pytest.skip(sample.MISSING_NODE_TOOLS)
    result = sample.run_result()
    result.enabled_codes = sorted(all_rules())
    target = tmp_path / "registry.sarif"
    target.write_text(sarif.render(result), encoding="utf-8")
    assert multitool_problems(tools[0], target, tmp_path / "validation.sarif") == []


def test_sarif_carries_fixes_that_reproduce_the_fixed_file(tmp_path: Path) -> None:
    """Applying each SARIF replacement to the file gives what `--fix --unsafe-fixes` writes."""
    import json as _json
    import subprocess as _sp
    import sys as _sys

    source = "import torch\ntorch.backends.cudnn.benchmark = True\nimport numpy as np\nrng = np.random.default_rng()\n"
    (tmp_path / "setup.py").write_text("", encoding="utf-8")
    (tmp_path / "a.py").write_text(source, encoding="utf-8")
    out = tmp_path / "out.sarif"
    _sp.run([_sys.executable, "-m", "mlf_lint", ".", "--no-cache", "--format", "sarif", "-o", str(out)],
            cwd=tmp_path, check=False, timeout=300)
    results = _json.loads(out.read_text())["runs"][0]["results"]
    fixes = [r["fixes"][0] for r in results if r.get("fixes")]
    assert len(fixes) == 2
    assert any(f["description"]["text"].endswith("Safe fix.") for f in fixes)
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    edits = []
    for fix in fixes:
        replacement = fix["artifactChanges"][0]["replacements"][0]
        region = replacement["deletedRegion"]
        start = offsets[region["startLine"] - 1] + region["startColumn"] - 1
        end = offsets[region["endLine"] - 1] + region["endColumn"] - 1
        edits.append((start, end, replacement["insertedContent"]["text"]))
    patched = source
    for start, end, text in sorted(edits, reverse=True):
        patched = patched[:start] + text + patched[end:]
    _sp.run([_sys.executable, "-m", "mlf_lint", ".", "--no-cache", "--fix", "--unsafe-fixes"], cwd=tmp_path,
            check=False, capture_output=True, timeout=300)
    assert patched == (tmp_path / "a.py").read_text()

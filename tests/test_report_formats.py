"""json (ruff-shaped), github (workflow annotations) and junit output, on a hand-built run."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from mlf_lint.engine.finding import Finding
from mlf_lint.engine.result import RunResult
from mlf_lint.report import FORMATS, get_reporter, github, json_format, junit

_spec = importlib.util.spec_from_file_location(
    "report_sample", Path(__file__).parent / "fixtures/report/sample.py"
)
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)  # type: ignore[union-attr]

ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),endLine=(?P<end>\d+)"
    r"(,endColumn=(?P<endcol>\d+))?,title=(?P<code>MLF\d+)::(?P<message>.*)$"
)


@pytest.fixture(autouse=True)
def sample_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_format, "get_rule", sample.RULES.get)


def test_json_mirrors_ruff() -> None:
    result = sample.run_result()
    rows = json.loads(json_format.render(result))
    assert len(rows) == len(result.findings)
    first = rows[[r["path"] for r in rows].index("src/train.py")]
    bench = next(r for r in rows if r["path"] == "src/train.py" and r["code"] == "MLF120")
    assert bench["location"] == {"row": 6, "column": 1} and bench["end_location"] == {"row": 6, "column": 38}
    assert bench["name"] == "cudnn-benchmark-enabled" and bench["severity"] == "warning"
    assert bench["url"] == sample.RULES["MLF120"].url and bench["noqa_row"] == 6
    assert (
        Path(bench["filename"]).is_absolute() and Path(bench["filename"]) == sample.PROJECT / "src/train.py"
    )
    assert bench["fix"] == {
        "applicability": "safe",
        "message": "Set cudnn.benchmark to False",
        "edits": [
            {
                "content": "False",
                "location": {"row": 6, "column": 34},
                "end_location": {"row": 6, "column": 38},
            }
        ],
    }
    assert first["cell"] is None
    histc = next(r for r in rows if r["code"] == "MLF104")
    assert histc["fix"] is None
    notebook = [r for r in rows if r["path"].endswith(".ipynb")]
    assert sorted(r["cell"] for r in notebook) == [1, 2]


def test_json_of_a_clean_run_is_an_empty_list() -> None:
    assert json.loads(json_format.render(RunResult(root=sample.PROJECT))) == []


def test_github_annotations_one_per_finding() -> None:
    result = sample.run_result()
    lines = github.render(result).splitlines()
    assert len(lines) == len(result.findings)
    parsed = [ANNOTATION.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed) if not m]
    bench = next(m for m in parsed if m and m["file"] == "src/train.py" and m["code"] == "MLF120")
    assert (bench["line"], bench["col"], bench["end"], bench["endcol"]) == ("6", "1", "6", "38")
    assert bench.group(1) == "warning"
    assert next(m for m in parsed if m and m["code"] == "MLF104").group(1) == "error"
    assert next(m for m in parsed if m and m["code"] == "MLF501").group(1) == "notice"


def test_github_annotation_escapes_what_would_end_the_command() -> None:
    finding = Finding("dir,a/x:y.py", 2, 0, "MLF101", "first line\nsecond 100% sure")
    line = github.render(RunResult(root=sample.PROJECT, findings=[finding])).rstrip("\n")
    assert "\n" not in line
    assert line.startswith("::warning file=dir%2Ca/x%3Ay.py,line=2,col=1,endLine=2,title=MLF101::")
    assert line.endswith("first line%0Asecond 100%25 sure")


def test_github_notebook_annotation_sits_on_the_cell_line_in_the_ipynb() -> None:
    lines = github.render(sample.run_result()).splitlines()
    match = next(ANNOTATION.match(x) for x in lines if "explore.ipynb" in x and "MLF104" in x)
    assert match is not None
    text = (sample.PROJECT / "notebooks/explore.ipynb").read_text().splitlines()
    assert "torch.histc(x, bins=4)" in text[int(match["line"]) - 1]
    assert match["message"].startswith("cell 2, line 2:")


def test_junit_one_suite_one_case_per_file_one_failure_per_finding() -> None:
    result = sample.run_result()
    root = ET.fromstring(junit.render(result))
    suites = root.findall("testsuite")
    assert len(suites) == 1
    cases = suites[0].findall("testcase")
    files = sorted({f.path for f in result.findings})
    assert sorted(c.get("name") for c in cases) == files
    assert sum(len(c.findall("failure")) for c in cases) == len(result.findings)
    data = next(c for c in cases if c.get("name") == "src/data.py")
    assert [f.get("type") for f in data.findall("failure")] == ["MLF104 (error)", "MLF104 (error)"]
    assert data.find("failure").text.startswith("src/data.py:4:5: MLF104")
    assert suites[0].get("tests") == str(len(files)) and suites[0].get("failures") == str(len(files))


def test_junit_clean_run_has_one_passing_case() -> None:
    root = ET.fromstring(junit.render(RunResult(root=sample.PROJECT, files_checked=3)))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 1 and cases[0].find("failure") is None and "3 files" in cases[0].get("name")
    assert root.find("testsuite").get("failures") == "0"


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "junit"])
def test_formats_are_registered_and_take_the_reporter_signature(fmt: str) -> None:
    assert fmt in FORMATS
    out = get_reporter(fmt)(sample.run_result(), color=False)
    assert isinstance(out, str) and out.endswith("\n") and "MLF104" in out

"""``mlf-lint audit`` without running a program: usage errors and the CI workflow example."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from click_compat import cli_runner

from actionlint_support import actionlint
from mlf_lint.audit.report import AUTOMATION_ID
from mlf_lint.cli import cli

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / "docs" / "audit-workflow.yml"


def test_the_audit_workflow_passes_actionlint(tmp_path: Path) -> None:
    proc = actionlint([WORKFLOW], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_audit_workflow_runs_a_few_steps_and_uploads_its_own_category() -> None:
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["audit"]
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "mlf-lint audit --max-steps" in runs and "--format sarif" in runs
    upload = next(s for s in job["steps"] if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["category"] + "/" == AUTOMATION_ID
    assert job["permissions"]["security-events"] == "write"
    assert "docs/audit-workflow.yml" in (REPO / "docs" / "audit.md").read_text()


# --- usage errors: one line, exit 2, nothing run ---------------------------------------------------

@pytest.mark.parametrize("args,message", [
    ([], "no program to run"),
    (["--", "no-such-program-xyz"], "no-such-program-xyz: command not found"),
    (["--", "missing.py"], "missing.py: no such file"),
])
def test_usage_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli_runner().invoke(cli, ["audit", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_records_folder_with_something_in_it_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "notes.txt").write_text("mine")
    (tmp_path / "script.py").write_text("print(1)\n")
    result = cli_runner().invoke(cli, ["audit", "--records", "keep", "--", sys.executable, "script.py"])
    assert result.exit_code == 2 and "must be new or empty" in result.output
    assert (tmp_path / "keep" / "notes.txt").read_text() == "mine"


def test_a_broken_config_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.mlf-lint]\nselect = 3\n")
    (tmp_path / "script.py").write_text("print(1)\n")
    result = cli_runner().invoke(cli, ["audit", "--", sys.executable, "script.py"])
    assert result.exit_code == 2 and "pyproject.toml" in result.output and "Traceback" not in result.output


def test_an_unexpected_error_is_one_line_unless_debugging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlf_lint.audit.session as session

    def broken(*args, **kwargs):
        raise KeyError("records")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(session, "audit", broken)
    (tmp_path / "script.py").write_text("print(1)\n")
    result = cli_runner().invoke(cli, ["audit", "--", sys.executable, "script.py"])
    assert result.exit_code == 2
    assert "mlf-lint audit: error: internal error: KeyError: 'records'" in result.output
    monkeypatch.setenv("MLF_LINT_DEBUG", "1")
    result = cli_runner().invoke(cli, ["audit", "--", sys.executable, "script.py"])
    assert isinstance(result.exception, KeyError)

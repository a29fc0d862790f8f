"""The audit's CI workflow example is valid and uploads under the audit's own SARIF category."""
from __future__ import annotations

from pathlib import Path

import yaml

from actionlint_support import actionlint
from mlf_lint.audit.report import AUTOMATION_ID

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

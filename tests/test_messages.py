"""Whole-message snapshots (ruff pins its message text this way): every finding on every rule fixture
and sample project, with its full message and severity, pinned in tests/snapshots/*.txt. A change
of wording shows up in review as a diff of these files.

Regenerate after a deliberate change:  python tests/test_messages.py
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fixture_support import FIXTURES, fixture_files, versions  # noqa: E402

SNAPSHOTS = Path(__file__).parent / "snapshots"
CODE_FOLDERS = ("general", "pytorch", "tensorflow", "xgboost")
REGENERATE = "python tests/test_messages.py"


def _line(path: str, finding) -> str:
    cell = f"cell {finding.cell}:" if finding.cell else ""
    return f"{path}:{cell}{finding.line}:{finding.col + 1}: {finding.code} [{finding.severity}] {finding.message}"


def _code_fixtures(folder: str) -> List[str]:
    from mlf_lint.engine.registry import all_rules
    from mlf_lint.lint.check import check_source
    from mlf_lint.lint.summaries import combine, summarize

    out = []
    for path in fixture_files(folder):
        source = path.read_text(encoding="utf-8")
        facts = combine({path.name: summarize(source)}, {path.name: source})
        facts.versions.update(versions(source))
        findings, _ = check_source(path.name, source, facts, set(all_rules()))
        out += [_line(f"{folder}/{path.name}", f) for f in findings]
    return out


def _projects() -> List[str]:
    from mlf_lint.engine.config import Config
    from mlf_lint.lint.runner import Options, run

    out = []
    for root in sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir()):
        config = Config(select=["ALL"])
        result = run(Options(paths=[root], config=config, root=root, base=root, use_cache=False, jobs=1))
        out += [_line(f"{root.name}/{f.path}", f) for f in result.findings]
    return out


def current() -> Dict[str, str]:
    """Snapshot file name -> its text, as the code produces it now."""
    texts = {f"{folder}.txt": _code_fixtures(folder) for folder in CODE_FOLDERS}
    texts["projects.txt"] = _projects()
    return {name: "".join(line + "\n" for line in lines) for name, lines in texts.items()}


@pytest.fixture(scope="module")
def produced() -> Dict[str, str]:
    return current()


@pytest.mark.parametrize("name", [f"{folder}.txt" for folder in CODE_FOLDERS] + ["projects.txt"])
def test_messages_match_their_snapshot(name: str, produced: Dict[str, str]) -> None:
    pinned = (SNAPSHOTS / name).read_text(encoding="utf-8")
    assert produced[name] == pinned, f"messages changed: review the diff, then run `{REGENERATE}`"


def test_every_rule_with_a_fixture_has_its_message_pinned(produced: Dict[str, str]) -> None:
    from fixture_support import expectations

    announced = {code for folder in CODE_FOLDERS for path in fixture_files(folder)
                 for _, _, code in expectations(path.read_text(encoding="utf-8"))}
    pinned = "".join(produced.values())
    assert not [code for code in sorted(announced) if f" {code} [" not in pinned]


if __name__ == "__main__":
    SNAPSHOTS.mkdir(exist_ok=True)
    for file_name, text in current().items():
        (SNAPSHOTS / file_name).write_text(text, encoding="utf-8")
        print(f"wrote {SNAPSHOTS / file_name} ({text.count(chr(10))} findings)")

"""`mlf-lint bump-version`: precise replacement, CHANGELOG section, downgrade guard, mismatches."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Dict

import pytest
import yaml
from click_compat import cli_runner

from mlf_lint.cli import cli
from mlf_lint.scaffold.bump_version import (BumpError, add_changelog_section, bump, find_versions, parse_version,
                                            version_mismatches)
from mlf_lint.scaffold.registry import PROJECT_RECORD

FILES = {
    "setup.cfg": "[metadata]\nname = demo\nversion = 1.2.3\n\n[options]\ninstall_requires =\n"
                 "    foo==1.2.3\npython_requires = >=3.9\n",
    "demo/__init__.py": '"""Demo 1.2.3."""\n__version__ = "1.2.3"\nOTHER = "1.2.3"\n',
    "MLproject.yaml": "name: demo\nversion: 1.2.3\nsteps:\n  - python-version: 1.2.3\n  - version: 1.2.30\n",
    "package.json": '{\n  "name": "demo",\n  "version": "1.2.3",\n  "deps": {"x": "1.2.3"}\n}\n',
    "Dockerfile": "FROM python:3.11\nARG VERSION=1.2.3\nLABEL version=\"1.2.3\"\n",
}
CHANGELOG = "# Changelog\n\nAll notable changes.\n\n## [1.2.3] - 2024-01-01\n\n### Added\n\n- first\n"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    (tmp_path / PROJECT_RECORD).write_text(yaml.safe_dump({
        "template": {"handle": "demo", "version": "1.0.0"}, "answers": {"project_slug": "demo"},
        "bump_version": {"files": list(FILES)}}))
    return tmp_path


def contents(project: Path) -> Dict[str, str]:
    return {name: (project / name).read_text() for name in [*FILES, "CHANGELOG.md"]}


def invoke(*args: str):
    return cli_runner().invoke(cli, ["bump-version", *args])


def test_bump_replaces_only_version_assignments(project: Path) -> None:
    result = invoke("1.3.0", str(project))
    assert result.exit_code == 0, result.output
    assert "version 1.2.3 -> 1.3.0" in result.output
    expected = FILES["setup.cfg"].replace("version = 1.2.3", "version = 1.3.0")
    assert (project / "setup.cfg").read_text() == expected
    assert (project / "demo/__init__.py").read_text() == (
        '"""Demo 1.2.3."""\n__version__ = "1.3.0"\nOTHER = "1.2.3"\n')
    assert (project / "MLproject.yaml").read_text() == (
        "name: demo\nversion: 1.3.0\nsteps:\n  - python-version: 1.2.3\n  - version: 1.2.30\n")
    assert '"version": "1.3.0"' in (project / "package.json").read_text()
    assert '"x": "1.2.3"' in (project / "package.json").read_text()
    assert (project / "Dockerfile").read_text() == (
        'FROM python:3.11\nARG VERSION=1.3.0\nLABEL version="1.3.0"\n')


def test_changelog_section_is_added_with_todays_date(project: Path) -> None:
    assert invoke("1.3.0", str(project)).exit_code == 0
    text = (project / "CHANGELOG.md").read_text()
    section = (f"## [1.3.0] - {dt.date.today().isoformat()}\n\n"
               "### Added\n\n### Changed\n\n### Fixed\n\n### Removed\n\n")
    old = "## [1.2.3] - 2024-01-01\n\n### Added\n\n- first\n"
    assert text == "# Changelog\n\nAll notable changes.\n\n" + section + old


def test_unreleased_entries_become_the_release() -> None:
    text = "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- a seed bug\n\n## [1.0.0] - 2024-01-01\n"
    updated = add_changelog_section(text, parse_version("1.1.0"), dt.date(2025, 3, 4))
    assert updated == ("# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2025-03-04\n\n"
                       "### Fixed\n\n- a seed bug\n\n"
                       "## [1.0.0] - 2024-01-01\n")


def test_changelog_edge_cases() -> None:
    day = dt.date(2025, 1, 2)
    released = "# Changelog\n\n## [2.0.0] - 2025-01-01\n"
    assert add_changelog_section(released, parse_version("2.0.0"), day) is None
    empty = add_changelog_section("# Changelog\n", parse_version("0.1.0"), day)
    assert empty.startswith("# Changelog\n\n## [0.1.0] - 2025-01-02\n\n### Added\n")
    crlf = add_changelog_section("# Changelog\r\n\r\n## [0.1.0] - 2024-01-01\r\n",
                                 parse_version("0.2.0"), day)
    assert "\n" not in crlf.replace("\r\n", "") and "## [0.2.0] - 2025-01-02\r\n" in crlf
    snapshot = add_changelog_section("# Changelog\n\n## [0.1.0] - 2024-01-01\n",
                                     parse_version("0.2.0-SNAPSHOT"), day)
    assert "## [Unreleased]\n\n### Added" in snapshot and "0.2.0-SNAPSHOT" not in snapshot


def test_downgrade_is_refused_unless_asked(project: Path) -> None:
    before = contents(project)
    result = invoke("1.2.2", str(project))
    assert result.exit_code == 2
    assert "1.2.2 is lower than the current version 1.2.3; pass --downgrade" in result.output
    assert contents(project) == before
    result = invoke("1.2.2", str(project), "--downgrade")
    assert result.exit_code == 0, result.output
    assert '__version__ = "1.2.2"' in (project / "demo/__init__.py").read_text()


def test_same_version_and_bad_versions_are_refused(project: Path) -> None:
    before = contents(project)
    assert "already at version 1.2.3" in invoke("1.2.3", str(project)).output
    for bad in ("1.3", "v1.3.0", "1.3.0-rc1", "1.3.0-snapshot"):
        result = invoke(bad, str(project))
        assert result.exit_code == 2 and "expected X.Y.Z or X.Y.Z-SNAPSHOT" in result.output, bad
    assert contents(project) == before


def test_snapshot_versions_order_before_their_release(project: Path) -> None:
    assert parse_version("1.3.0-SNAPSHOT") < parse_version("1.3.0") < parse_version("1.3.1-SNAPSHOT")
    assert invoke("1.3.0-SNAPSHOT", str(project)).exit_code == 0
    assert "version = 1.3.0-SNAPSHOT" in (project / "setup.cfg").read_text()
    assert "## [Unreleased]" in (project / "CHANGELOG.md").read_text()
    result = invoke("1.3.0", str(project))  # a release after its snapshot is an upgrade
    assert result.exit_code == 0, result.output
    assert "version = 1.3.0\n" in (project / "setup.cfg").read_text()


def test_project_version_prints_the_current_one(project: Path) -> None:
    result = invoke("--project-version", str(project))
    assert result.exit_code == 0 and result.output.strip() == "1.2.3"
    result = cli_runner().invoke(cli, ["bump-version", "--project-version", str(project)])
    assert result.output.strip() == "1.2.3"


def test_mismatches_are_reported_and_block_a_bump(project: Path) -> None:
    assert version_mismatches(project) == []
    (project / "demo/__init__.py").write_text('__version__ = "1.2.2"\n')
    (project / "Dockerfile").write_text("FROM python:3.11\n")
    assert version_mismatches(project) == [("demo/__init__.py", 1, "1.2.2", "1.2.3"),
                                           ("Dockerfile", 0, "", "1.2.3")]
    before = contents(project)
    result = invoke("1.3.0", str(project))
    assert result.exit_code == 2 and "demo/__init__.py:1 has 1.2.2" in result.output
    assert contents(project) == before


def test_missing_listed_file_and_missing_record(project: Path, tmp_path: Path) -> None:
    (project / "Dockerfile").unlink()
    result = invoke("1.3.0", str(project))
    assert result.exit_code == 2 and "Dockerfile: listed in" in result.output
    assert ("Dockerfile", 0, "", "1.2.3") in version_mismatches(project)
    (project / PROJECT_RECORD).unlink()
    result = invoke("1.3.0", str(project))
    assert result.exit_code == 2 and "no .mlf-lint-project.yml" in result.output
    assert "Traceback" not in result.output
    assert version_mismatches(project) == []


def test_crlf_files_keep_their_line_endings(project: Path) -> None:
    (project / "setup.cfg").write_bytes(b"[metadata]\r\nversion = 1.2.3\r\n")
    bump(project, "2.0.0", today=dt.date(2025, 1, 1))
    assert (project / "setup.cfg").read_bytes() == b"[metadata]\r\nversion = 2.0.0\r\n"


def test_find_versions_is_precise() -> None:
    text = ("python_requires = 1.2.3\nmy_version = 1.2.3\nversion = '1.2.3'\nrelease = \"1.2.3\"\n"
            "version = 1.2.3-rc1\nversion = 1.2.3.4\nversion = 1.2.3+local\n  - version: 1.2.3\n"
            "Version: 1.2.30\n")
    found = [(o.line, o.version) for o in find_versions(text, "f")]
    assert found == [(3, "1.2.3"), (4, "1.2.3"), (9, "1.2.30")]


def test_bump_error_leaves_no_partial_write(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "package.json").write_text('{"name": "demo"}\n')  # no version: refuse before writing
    before = contents(project)
    with pytest.raises(BumpError, match="package.json: no version string found"):
        bump(project, "1.3.0")
    assert contents(project) == before


def test_tags_of_the_projects_own_image_are_bumped(project: Path) -> None:
    text = ("# docker build -t ghcr.io/acme/demo:1.2.3 .\ndocker_env:\n  image: demo:1.2.3\n"
            "base: python:1.2.3\nother: notdemo:1.2.3\nrc: demo:1.2.3-rc1\n")
    (project / "MLproject").write_text(text)
    record = yaml.safe_load((project / PROJECT_RECORD).read_text())
    record["bump_version"]["files"].append("MLproject")
    (project / PROJECT_RECORD).write_text(yaml.safe_dump(record))
    assert invoke("1.3.0", str(project)).exit_code == 0
    assert (project / "MLproject").read_text() == text.replace("/demo:1.2.3 ", "/demo:1.3.0 ").replace(
        "image: demo:1.2.3", "image: demo:1.3.0")


# --- nothing outside the project is edited (issue 19, item 3) -----------------------------------


def _record_files(project: Path, files: list, changelog: str = "CHANGELOG.md") -> None:
    record = yaml.safe_load((project / PROJECT_RECORD).read_text())
    record["bump_version"] = {"files": files, "changelog": changelog}
    (project / PROJECT_RECORD).write_text(yaml.safe_dump(record))


@pytest.mark.parametrize("entry", ["../{name}/setup.cfg", "{outside}/setup.cfg", "link-out/setup.cfg"])
def test_record_cannot_make_bump_version_edit_files_outside(project: Path, entry: str) -> None:
    outside = project.parent / f"outside-{project.name}"
    outside.mkdir()
    (outside / "setup.cfg").write_text("[metadata]\nversion = 1.2.3\n")
    (project / "link-out").symlink_to(outside, target_is_directory=True)
    _record_files(project, ["setup.cfg", entry.format(outside=outside, name=outside.name)])
    before = contents(project)
    result = invoke("1.3.0", str(project))
    assert result.exit_code == 2, result.output
    assert "lies outside the project" in result.output and "Traceback" not in result.output
    assert (outside / "setup.cfg").read_text() == "[metadata]\nversion = 1.2.3\n"
    assert contents(project) == before


def test_record_cannot_point_the_changelog_outside(project: Path) -> None:
    outside = project.parent / f"NOTES-{project.name}.md"
    outside.write_text(CHANGELOG)
    _record_files(project, list(FILES), changelog=f"../{outside.name}")
    result = invoke("1.3.0", str(project))
    assert result.exit_code == 2 and "bump_version.changelog" in result.output
    assert outside.read_text() == CHANGELOG and (project / "setup.cfg").read_text() == FILES["setup.cfg"]


def test_a_link_inside_the_project_is_edited_through_and_kept(project: Path) -> None:
    (project / "conf").mkdir()
    (project / "conf" / "version.cfg").write_text("[metadata]\nversion = 1.2.3\n")
    (project / "version-link.cfg").symlink_to(project / "conf" / "version.cfg")
    _record_files(project, [*FILES, "version-link.cfg"])
    assert invoke("1.3.0", str(project)).exit_code == 0
    assert (project / "version-link.cfg").is_symlink()
    assert (project / "conf" / "version.cfg").read_text() == "[metadata]\nversion = 1.3.0\n"

"""The library-version model: pins read from project files, and the --target-version override."""
from __future__ import annotations

from pathlib import Path

import pytest

from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.project_checks import check_project
from mlf_lint.engine.versions import Version, in_range, parse_version, pinned_in
from mlf_lint.project_checks.versions import parse_target_versions, pinned_versions

PROJECTS = Path(__file__).parent / "fixtures" / "projects"


@pytest.mark.parametrize("name,expected", [
    ("conda", {"torch": "2.1.0", "lightning": "2.1.3"}),   # environment.yml wins over requirements.txt
    ("pip", {"torch": "1.13.1"}),
    ("docker", {"torch": "2.1.0", "xgboost": "2.0.3"}),
    ("mlproject", {"torch": "1.13.1"}),
    ("mlf-core", {"torch": "1.13.1", "lightning": "1.8.6"}),
    ("clean", {"torch": "2.1.2", "lightning": "2.1.3"}),
])
def test_pinned_versions_of_samples(name: str, expected: dict) -> None:
    assert pinned_versions(PROJECTS / name) == expected


def test_lock_file_wins_and_one_level_down_is_read(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text("FROM tensorflow/tensorflow:2.15.0-gpu\n")
    (tmp_path / "requirements.txt").write_text("torch==2.1.0\nkeras==3.0.5\n")
    (tmp_path / "poetry.lock").write_text('[[package]]\nname = "torch"\nversion = "2.2.2"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "requirements.txt").write_text("xgboost==1.7.6\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "requirements.txt").write_text("xgboost==1.0.0\n")
    assert pinned_versions(tmp_path) == {"torch": "2.2.2", "tensorflow": "2.15.0", "keras": "3.0.5"}


def test_conda_prefix_pin_is_a_fallback(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text("dependencies:\n  - pytorch=2.1\n  - tensorflow-gpu==2.6.0\n")
    assert pinned_versions(tmp_path) == {"torch": "2.1", "tensorflow": "2.6.0"}


def test_broken_files_pin_nothing_and_do_not_raise(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text("dependencies: [\n")
    (tmp_path / "pyproject.toml").write_text("[project\n")
    (tmp_path / "requirements.txt").write_bytes(b"\xff\xfe")
    assert pinned_versions(tmp_path) == {}


def test_parse_target_versions() -> None:
    assert parse_target_versions(["torch=2.4", "pytorch-lightning==2.1.0,tensorflow-gpu=2.15"]) == {
        "torch": "2.4", "lightning": "2.1.0", "tensorflow": "2.15"}
    for bad, words in [("torch", "LIBRARY=VERSION"), ("numpy=1.0", "unknown library"), ("torch=abc", "not a version")]:
        with pytest.raises(ValueError, match=words):
            parse_target_versions([bad])


def test_pinned_in() -> None:
    assert pinned_in({"torch": "2.9.1+cu121"}, "torch", ">=1.8,<2.10") is True
    assert pinned_in({"torch": "2.10.0"}, "torch", ">=1.8,<2.10") is False
    assert pinned_in({"torch": "1.7.1"}, "torch", ">=1.8,<2.10") is False
    assert pinned_in({}, "torch", ">=1.8,<2.10") is None


def test_one_answer_to_unknown() -> None:
    # A version that cannot be read is unknown everywhere: no range holds or fails for it, and a
    # rule that needs one assumes the newest known release (not 0.0.0).
    assert parse_version("latest") is None and pinned_in({"torch": "latest"}, "torch", "<2.10") is None
    from mlf_lint.engine.context import TrackedFacts
    from mlf_lint.engine.facts import ProjectFacts
    from mlf_lint.engine.versions import newest_known

    assert TrackedFacts(ProjectFacts(versions={"torch": "latest"})).version("torch") == newest_known("torch")


def test_library_versions_parse_and_compare() -> None:
    assert parse_version("2.1.0+cu118") == parse_version("v2.1") == Version((2, 1, 0))
    assert parse_version("2.4rc1") == Version((2, 4, 0))
    assert str(Version.parse("2.10")) == "2.10.0" and Version.parse("2.10") > Version.parse("2.9.9")
    assert in_range(Version.parse("2.5"), ">=1.13,<2.6") and not in_range(Version.parse("2.6"), ">=1.13,<2.6")


def test_project_versions_and_their_snapshots() -> None:
    snapshot, release = Version.project("1.3.0-SNAPSHOT"), Version.project("1.3.0")
    assert snapshot < release < Version.project("1.3.1-SNAPSHOT")
    assert str(snapshot) == "1.3.0-SNAPSHOT" and snapshot.difference(release) == "patch"
    assert Version.project("2.0.0").difference(release) == "major" and release.difference(release) is None
    for bad in ("1.3", "1.3.0rc1", "v1.3.0"):
        try:
            Version.project(bad)
        except ValueError as exc:
            assert "expected X.Y.Z or X.Y.Z-SNAPSHOT" in str(exc)
        else:
            raise AssertionError(bad)


def _cublas_findings(tmp_path: Path, versions: dict) -> list:
    (tmp_path / "requirements.txt").write_text(f"torch=={versions.get('pin', '1.13.1')}\n")
    facts = ProjectFacts(torch_deterministic=[("train.py", 4)], uses_cuda=[("train.py", 7)],
                         versions={k: v for k, v in versions.items() if k != "pin"})
    return [(f.code, f.path, f.line) for f in check_project(tmp_path, [tmp_path / "requirements.txt"], facts)]


def test_cublas_missing_follows_the_pinned_torch(tmp_path: Path) -> None:
    assert _cublas_findings(tmp_path, {"torch": pinned_versions_for(tmp_path, "1.13.1")}) == [
        ("MLF401", "train.py", 4)]
    assert _cublas_findings(tmp_path, {"torch": pinned_versions_for(tmp_path, "2.10.0"), "pin": "2.10.0"}) == []
    assert _cublas_findings(tmp_path, {"torch": "1.7.1"}) == []  # no deterministic mode check before 1.8


def test_cublas_missing_with_target_version_override(tmp_path: Path) -> None:
    override = parse_target_versions(["torch=2.10"])
    assert _cublas_findings(tmp_path, {**{"torch": "1.13.1"}, **override}) == []
    override = parse_target_versions(["torch=2.4"])
    assert _cublas_findings(tmp_path, {**{"torch": "2.10.0"}, **override}) == [("MLF401", "train.py", 4)]


def test_cublas_missing_when_torch_is_not_pinned(tmp_path: Path) -> None:
    facts = ProjectFacts(torch_deterministic=[("train.py", 4)], uses_cuda=[("train.py", 7)])
    found = check_project(tmp_path, [], facts)
    assert [f.code for f in found] == ["MLF401"] and "not pinned" in found[0].message
    assert check_project(tmp_path, [], ProjectFacts(torch_deterministic=[("train.py", 4)])) == []  # CPU only


def pinned_versions_for(tmp_path: Path, version: str) -> str:
    """Write the pin and read it back through the version model, as the engine does."""
    (tmp_path / "requirements.txt").write_text(f"torch=={version}\n")
    return pinned_versions(tmp_path)["torch"]

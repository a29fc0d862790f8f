"""`mlf-lint fix-artifact-paths`: rewrite file: artifact locations of a copied mlruns/ store."""

from __future__ import annotations

from click_compat import cli_runner

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
import yaml
from click.testing import Result

from mlf_lint.cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "evidence" / "mlruns_copied"
RUN = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
REMOTE = "b1b2c3d4e5f60718293a4b5c6d7e8f90"
BROKEN = "1/c1b2c3d4e5f60718293a4b5c6d7e8f90/meta.yaml"
CUSTOM = "1/d1b2c3d4e5f60718293a4b5c6d7e8f90/meta.yaml"


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    copy = tmp_path / "project with space" / "mlruns"
    shutil.copytree(FIXTURE, copy)
    return copy.resolve()


def snapshot(root: Path) -> Dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def invoke(*args: str) -> Result:
    return cli_runner().invoke(cli, ["fix-artifact-paths", *args], catch_exceptions=False)


def meta(root: Path, rel: str) -> dict:
    return yaml.safe_load((root / rel).read_text())


def test_dry_run_prints_changes_and_writes_nothing(store: Path) -> None:
    before = snapshot(store)
    result = invoke(str(store), "--dry-run")
    assert result.exit_code == 1  # the broken meta.yaml
    assert snapshot(store) == before
    assert (
        f"would change 0/{RUN}/meta.yaml: artifact_uri: file:///home/alice/project/mlruns/0/{RUN}/artifacts"
        f" -> {(store / '0' / RUN / 'artifacts').as_uri()}"
    ) in result.output
    assert "5 would change" in result.output


def test_rewrites_local_locations_only(store: Path) -> None:
    before = snapshot(store)
    result = invoke(str(store))
    assert result.exit_code == 1
    assert meta(store, "0/meta.yaml")["artifact_location"] == (store / "0").as_uri()
    assert meta(store, f"0/{RUN}/meta.yaml")["artifact_uri"] == (store / "0" / RUN / "artifacts").as_uri()
    assert (
        meta(store, "0/models/m-0123456789abcdef/meta.yaml")["artifact_location"]
        == (store / "0" / "models" / "m-0123456789abcdef" / "artifacts").as_uri()
    )
    # A plain path (old MLflow) stays a plain path; a deleted experiment points where it is restored to.
    assert meta(store, "1/meta.yaml")["artifact_location"] == str(store / "1")
    assert meta(store, ".trash/2/meta.yaml")["artifact_location"] == (store / "2").as_uri()
    after = snapshot(store)
    untouched = [
        f"0/{REMOTE}/meta.yaml",
        CUSTOM,
        BROKEN,
        f"0/{RUN}/artifacts/model/meta.yaml",
        f"0/{RUN}/artifacts/weights.txt",
    ]
    for rel in untouched:
        assert after[rel] == before[rel], rel
    assert (
        f"left alone (remote location) 0/{REMOTE}/meta.yaml: artifact_uri: s3://team-bucket" in result.output
    )
    assert f"left alone (custom location outside the store layout) {CUSTOM}" in result.output
    assert set(after) == set(before)  # no temporary files left behind


def test_only_the_location_line_changes(store: Path) -> None:
    before = (store / "0" / RUN / "meta.yaml").read_text().splitlines()
    invoke(str(store))
    after = (store / "0" / RUN / "meta.yaml").read_text().splitlines()
    assert [i for i, (a, b) in enumerate(zip(before, after)) if a != b] == [0]
    assert len(before) == len(after)


def test_broken_meta_yaml_is_reported_and_left_alone(store: Path) -> None:
    before = (store / BROKEN).read_bytes()
    result = invoke(str(store))  # output holds stderr too (click's default)
    assert result.exit_code == 1
    assert f"error: {BROKEN}: cannot parse, not changed:" in result.output
    assert (store / BROKEN).read_bytes() == before
    assert "Traceback" not in result.output


def test_second_run_finds_everything_correct(store: Path) -> None:
    (store / BROKEN).unlink()
    assert invoke(str(store)).exit_code == 0
    before = snapshot(store)
    result = invoke(str(store))
    assert result.exit_code == 0
    assert "0 changed, 5 location(s) already correct, 2 left alone, 0 error(s)" in result.output
    assert snapshot(store) == before


def test_project_folder_and_default_path(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (store / BROKEN).unlink()
    monkeypatch.chdir(store.parent)
    result = invoke("--dry-run")  # default ./mlruns
    assert result.exit_code == 0 and "5 would change" in result.output
    result = invoke(str(store.parent), "--dry-run")  # a project folder holding mlruns/
    assert result.exit_code == 0 and "5 would change" in result.output


@pytest.mark.parametrize("make", ["missing", "not-a-store"])
def test_path_that_is_not_a_store_exits_2(tmp_path: Path, make: str) -> None:
    target = tmp_path / "nope"
    if make == "not-a-store":
        target.mkdir()
        (target / "notes.txt").write_text("hello")
    result = invoke(str(target))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert ("no such folder" if make == "missing" else "not an MLflow file store") in result.output


def test_subprocess(store: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mlf_lint", "fix-artifact-paths", str(store)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"changed 0/{RUN}/meta.yaml" in done.stdout
    assert f"error: {BROKEN}: cannot parse" in done.stderr


def test_mlflow_reads_artifacts_after_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store written by real MLflow, moved to another folder, is readable again after the fix."""
    pytest.importorskip("mlflow")
    original = tmp_path / "machine-a"
    original.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MLFLOW_TRACKING_URI=(original / "mlruns").as_uri(), MLFLOW_ALLOW_FILE_STORE="true")
    code = (
        "import mlflow\nopen('w.txt','w').write('w')\n"
        "with mlflow.start_run() as r:\n    mlflow.log_artifact('w.txt')\n    print(r.info.run_id)\n"
    )
    run_id = subprocess.run(
        [sys.executable, "-c", code],
        cwd=original,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()[-1]
    moved = tmp_path / "machine-b" / "mlruns"
    shutil.move(str(original / "mlruns"), str(moved))
    env["MLFLOW_TRACKING_URI"] = moved.as_uri()
    listing = (
        "from mlflow.tracking import MlflowClient\n"
        f"print([f.path for f in MlflowClient().list_artifacts('{run_id}')])\n"
    )

    def artifacts_mlflow_sees() -> str:
        return subprocess.run(
            [sys.executable, "-c", listing], env=env, capture_output=True, text=True, timeout=120, check=True
        ).stdout.strip()

    assert artifacts_mlflow_sees() == "[]"  # the copied store points at machine-a
    assert invoke(str(moved)).exit_code == 0
    assert artifacts_mlflow_sees() == "['w.txt']"


# --- links: nothing outside the store is read or written (issue 19, item 3) ---------------------


def test_a_linked_experiment_folder_is_not_followed_out_of_the_store(store: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "7"
    shutil.copytree(store / "0", outside)
    before = snapshot(outside.parent)
    (store / "7").symlink_to(outside, target_is_directory=True)
    result = invoke(str(store))
    assert snapshot(outside.parent) == before
    assert (store / "7").is_symlink()
    assert f"left alone (symbolic link, not followed) 7: link: {outside}" in result.output
    assert "changed 7/" not in result.output


def test_a_linked_meta_yaml_stays_a_link_and_its_target_unchanged(store: Path, tmp_path: Path) -> None:
    run_meta = store / "0" / RUN / "meta.yaml"
    target = tmp_path / "kept-elsewhere.yaml"
    target.write_bytes(run_meta.read_bytes())
    run_meta.unlink()
    run_meta.symlink_to(target)
    before = target.read_bytes()
    result = invoke(str(store))
    assert run_meta.is_symlink() and os.readlink(run_meta) == str(target)
    assert target.read_bytes() == before
    assert f"left alone (symbolic link, not followed) 0/{RUN}/meta.yaml: link: {target}" in result.output
    # The rest of the store is still fixed.
    assert meta(store, "0/meta.yaml")["artifact_location"] == (store / "0").as_uri()


def test_a_link_swapped_in_after_planning_is_not_written(store: Path, tmp_path: Path) -> None:
    from mlf_lint.evidence.artifact_paths import apply_fixes, plan_fixes

    plan = plan_fixes(store)
    run_meta = store / "0" / RUN / "meta.yaml"
    target = tmp_path / "swapped.yaml"
    target.write_bytes(run_meta.read_bytes())
    run_meta.unlink()
    run_meta.symlink_to(target)
    failures = dict(apply_fixes(plan))
    assert "link out of the store" in failures[run_meta]
    assert run_meta.is_symlink() and target.read_bytes() == (FIXTURE / "0" / RUN / "meta.yaml").read_bytes()

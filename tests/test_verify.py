"""`mlf-lint verify`: runs a command several times and compares its outputs bit for bit."""

from __future__ import annotations

from click_compat import cli_runner

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import pytest
from click.testing import Result

from mlf_lint.cli import cli
from mlf_lint.evidence.exclusions import Exclusions
from mlf_lint.evidence.tree_diff import compare_trees, first_differing_offset, list_files

FIXTURES = Path(__file__).parent / "fixtures" / "evidence"
PY = sys.executable


def script(name: str) -> str:
    return str(FIXTURES / name)


def invoke(args: List[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(cwd)
    return cli_runner().invoke(cli, ["verify", "--no-progress", *args], catch_exceptions=False)


def first_diff(hex_a: str, hex_b: str, header: int = 16) -> int:
    a, b = bytes.fromhex(hex_a), bytes.fromhex(hex_b)
    return header + next(i for i in range(len(a)) if a[i] != b[i])


def history(cwd: Path) -> List[str]:
    return (cwd / "history.txt").read_text().splitlines()


# --- artifacts -------------------------------------------------------------------------------


def test_seeded_script_is_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(
        ["--artifact", "out", "--", PY, script("write_outputs.py"), "seeded"], tmp_path, monkeypatch
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("identical: 2 runs")
    assert "2 file(s)" in result.output
    assert len(history(tmp_path)) == 2  # really ran twice


def test_unseeded_script_reports_path_and_byte_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = invoke(["-a", "out", "--", PY, script("write_outputs.py"), "unseeded"], tmp_path, monkeypatch)
    assert result.exit_code == 1, result.output
    run1, run2 = history(tmp_path)
    expected = first_diff(run1, run2)
    assert (
        f"first difference: artifact out/nested/data.bin differs at byte offset {expected} (run 1 vs run 2)"
        in result.output
    )
    assert "const.txt" not in result.output


def test_three_runs_compare_each_against_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(
        ["--runs", "3", "--format", "json", "-a", "out", "--", PY, script("write_outputs.py"), "unseeded"],
        tmp_path,
        monkeypatch,
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    run1, run2, run3 = history(tmp_path)
    assert report["runs_completed"] == 3 and len(report["durations_s"]) == 3
    assert report["differences"] == [
        {
            "kind": "artifact",
            "name": "out/nested/data.bin",
            "run_a": 1,
            "run_b": 2,
            "offset": first_diff(run1, run2),
        },
        {
            "kind": "artifact",
            "name": "out/nested/data.bin",
            "run_a": 1,
            "run_b": 3,
            "offset": first_diff(run1, run3),
        },
    ]
    assert report["first_difference"] == report["differences"][0]
    assert "mlflow.*" in report["excluded"]["tags"]


def test_ignore_pattern_leaves_a_file_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(
        ["-a", "out", "--ignore-pattern", "*.bin", "--", PY, script("write_outputs.py"), "unseeded"],
        tmp_path,
        monkeypatch,
    )
    assert result.exit_code == 0, result.output
    assert "1 file(s)" in result.output


def test_artifact_is_removed_before_each_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "out.txt").write_text("stale output of an earlier run\n")
    result = invoke(["-a", "out.txt", "--", PY, script("write_once.py")], tmp_path, monkeypatch)
    assert result.exit_code == 1, result.output
    assert "artifact out.txt: only in run 1" in result.output


def test_failing_command_exits_2_with_its_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(["-a", "out", "--", PY, script("fail.py")], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "command failed: run 1 of 2: exited with status 3" in result.output
    assert "CUDA out of memory" in result.output


def test_failing_command_in_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(["--format", "json", "-a", "out", "--", PY, script("fail.py")], tmp_path, monkeypatch)
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["status"] == "command-failed" and report["runs_completed"] == 0
    assert "loading data" in report["failure_output"]


def test_timeout_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(
        ["--timeout", "0.5", "-a", "x", "--", PY, script("wait_forever.py")], tmp_path, monkeypatch
    )
    assert result.exit_code == 2
    assert "timed out after 0.5 s" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "1", "-a", "out", "--", "true"], "need at least 2 runs"),
        (["--", "true"], "nothing to compare"),
        (["-a", "..", "--", "true"], "must name a file or folder inside the working directory"),
        (["-a", ".", "--", "true"], "must name a file or folder inside the working directory"),
        (["-a", "never-written", "--", PY, "-c", "pass"], "--artifact never-written: no run produced it"),
        (["-a", "out", "--", "no-such-command-xyz"], "command not found: no-such-command-xyz"),
        (["--mlflow", "--tracking-uri", "http://127.0.0.1:5000", "--", "true"], "give a file: store"),
    ],
)
def test_bad_input_is_one_clear_line(
    args: List[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = invoke(args, tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_git_checkout_is_never_an_artifact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "src" / ".git").mkdir(parents=True)
    result = invoke(["-a", "src", "--", "true"], tmp_path, monkeypatch)
    assert result.exit_code == 2 and "is a git checkout" in result.output
    assert (tmp_path / "src" / ".git").is_dir()


# --- comparison details ----------------------------------------------------------------------


def test_first_differing_offset_across_chunks_and_prefixes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    data = bytes(range(256)) * 8192  # 2 MiB: spans two read chunks
    a.write_bytes(data)
    b.write_bytes(data[:1_500_000] + b"\xff" + data[1_500_001:])
    c.write_bytes(data[:1000])
    assert first_differing_offset(a, a) is None
    assert data[1_500_000] != 0xFF
    assert first_differing_offset(a, b) == 1_500_000
    assert first_differing_offset(a, c) == 1000
    assert first_differing_offset(c, a) == 1000


def test_mlmodel_differing_only_in_run_id_is_the_same(tmp_path: Path) -> None:
    for run, extra in (("1", "flavor: a"), ("2", "flavor: a"), ("3", "flavor: b")):
        folder = tmp_path / run / "model"
        folder.mkdir(parents=True)
        (folder / "MLmodel").write_text(f"run_id: r{run}\nutc_time_created: '2024-0{run}'\n{extra}\n")
    files = [list_files(tmp_path / run, Exclusions()) for run in ("1", "2", "3")]
    assert compare_trees(files[0], files[1], 1, 2) == []
    (difference,) = compare_trees(files[0], files[2], 1, 3)
    assert difference.name == "model/MLmodel"
    assert difference.detail.startswith("differs in key 'flavor' (ignoring run_id, utc_time_created")


# --- MLflow ----------------------------------------------------------------------------------


@pytest.fixture()
def mlflow_env(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mlflow")
    # Whatever the developer has configured must not leak in: verify sets its own store per run.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.setenv("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "false")


def test_mlflow_seeded_run_is_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_env: None
) -> None:
    result = invoke(
        ["--mlflow", "--format", "json", "--", PY, script("log_mlflow_run.py"), "seeded"],
        tmp_path,
        monkeypatch,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["compared"] == {
        "mlflow_runs": 1,
        "metrics": 2,
        "params": 1,
        "tags": 1,
        "mlflow_artifacts": 1,
    }
    assert not (tmp_path / "mlruns").exists()  # the per-run stores lived in the temporary folder


def test_mlflow_reports_first_differing_metric(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_env: None
) -> None:
    result = invoke(
        ["--mlflow", "--", PY, script("log_mlflow_run.py"), "unseeded-metric"], tmp_path, monkeypatch
    )
    assert result.exit_code == 1, result.output
    run1, run2 = (line.split() for line in history(tmp_path))
    assert f"first difference: metric loss at step 2: run 1 = {run1[2]}, run 2 = {run2[2]}" in result.output
    assert "accuracy" not in result.output and "lr" not in result.output


def test_mlflow_reports_differing_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_env: None
) -> None:
    result = invoke(
        ["--mlflow", "--format", "json", "--", PY, script("log_mlflow_run.py"), "unseeded-artifact"],
        tmp_path,
        monkeypatch,
    )
    assert result.exit_code == 1, result.output
    run1, run2 = (line.split()[-1] for line in history(tmp_path))
    offset = len("weights ") + next(i for i, (x, y) in enumerate(zip(run1, run2)) if x != y)
    assert json.loads(result.output)["differences"] == [
        {"kind": "mlflow-artifact", "name": "weights.txt", "run_a": 1, "run_b": 2, "offset": offset}
    ]


def test_mlflow_ignore_metric(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_env: None) -> None:
    result = invoke(
        ["--mlflow", "--ignore-metric", "lo*", "--", PY, script("log_mlflow_run.py"), "unseeded-metric"],
        tmp_path,
        monkeypatch,
    )
    assert result.exit_code == 0, result.output
    assert "1 metric(s)" in result.output


def test_mlflow_shared_tracking_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_env: None
) -> None:
    store = tmp_path / "shared-store"
    result = invoke(
        [
            "--mlflow",
            "--tracking-uri",
            store.as_uri(),
            "--",
            PY,
            script("log_mlflow_run.py"),
            "unseeded-metric",
        ],
        tmp_path,
        monkeypatch,
    )
    assert result.exit_code == 1, result.output
    assert "metric loss at step 2" in result.output
    assert len(list(store.glob("*/*/meta.yaml"))) == 2  # both runs kept in the user's store


def test_mlflow_command_that_logs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_env: None
) -> None:
    result = invoke(["--mlflow", "--", PY, "-c", "pass"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "the command logged no MLflow run" in result.output


# --- as a subprocess -------------------------------------------------------------------------


def run_cli(args: List[str], cwd: Path, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "-m", "mlf_lint", "verify", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_subprocess_identical_and_different(tmp_path: Path) -> None:
    same = run_cli(["-a", "out", "--", PY, script("write_outputs.py"), "seeded"], tmp_path)
    assert same.returncode == 0 and same.stdout.startswith("identical"), same.stderr
    different = run_cli(
        ["--format", "json", "-a", "out", "--", PY, script("write_outputs.py"), "unseeded"], tmp_path
    )
    assert different.returncode == 1, different.stderr
    run1, run2 = history(tmp_path)[2:]
    assert json.loads(different.stdout)["first_difference"]["offset"] == first_diff(run1, run2)
    assert "\x1b[" not in different.stderr  # no progress display outside a terminal


def test_subprocess_failing_command(tmp_path: Path) -> None:
    failed = run_cli(["-a", "out", "--", PY, script("fail.py")], tmp_path)
    assert failed.returncode == 2
    assert "exited with status 3" in failed.stderr and "Traceback" not in failed.stderr


def test_subprocess_mlflow_metric(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    result = run_cli(["--mlflow", "--", PY, script("log_mlflow_run.py"), "unseeded-metric"], tmp_path, env)
    assert result.returncode == 1, result.stderr
    run1, run2 = (line.split() for line in history(tmp_path))
    assert f"metric loss at step 2: run 1 = {run1[2]}, run 2 = {run2[2]}" in result.stdout


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped (a killed orphan stays one
    where no init process reaps it, as in some containers)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def _gone(pids: List[int], deadline: float = 60) -> bool:
    end = time.monotonic() + deadline
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def _reap(pids: List[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _pids(path: Path) -> List[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_timeout_kills_the_whole_process_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        result = invoke(["--timeout", "5", "-a", "out", "--", PY, script("spawn_grandchild.py"), "wait"],
                        tmp_path, monkeypatch)
        assert result.exit_code == 2 and "timed out after 5 s" in result.output, result.output
        grandchildren = _pids(tmp_path / "grandchild.pids")
        assert len(grandchildren) == 1, "the command did not start its grandchild within the timeout"
        assert _gone(grandchildren), "the grandchild outlived verify"
    finally:
        _reap(_pids(tmp_path / "grandchild.pids"))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_processes_a_run_leaves_behind_are_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stray worker of run 1 must not still be writing while run 2 runs, nor after verify."""
    try:
        result = invoke(["-a", "out", "--", PY, script("spawn_grandchild.py"), "exit"], tmp_path, monkeypatch)
        assert result.exit_code == 0, result.output
        grandchildren = _pids(tmp_path / "grandchild.pids")
        assert len(grandchildren) == 2
        assert _gone(grandchildren)
    finally:
        _reap(_pids(tmp_path / "grandchild.pids"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_removes_temporary_folders(tmp_path: Path, sig: signal.Signals) -> None:
    """Deterministic: the signal goes out only once the command has written its pid, and every
    wait is on an event (with a generous bound for a loaded machine), never on a fixed delay."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, TMPDIR=str(temporary))
    process = subprocess.Popen(
        [PY, "-m", "mlf_lint", "verify", "-a", "out", "--", PY, script("wait_forever.py")],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    command_pid = None
    try:
        deadline = time.monotonic() + 300
        while not (work / "started").exists():
            assert process.poll() is None, "verify exited before the command started: " + process.communicate()[1]
            assert time.monotonic() < deadline, "verify never started the command"
            time.sleep(0.05)
        command_pid = int((work / "started").read_text())
        assert [p.name for p in sorted(temporary.iterdir())][0].startswith("mlf-lint-verify-")
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 130, stderr
        assert "interrupted" in stderr and "Traceback" not in stderr
        assert list(temporary.iterdir()) == []
        if Path("/proc/self/stat").exists():
            assert _gone([command_pid]), "the command outlived verify"
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        if command_pid:
            _reap([command_pid])


def test_unreadable_mlflow_store_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = (
        "import os, uuid\n"
        "run = os.path.join('store', '0', uuid.uuid4().hex)\n"
        "os.makedirs(os.path.join(run, 'metrics'))\n"
        "open(os.path.join('store', '0', 'meta.yaml'), 'w').write('name: Default\\n')\n"
        "open(os.path.join(run, 'meta.yaml'), 'w').write('run_id: x\\n')\n"
        "open(os.path.join(run, 'metrics', 'loss'), 'w').write('123 0.5 not-a-step\\n')\n"
    )
    result = invoke(
        ["--mlflow", "--tracking-uri", "file:store", "--", PY, "-c", writer], tmp_path, monkeypatch
    )
    assert result.exit_code == 2
    assert "run 1: cannot read the MLflow run:" in result.output
    assert "metrics/loss:1: expected 'timestamp value step', found '123 0.5 not-a-step'" in result.output
    assert "Traceback" not in result.output

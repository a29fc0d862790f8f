"""``--pin LIB=VER``: exact pins in environment.yml and requirements files, never a guessed version."""
from __future__ import annotations

from pathlib import Path

from helpers import invoke, run_module, write

ENV = """\
name: p
channels: [conda-forge]
dependencies:
  - python=3.11
  - pytorch::pytorch>=2.0  # the framework
  - numpy
  - pip:
      - lightning>=2
"""
REQS = 'torch>=2.0 ; python_version >= "3.9"\nxgboost-cpu[scikit-learn]~=3.0\nmlflow\n'


def _project(tmp_path: Path) -> Path:
    return write(tmp_path, {"setup.py": "", "environment.yml": ENV, "requirements.txt": REQS})


def test_diff_shows_exact_pins_and_writes_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, out, err = invoke([str(root), "--no-cache", "--diff", "--pin", "torch=2.5.1", "--pin", "lightning=2.6.6"])
    assert code == 1
    assert "+  - pytorch::pytorch=2.5.1  # the framework" in out
    assert "+      - lightning==2.6.6" in out
    assert '+torch==2.5.1 ; python_version >= "3.9"' in out
    added = [line for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert not any("xgboost" in line or "mlflow" in line for line in added)  # not named: never guessed
    assert (root / "environment.yml").read_text() == ENV


def test_fix_pins_and_the_findings_go_away(tmp_path: Path) -> None:
    root = _project(tmp_path)
    proc = run_module([".", "--no-cache", "--fix", "--pin", "torch=2.5.1", "--pin", "xgboost==3.2.0"], cwd=root)
    assert "pinned 3 entries" in proc.stderr
    assert (root / "requirements.txt").read_text() == \
        'torch==2.5.1 ; python_version >= "3.9"\nxgboost-cpu[scikit-learn]==3.2.0\nmlflow\n'
    remaining = [line for line in proc.stdout.splitlines() if "MLF50" in line]
    assert not any("torch" in line or "xgboost" in line for line in remaining), remaining
    assert any("mlflow" in line for line in remaining)
    again = run_module([".", "--no-cache", "--fix", "--pin", "torch=2.5.1", "--pin", "xgboost==3.2.0"], cwd=root)
    assert "pinned" not in again.stderr  # a second run changes nothing


def test_hashed_entries_are_left_alone(tmp_path: Path) -> None:
    root = write(tmp_path, {"setup.py": "", "requirements.txt": "torch>=2.0 \\\n    --hash=sha256:abc\n"})
    code, out, err = invoke([str(root), "--no-cache", "--diff", "--pin", "torch=2.5.1"])
    assert "hashes" in err and out == ""


def test_bad_pin_and_pin_without_fix_exit_2(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for args in (["--fix", "--pin", "torch"], ["--fix", "--pin", "torch=latest"], ["--pin", "torch=2.5.1"]):
        code, out, err = invoke([str(root), "--no-cache", *args])
        assert code == 2 and "Traceback" not in out + err, args
        assert "--pin" in err

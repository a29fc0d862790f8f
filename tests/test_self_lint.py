"""The project holds itself to its own tools: flake8 (with the MLF plugin) and `mlf-lint .`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_flake8_passes_on_the_package_tests_and_benchmarks() -> None:
    proc = subprocess.run([sys.executable, "-m", "flake8", "mlf_lint", "tests", "benchmarks"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_mlf_lint_passes_on_its_own_repository() -> None:
    proc = subprocess.run([sys.executable, "-m", "mlf_lint", ".", "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

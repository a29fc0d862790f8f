"""Timing for the benchmarks: wall and CPU seconds of a command, plain flake8 and flake8 with
this checkout installed, each in a virtualenv of its own with its bytecode compiled (as pip leaves
an installation), and interleaved rounds reported as median ratios to a baseline.

Ratios, not absolute times, are what to compare: the machine may be shared and noisy, and a
drift of its speed hits both sides of a ratio measured in the same round alike.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
PLAIN_FLAKE8 = "flake8==7.5.0"


def timed(cmd: Sequence[str], cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None) -> Tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def plain_flake8() -> Path:
    """flake8 without mlf-lint, in a virtualenv of its own ($MLF_BENCH_PLAIN or ~/.cache/mlf-lint-bench-plain)."""
    venv = Path(os.environ.get("MLF_BENCH_PLAIN", Path.home() / ".cache" / "mlf-lint-bench-plain"))
    exe = venv / "bin" / "flake8"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", PLAIN_FLAKE8], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", str(venv / "lib")],
                   check=False, stdout=subprocess.DEVNULL)
    return exe


def installed_bin() -> Path:
    """The bin folder of a virtualenv with flake8 and this checkout installed as users install it
    (a wheel, not editable, bytecode compiled): $MLF_BENCH_VENV or ~/.cache/mlf-lint-bench-venv.
    The checkout is reinstalled on every call; its dependencies only the first time."""
    venv = Path(os.environ.get("MLF_BENCH_VENV", Path.home() / ".cache" / "mlf-lint-bench-venv"))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if not (venv / "bin" / "flake8").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([*pip, PLAIN_FLAKE8, f"{REPO}[server]"], check=True)
    subprocess.run([*pip, "--no-deps", "--force-reinstall", f"{REPO}"], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", str(venv / "lib")],
                   check=False, stdout=subprocess.DEVNULL)
    return venv / "bin"


# A measurement: a callable that runs once and returns (wall, cpu); it may prepare state first
# (a fresh copy, an empty cache) outside the timed part.
Measure = Callable[[], Tuple[float, float]]


@dataclass
class Table:
    baseline: str
    wall: Dict[str, List[float]] = field(default_factory=dict)
    cpu: Dict[str, List[float]] = field(default_factory=dict)
    ratio_wall: Dict[str, List[float]] = field(default_factory=dict)
    ratio_cpu: Dict[str, List[float]] = field(default_factory=dict)

    def run(self, measures: Dict[str, Measure], rounds: int) -> "Table":
        """Each round times the baseline, then every other measure, and records the ratios."""
        for _ in range(rounds):
            base_wall, base_cpu = measures[self.baseline]()
            for name, measure in measures.items():
                wall, cpu = (base_wall, base_cpu) if name == self.baseline else measure()
                self.wall.setdefault(name, []).append(wall)
                self.cpu.setdefault(name, []).append(cpu)
                self.ratio_wall.setdefault(name, []).append(wall / base_wall)
                self.ratio_cpu.setdefault(name, []).append(cpu / base_cpu if base_cpu else float("nan"))
        return self

    def render(self, targets: Optional[Dict[str, str]] = None) -> str:
        med = statistics.median
        targets = targets or {}
        rows = [f"| run | wall s | CPU s | ratio to {self.baseline} (wall) | (CPU) | target |",
                "| --- | ---: | ---: | ---: | ---: | --- |"]
        for name in self.wall:
            ratios = f"{med(self.ratio_wall[name]):.3f} | {med(self.ratio_cpu[name]):.3f}"
            rows.append(f"| {name} | {med(self.wall[name]):.3f} | {med(self.cpu[name]):.3f} | {ratios} | "
                        f"{targets.get(name, '')} |")
        return "\n".join(rows)

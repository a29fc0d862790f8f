#!/usr/bin/env python3
"""Lines per second of `mlf-lint` (cold and warm cache) and its peak memory, per corpus.

    python benchmarks/throughput.py [CORPUS_DIR ...]

Without arguments it uses the corpus of benchmarks/corpus.py (timm, Lightning, Keras,
transformers sources in ~/.cache/mlf-lint-bench). The numbers are for the record (CHANGELOG,
closing notes): cost should grow linearly with size, so lines/s should stay roughly flat across
corpora. Nothing here asserts a time; compare runs made on the same machine.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = Path(os.environ.get("MLF_BENCH_CORPUS", Path.home() / ".cache" / "mlf-lint-bench"))


def lines_of(folder: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in folder.rglob("*.py"))


def timed(cmd: list) -> tuple:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_maxrss / 1024, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    folders = [Path(a) for a in sys.argv[1:]] or sorted(p for p in DEFAULT.iterdir() if p.is_dir())
    exe = [sys.executable, "-m", "mlf_lint"]
    print(f"{'corpus':32s} {'lines':>9s} {'cold s':>7s} {'lines/s':>9s} {'warm s':>7s} {'peak MB':>8s}")
    for folder in folders:
        lines = lines_of(folder)
        cache = Path(tempfile.mkdtemp(prefix="mlf-bench-"))
        try:
            cold, peak, _ = timed([*exe, str(folder), "--exit-zero", "--cache-dir", str(cache)])
            warm, _, _ = timed([*exe, str(folder), "--exit-zero", "--cache-dir", str(cache)])
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        print(f"{folder.name:32s} {lines:9d} {cold:7.2f} {lines / cold:9.0f} {warm:7.2f} {peak:8.0f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Project roots at scale: one tree of real code, linted without any root marker and with one
marker at the top, cold (--no-cache) and warm (cache filled by the run before).

    python benchmarks/roots.py [--source DIR] [--runs 3]

``--source``: a folder of real Python packages (default: the bench corpus in
~/.cache/mlf-lint-bench, or a site-packages). Its .py files are copied into a scratch tree with
every root marker (pyproject.toml, setup.py, setup.cfg, tox.ini, environment.yml, MLproject,
.mlf-lint.toml, .git) left out. Without markers every folder was its own root when run from
outside the tree (as here), the case that was quadratic (issue #19 item 10); now the checked
folder is the root of a marker-less tree. The goal: the marker-less tree within 1.2x of the
marked one, and warm runs a small fraction of cold.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARKERS = {"pyproject.toml", "setup.py", "setup.cfg", "tox.ini", "environment.yml", "MLproject", ".mlf-lint.toml"}


def build_tree(source: Path, target: Path) -> int:
    count = 0
    for path in source.rglob("*.py"):
        rel = path.relative_to(source)
        if path.name in MARKERS or any(part.startswith(".") or part == "site-packages" for part in rel.parts):
            continue
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        count += 1
    return count


def timed(cmd, cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(map(str, cmd))} failed: {proc.stderr.strip()}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", type=Path, default=Path.home() / ".cache" / "mlf-lint-bench")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="mlf-roots-"))
    try:
        bare = scratch / "bare" / "tree"
        marked = scratch / "marked" / "tree"
        files = build_tree(args.source, bare)
        shutil.copytree(bare, marked)
        (marked / "pyproject.toml").write_text("[project]\nname = 'tree'\n", encoding="utf-8")
        folders = sum(1 for p in bare.rglob("*") if p.is_dir()) + 1
        print(f"tree from {args.source}: {files} files, {folders} folders; median of {args.runs} runs", flush=True)
        exe = [sys.executable, "-m", "mlf_lint", "check", "--exit-zero"]
        results = {}
        for name, tree in (("no marker", bare), ("one marker at the top", marked)):
            cache = tree.parent / "cache"
            cold = [timed([*exe, "--no-cache", str(tree)], tree.parent.parent) for _ in range(args.runs)]
            timed([*exe, "--cache-dir", str(cache), str(tree)], tree.parent.parent)
            warm = [timed([*exe, "--cache-dir", str(cache), str(tree)], tree.parent.parent) for _ in range(args.runs)]
            results[name] = (statistics.median(cold), statistics.median(warm))
            print(f"{name}: cold {results[name][0]:.2f} s, warm {results[name][1]:.2f} s", flush=True)
        print(f"{'':24s} {'cold s':>8s} {'warm s':>8s} {'warm/cold':>10s}")
        for name, (cold, warm) in results.items():
            print(f"{name:24s} {cold:8.2f} {warm:8.2f} {warm / cold:10.3f}")
        (bare_cold, bare_warm), (marked_cold, marked_warm) = results.values()
        print(f"no marker / one marker: cold {bare_cold / marked_cold:.2f}x, warm {bare_warm / marked_warm:.2f}x")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

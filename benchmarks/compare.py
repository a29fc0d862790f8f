#!/usr/bin/env python3
"""Whole-repository speed of mlf-lint against plain flake8 on real ML code.

    python benchmarks/compare.py [--corpus timm] [--runs 3]

It installs this checkout (not editable, as users install it) with flake8 into a virtualenv of its
own, and plain flake8 into another (benchmarks/timing.py); the first time it also installs their
dependencies and downloads the corpus (benchmarks/corpus.py). The package is linted in a private copy, so nothing is
written into the shared corpus, and every cache lives in a temporary folder.

One row per command: median wall and CPU seconds over --runs rounds, and the median of the
per-round ratios to plain `flake8 -j1`; each round times plain flake8 first. Bars (README,
Performance): the plugin <= 1.10x, `mlf-lint --no-cache` <= 0.15x, warm `mlf-lint` <= 0.02x.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from corpus import PACKAGES, package_dir, private_copy, python_lines
from timing import Table, installed_bin, plain_flake8, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="timm", choices=sorted(PACKAGES), help="package to lint")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="mlf-compare-"))
    try:
        target = private_copy(package_dir(args.corpus), scratch / "checkout")
        files = len(list(target.rglob("*.py")))
        print(f"{args.corpus} {PACKAGES[args.corpus]}: {files} files, {python_lines(target)} lines; "
              f"median of {args.runs} rounds; {os.cpu_count()} CPUs\n")
        env = {**os.environ, "MLF_LINT_CACHE_HOME": str(scratch / "user-cache")}
        cache = str(scratch / "cli-cache")
        plain = [str(plain_flake8()), "-j1", "."]
        bin_ = installed_bin()
        plugin = [str(bin_ / "flake8"), "-j1", "."]
        cli = [str(bin_ / "mlf-lint"), "--exit-zero", "."]

        def first_plugin_run():
            shutil.rmtree(scratch / "first-cache", ignore_errors=True)
            return timed(plugin, target, {**env, "MLF_LINT_CACHE_HOME": str(scratch / "first-cache")})

        timed(plugin, target, env)                       # the plugin's own cache, warm
        timed([*cli, "--cache-dir", cache], target, env)  # the CLI's result cache, warm
        measures = {
            "plain flake8 -j1": lambda: timed(plain, target),
            "flake8 -j1 with the plugin": lambda: timed(plugin, target, env),
            "flake8 -j1 with the plugin, first run": first_plugin_run,
            "mlf-lint --no-cache (cold)": lambda: timed([*cli, "--no-cache"], target, env),
            "mlf-lint (warm cache)": lambda: timed([*cli, "--cache-dir", cache], target, env),
        }
        table = Table("plain flake8 -j1").run(measures, args.runs)
        print(table.render({"flake8 -j1 with the plugin": "<= 1.10", "mlf-lint --no-cache (cold)": "<= 0.15",
                            "mlf-lint (warm cache)": "<= 0.02"}))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

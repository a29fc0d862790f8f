#!/usr/bin/env python3
"""Per-file latency: what an editor or pre-commit waits for when one file is linted.

    python benchmarks/per_file.py [--runs 3] [--changes 20]

On src/transformers/models/bert/modeling_bert.py of transformers 5.23.0 (1.2 M lines; see
benchmarks/corpus.py), in a private copy of the package, with every cache in a temporary folder:

- plain flake8 (its own virtualenv, no plugin): the baseline of every ratio;
- flake8 with the mlf-lint plugin, warm (an earlier run on the same checkout) and on the first run
  in a fresh checkout (a new copy and an empty user cache each round; and a new copy with the user
  cache of the warm checkout, as a second clone or worktree of a project has);
- `flake8 --select E` with mlf-lint installed against plain `flake8 --select E`: what installing
  mlf-lint costs runs that do not ask for it;
- `mlf-lint FILE` warm and with `--no-cache`;
- the language server (`mlf-lint server`, if this version has it): CPU seconds of the server
  process per didChange, from the change to its publishDiagnostics, after warm-up.

Targets (issue 15): plugin warm <= 1.3x plain flake8, first run <= 3x, `mlf-lint FILE` warm
<= 0.5 s, server <= 0.1 s CPU per change. Nothing asserts a time; the numbers are for the record.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Tuple

from corpus import package_dir, private_copy
from timing import Table, installed_bin, plain_flake8, timed

FILE = "src/transformers/models/bert/modeling_bert.py"
HERE = Path(__file__).resolve().parent


class Bench:
    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.source = package_dir("transformers")
        self.warm = private_copy(self.source, scratch / "warm")
        self.env = {**os.environ, "MLF_LINT_CACHE_HOME": str(scratch / "user-cache")}
        self.plain = str(plain_flake8())
        self.bin = installed_bin()
        self.fresh_count = 0

    def fresh(self) -> Tuple[Path, Dict[str, str]]:
        """A new checkout and an empty user cache (prepared outside the timed part)."""
        self.fresh_count += 1
        for old in self.scratch.glob("fresh-*"):
            shutil.rmtree(old, ignore_errors=True)
        checkout = private_copy(self.source, self.scratch / f"fresh-{self.fresh_count}")
        return checkout, {**os.environ, "MLF_LINT_CACHE_HOME": str(self.scratch / f"fresh-{self.fresh_count}-cache")}

    def first_plugin_run(self) -> Tuple[float, float]:
        checkout, env = self.fresh()
        return timed([str(self.bin / "flake8"), FILE], checkout, env)

    def first_plugin_run_known_content(self) -> Tuple[float, float]:
        """A fresh checkout (a second clone, a new worktree) with the user cache of the warm one."""
        checkout, _ = self.fresh()
        return timed([str(self.bin / "flake8"), FILE], checkout, self.env)

    def measures(self) -> dict:
        flake8, cli = str(self.bin / "flake8"), str(self.bin / "mlf-lint")
        return {
            "plain flake8": lambda: timed([self.plain, FILE], self.warm),
            "flake8 with the plugin, warm": lambda: timed([flake8, FILE], self.warm, self.env),
            "flake8 with the plugin, first run in a fresh checkout": self.first_plugin_run,
            "the same, the user cache knowing the content (a second clone)": self.first_plugin_run_known_content,
            "plain flake8 --select E": lambda: timed([self.plain, "--select", "E", FILE], self.warm),
            "flake8 --select E, mlf-lint installed":
                lambda: timed([flake8, "--select", "E", FILE], self.warm, self.env),
            "mlf-lint FILE, warm": lambda: timed([cli, "--exit-zero", FILE], self.warm, self.env),
            "mlf-lint FILE --no-cache": lambda: timed([cli, "--exit-zero", "--no-cache", FILE], self.warm, self.env),
        }


def has_server(bench: Bench) -> bool:
    probe = subprocess.run([str(bench.bin / "mlf-lint"), "server", "--help"], capture_output=True, text=True)
    return probe.returncode == 0 and "Language Server" in probe.stdout


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_latency(bench: Bench, changes: int) -> Tuple[float, float, float]:
    """(CPU s per change, median wall s per change, wall s of the first diagnostics after didOpen)."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from lsp_client import LspClient, diagnostics_for

    path = bench.warm / FILE
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    client = LspClient([str(bench.bin / "mlf-lint"), "server"], bench.warm, bench.env)
    try:
        client.request("initialize", {"processId": os.getpid(), "rootUri": bench.warm.as_uri(), "capabilities": {}})
        client.send("initialized", {})
        start = time.perf_counter()
        opened = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        client.send("textDocument/didOpen", {"textDocument": opened})
        client.wait_for(diagnostics_for(uri, 1), timeout=600)
        first = time.perf_counter() - start
        walls = []
        cpu_before = process_cpu(client.proc.pid)
        lines = text.splitlines(keepends=True)
        for version in range(2, changes + 2):
            # A keystroke-sized edit in the middle of the file (full-document sync, as most clients send).
            edited = lines[:]
            edited[len(lines) // 2] = f"# edit {version}\n" + edited[len(lines) // 2]
            start = time.perf_counter()
            change = {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": "".join(edited)}]}
            client.send("textDocument/didChange", change)
            client.wait_for(diagnostics_for(uri, version), timeout=120)
            walls.append(time.perf_counter() - start)
        cpu = (process_cpu(client.proc.pid) - cpu_before) / changes
        return cpu, statistics.median(walls), first
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--changes", type=int, default=20, help="didChange notifications to time")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="mlf-per-file-"))
    try:
        bench = Bench(scratch)
        print(f"{FILE} of transformers ({bench.source.name}); median of {args.runs} rounds; {os.cpu_count()} CPUs\n")
        measures = bench.measures()
        for name in ("flake8 with the plugin, warm", "mlf-lint FILE, warm"):
            measures[name]()  # the warm rows start warm
        table = Table("plain flake8").run(measures, args.runs)
        print(table.render({"flake8 with the plugin, warm": "<= 1.3 (ratio)",
                            "flake8 with the plugin, first run in a fresh checkout": "<= 3 (ratio)",
                            "mlf-lint FILE, warm": "<= 0.5 s"}))
        plain_e, installed_e = (statistics.median(table.cpu[n]) for n in (
            "plain flake8 --select E", "flake8 --select E, mlf-lint installed"))
        print(f"\ninstalling mlf-lint makes `flake8 --select E` take {installed_e / plain_e:.2f}x the CPU time")
        if has_server(bench) and sys.platform.startswith("linux"):
            cpu, wall, first = server_latency(bench, args.changes)
            print(f"\nmlf-lint server: {cpu * 1000:.0f} ms CPU per change (target <= 100 ms), median "
                  f"{wall * 1000:.0f} ms from didChange to diagnostics over {args.changes} changes; "
                  f"first diagnostics after didOpen {first:.2f} s")
        else:
            print("\nmlf-lint server: not in this version (or not on Linux), not measured")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

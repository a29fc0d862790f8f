"""Shared helpers for CLI tests: write a small project, run the CLI in-process or as a subprocess."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

from click_compat import cli_runner

from mlf_lint.cli import cli


def write(root: Path, files: Dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def invoke(args: List[str]) -> Tuple[int, str, str]:
    result = cli_runner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_module(args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlf_lint", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def codes(stdout: str) -> List[str]:
    """The codes of text-format finding lines, in order."""
    found = []
    for line in stdout.splitlines():
        parts = line.split(": ", 1)
        if len(parts) == 2 and parts[1][:3] == "MLF":
            found.append(parts[1].split()[0])
    return found

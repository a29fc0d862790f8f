"""The progress bar: shown on a terminal for long runs, absent when the output is piped."""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from helpers import write


def _project(root: Path) -> Path:
    files = {"setup.py": ""}
    for i in range(60):  # enough files for the parallel path and several progress updates
        files[f"pkg/m{i}.py"] = "import torch\ny = torch.histc(x)\n"
    return write(root, files)


def _run(root: Path, stderr_tty: bool) -> str:
    env = {**os.environ, "MLF_LINT_PROGRESS_DELAY": "0", "TERM": "xterm"}
    cmd = [sys.executable, "-m", "mlf_lint", "check", str(root), "--no-cache", "--exit-zero"]
    if not stderr_tty:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        return proc.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=300)
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    assert "checking" in _run(_project(tmp_path), stderr_tty=True)


def test_nothing_extra_when_piped(tmp_path: Path) -> None:
    assert _run(_project(tmp_path), stderr_tty=False) == ""

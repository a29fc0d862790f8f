"""The pre-commit hook, end to end: `pre-commit try-repo` on a snapshot of this checkout installs
mlf-lint into its own virtualenv (from PyPI) and fails on a bad file, passes on a clean one.

try-repo only carries tracked and staged changes of a local repository, so the test commits a
snapshot of the working tree (tracked plus untracked, not ignored files) into a scratch repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

REPO = Path(__file__).resolve().parent.parent
BAD = "import torch\n\ntorch.backends.cudnn.benchmark = True\n"
CLEAN = "import json\n\nprint(json.dumps({'a': 1}))\n"

pytestmark = pytest.mark.slow


def _git(args: List[str], cwd: Path, env: Dict[str, str]) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def git_env(tmp_path: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        PRE_COMMIT_HOME=str(tmp_path / "cache"),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def snapshot(dest: Path, env: Dict[str, str]) -> Path:
    files = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO, env).split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file() and not rel.startswith("tests/"):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    _git(["init", "-q"], dest, env)
    _git(["add", "-A"], dest, env)
    _git(["commit", "-q", "-m", "snapshot"], dest, env)
    return dest


def try_repo(hook_repo: Path, project: Path, env: Dict[str, str]) -> subprocess.CompletedProcess:
    exe = shutil.which("pre-commit")
    assert exe is not None
    return subprocess.run(
        [exe, "try-repo", str(hook_repo), "mlf-lint", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_hook_fails_on_bad_file_and_passes_on_clean_one(tmp_path: Path, git_env: Dict[str, str]) -> None:
    if shutil.which("pre-commit") is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    hook_repo = snapshot(tmp_path / "hook-repo", git_env)
    project = tmp_path / "project"
    project.mkdir()
    _git(["init", "-q"], project, git_env)
    (project / "train.py").write_text(BAD)
    _git(["add", "-A"], project, git_env)

    failing = try_repo(hook_repo, project, git_env)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "MLF120" in failing.stdout and "train.py" in failing.stdout

    (project / "train.py").write_text(CLEAN)
    _git(["add", "-A"], project, git_env)
    passing = try_repo(hook_repo, project, git_env)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout

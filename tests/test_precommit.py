"""The pre-commit hook, end to end: `pre-commit try-repo` on a snapshot of this checkout installs
mlf-lint into its own virtualenv and fails on a bad file, passes on a clean one; given no files
(an always-run hook), it checks nothing and passes.

try-repo only carries tracked and staged changes of a local repository, so the test commits a
snapshot of the working tree (tracked plus untracked, not ignored files) into a scratch repository.
"""

from __future__ import annotations

import json
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


@pytest.fixture(scope="module")
def git_env(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    # One pre-commit home for the module: the hook's virtualenv is built once.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, git_env: Dict[str, str]) -> Path:
    if shutil.which("pre-commit") is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    return snapshot(tmp_path_factory.mktemp("hook-repo"), git_env)


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


def test_hook_fails_on_bad_file_and_passes_on_clean_one(tmp_path: Path, hook_repo: Path,
                                                        git_env: Dict[str, str]) -> None:
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


def test_hook_given_no_files_checks_nothing(tmp_path: Path, hook_repo: Path, git_env: Dict[str, str]) -> None:
    """`always_run` with a `files` pattern that matches nothing: pre-commit runs the hook with no
    file names. The hook must not fall back to checking the whole folder (where a bad file is)."""
    rev = _git(["rev-parse", "HEAD"], hook_repo, git_env).strip()
    project = tmp_path / "project"
    project.mkdir()
    _git(["init", "-q"], project, git_env)
    (project / "train.py").write_text(BAD)
    hook = {"id": "mlf-lint", "always_run": True, "files": "^no-such-file$", "verbose": True}
    # The same hook with the entry it had before: mlf-lint with no path checks the folder.
    old_entry = {**hook, "entry": "mlf-lint", "name": "old entry"}
    for hooks, expected in (([hook], 0), ([old_entry], 1)):
        config = {"repos": [{"repo": str(hook_repo), "rev": rev, "hooks": hooks}]}
        (project / ".pre-commit-config.yaml").write_text(json.dumps(config))
        _git(["add", "-A"], project, git_env)
        proc = subprocess.run([str(shutil.which("pre-commit")), "run", "--all-files"], cwd=project, env=git_env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == expected, proc.stdout + proc.stderr
        assert ("MLF120" in proc.stdout) == bool(expected), proc.stdout

"""A thin wrapper over the ``git`` command line, used by ``sync`` and ``create --github``.

Everything goes through :func:`run_git` so that failures become :class:`GitError` with git's own
message (never a traceback), and so that a token, when one is needed for a push, is handed to git
through the environment of that single process and nowhere else.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

# The token travels in this environment variable of the one ``git push`` process that needs it;
# the credential helper below reads it, so it never appears on a command line, in a URL or in
# .git/config.
PUSH_TOKEN_ENV = "MLF_LINT_PUSH_TOKEN"
_CREDENTIAL_HELPER = (
    "!f() { test \"$1\" = get || exit 0; echo username=x-access-token; "
    f"echo \"password=${PUSH_TOKEN_ENV}\"; }}; f"
)
FALLBACK_NAME = "mlf-lint"
FALLBACK_EMAIL = "mlf-lint@users.noreply.github.com"


class GitError(RuntimeError):
    """A git command failed; the message is git's own, cleaned up for one line."""


def git_available() -> bool:
    return shutil.which("git") is not None


def run_git(args: Sequence[str], cwd: Path, env: Optional[Dict[str, str]] = None,
            check: bool = True) -> subprocess.CompletedProcess:
    if not git_available():
        raise GitError("git is not installed or not on PATH")
    full_env = dict(os.environ)
    # A prompt would hang a scheduled workflow: fail instead and report it.
    full_env["GIT_TERMINAL_PROMPT"] = "0"
    full_env.update(env or {})
    proc = subprocess.run(["git", *args], cwd=str(cwd), env=full_env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace")
    if check and proc.returncode != 0:
        message = (proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}")
        raise GitError(f"git {args[0]} failed: {' '.join(message.split())}")
    return proc


def output(args: Sequence[str], cwd: Path) -> str:
    return run_git(args, cwd).stdout.strip()


def is_repository(path: Path) -> bool:
    proc = run_git(["rev-parse", "--is-inside-work-tree"], path, check=False)
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def toplevel(path: Path) -> Path:
    return Path(output(["rev-parse", "--show-toplevel"], path))


def has_commits(repo: Path) -> bool:
    return run_git(["rev-parse", "--verify", "--quiet", "HEAD"], repo, check=False).returncode == 0


def current_branch(repo: Path) -> Optional[str]:
    """The checked-out branch, or None on a detached HEAD."""
    proc = run_git(["symbolic-ref", "--quiet", "--short", "HEAD"], repo, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def ref_sha(repo: Path, ref: str) -> Optional[str]:
    proc = run_git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def branch_exists(repo: Path, branch: str) -> bool:
    return ref_sha(repo, f"refs/heads/{branch}") is not None


def dirty_paths(repo: Path) -> List[str]:
    """Modified, staged and untracked (not ignored) paths: anything a sync must not put at risk."""
    proc = run_git(["status", "--porcelain", "--untracked-files=all"], repo)
    return [line[3:] for line in proc.stdout.splitlines() if line.strip()]


def remote_url(repo: Path, remote: str = "origin") -> Optional[str]:
    """The URL as configured (``git remote get-url`` would apply ``insteadOf`` rewrites)."""
    proc = run_git(["config", "--get", f"remote.{remote}.url"], repo, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def root_commit(repo: Path, ref: str = "HEAD") -> str:
    roots = output(["rev-list", "--max-parents=0", ref], repo).split()
    return roots[-1]  # the oldest root when histories were joined


def identity_args(repo: Path, name: Optional[str] = None, email: Optional[str] = None) -> List[str]:
    """``-c user.name=... -c user.email=...`` only where git has no identity of its own.

    A user's git identity (or GIT_AUTHOR_* variables) wins; otherwise the one from
    ``mlf-lint config``; otherwise a neutral bot identity so that a commit never fails for it.
    """
    args: List[str] = []
    for key, fallback, env_names in (
        ("user.name", name or FALLBACK_NAME, ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME")),
        ("user.email", email or FALLBACK_EMAIL, ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL")),
    ):
        configured = run_git(["config", "--get", key], repo, check=False).stdout.strip()
        if not configured and not all(os.environ.get(n) for n in env_names):
            args += ["-c", f"{key}={fallback}"]
    return args


def commit_all(repo: Path, message: str, identity: Sequence[str] = ()) -> bool:
    """Stage everything and commit; False when there was nothing to commit."""
    run_git(["add", "--all"], repo)
    if run_git(["diff", "--cached", "--quiet"], repo, check=False).returncode == 0:
        return False
    run_git([*identity, "commit", "--quiet", "--no-verify", "-m", message], repo)
    return True


def _auth(token: Optional[str]) -> Tuple[List[str], Dict[str, str]]:
    """Config arguments and environment that offer ``token`` to git through a credential helper.

    ``credential.helper=`` first empties the helper list so that no configured helper (a keychain,
    ``store``) is asked to save the token.
    """
    if not token:
        return [], {}
    return (["-c", "credential.helper=", "-c", f"credential.helper={_CREDENTIAL_HELPER}"],
            {PUSH_TOKEN_ENV: token})


def _run_remote(repo: Path, args: Sequence[str], token: Optional[str],
                check: bool = True) -> subprocess.CompletedProcess:
    auth_args, env = _auth(token)
    try:
        return run_git([*auth_args, *args], repo, env=env, check=check)
    except GitError as exc:
        # git never prints the password, but make sure a message can never carry it along.
        text = str(exc).replace(token, "***") if token else str(exc)
        raise GitError(text) from None


def push(repo: Path, url_or_remote: str, refspecs: Sequence[str], token: Optional[str]) -> None:
    _run_remote(repo, ["push", "--porcelain", url_or_remote, *refspecs], token)


def remote_branch_sha(repo: Path, remote: str, branch: str, token: Optional[str]) -> Optional[str]:
    """The commit of ``branch`` on ``remote`` (asked over the network), or None if absent."""
    proc = _run_remote(repo, ["ls-remote", "--heads", remote, f"refs/heads/{branch}"], token)
    line = proc.stdout.strip().splitlines()
    return line[0].split()[0] if line else None


def fetch_branch(repo: Path, remote: str, branch: str, token: Optional[str]) -> bool:
    """Fetch ``branch`` into ``refs/remotes/<remote>/<branch>``; False when the remote lacks it."""
    proc = _run_remote(repo, ["fetch", "--quiet", "--no-tags", remote,
                              f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}"], token, check=False)
    return proc.returncode == 0

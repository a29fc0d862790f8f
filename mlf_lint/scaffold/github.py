"""GitHub: create a project's repository (``create --github``) and open sync pull requests.

PyGithub talks to ``https://api.github.com`` unless ``base_url`` or ``MLF_LINT_GITHUB_API_URL``
says otherwise (GitHub Enterprise, or a loopback server in the tests). The token goes to PyGithub
and to the one ``git push`` process that needs it (see :func:`mlf_lint.scaffold.git.push`); it is
never printed, logged, written into ``.git/config`` or put into a remote URL.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Tuple
from urllib.parse import urlparse

from mlf_lint.scaffold import git
from mlf_lint.scaffold.config import github_token, load

if TYPE_CHECKING:  # PyGithub is a heavy import: only where used
    from github import Github
    from github.Repository import Repository

API_URL_ENV = "MLF_LINT_GITHUB_API_URL"
DEFAULT_API_URL = "https://api.github.com"
DEVELOPMENT_BRANCH = "development"
SYNC_BRANCH_PREFIX = "mlf-lint-template-"
_REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class GitHubError(RuntimeError):
    """A GitHub or push step failed; the message says which and why, never with the token."""


@dataclass(frozen=True)
class Published:
    full_name: str
    html_url: str
    branches: Tuple[str, ...]


def api_url(base_url: Optional[str] = None) -> str:
    return (base_url or os.environ.get(API_URL_ENV) or DEFAULT_API_URL).rstrip("/")


def client(token: str, base_url: Optional[str] = None) -> "Github":
    from github import Auth, Github

    return Github(auth=Auth.Token(token), base_url=api_url(base_url), timeout=30)


def _explain(exc: Exception, action: str, token: Optional[str]) -> GitHubError:
    from github import GithubException

    if isinstance(exc, GithubException):
        data = exc.data if isinstance(exc.data, dict) else {}
        detail = data.get("message") or ""
        errors = data.get("errors") or []
        if errors and isinstance(errors[0], dict) and errors[0].get("message"):
            detail = f"{detail}: {errors[0]['message']}"
        if exc.status == 401:
            detail = "the token was refused (401 Bad credentials); check `mlf-lint config --view`"
        elif exc.status == 403:
            detail = f"permission denied (403) {detail}; the token needs the `repo` scope".strip()
        elif exc.status == 404:
            detail = f"not found (404) {detail}; check the name and the token's access".strip()
        text = f"{action}: {detail or f'HTTP {exc.status}'}"
    else:
        text = f"{action}: {type(exc).__name__}: {exc}"
    if token:
        text = text.replace(token, "***")
    return GitHubError(text)


def _prepare_local_repository(project_dir: Path) -> List[str]:
    """Make sure ``main`` (with a first commit) and ``development`` exist; returns notes."""
    notes: List[str] = []
    name, email = _identity()
    if not git.is_repository(project_dir):
        git.run_git(["init", "--quiet", "-b", "main"], project_dir)
        notes.append("initialised a git repository")
    if not git.has_commits(project_dir):
        identity = git.identity_args(project_dir, name, email)
        if not git.commit_all(project_dir, "Initial commit from an mlf-lint template", identity):
            raise GitHubError(f"{project_dir}: nothing to commit; the project folder is empty")
        notes.append("made the first commit")
    if not git.branch_exists(project_dir, "main"):
        git.run_git(["branch", "main", "HEAD"], project_dir)
    if not git.branch_exists(project_dir, DEVELOPMENT_BRANCH):
        git.run_git(["branch", DEVELOPMENT_BRANCH, "main"], project_dir)
    return notes


def _identity() -> Tuple[Optional[str], Optional[str]]:
    try:
        config = load()
    except ValueError:
        return None, None
    return config.name or None, config.email or None


def publish_new_project(project_dir: Path, repo_name: str, org: Optional[str], private: bool,
                        token: Optional[str] = None, base_url: Optional[str] = None) -> Published:
    """Create ``repo_name`` on GitHub (for ``org`` or the token's user), push main and development.

    The remote ``origin`` is set to the clone URL GitHub returns, without any credential in it.
    """
    project_dir = Path(project_dir)
    token = token or github_token()
    if not token:
        raise GitHubError("no GitHub token: set GITHUB_TOKEN or MLF_LINT_GITHUB_TOKEN, or store "
                          "one with `mlf-lint config --token-stdin`")
    if not _REPO_NAME.match(repo_name):
        raise GitHubError(f"{repo_name!r} is not a valid repository name "
                          "(letters, digits, '.', '-' and '_', at most 100 characters)")
    if not project_dir.is_dir():
        raise GitHubError(f"{project_dir}: no such project folder")
    existing = git.remote_url(project_dir) if git.is_repository(project_dir) else None
    if existing:
        raise GitHubError(f"{project_dir} already has a remote 'origin' ({existing}); "
                          "remove it or push by hand")
    _prepare_local_repository(project_dir)

    gh = client(token, base_url)
    action = f"creating repository {org + '/' if org else ''}{repo_name}"
    try:
        owner = gh.get_organization(org) if org else gh.get_user()
        if not org:
            owner.login  # noqa: B018  (GET /user: a bad token fails here, with a clear message)
        repo = owner.create_repo(repo_name, private=private, auto_init=False,
                                 description=f"{repo_name}: created by mlf-lint")
    except Exception as exc:  # PyGithub raises many types: all become one clear line
        raise _explain(exc, action, token) from None

    clone_url = repo.clone_url
    git.run_git(["remote", "add", "origin", clone_url], project_dir)
    try:
        git.push(project_dir, "origin", ["refs/heads/main:refs/heads/main",
                                         f"refs/heads/{DEVELOPMENT_BRANCH}:refs/heads/{DEVELOPMENT_BRANCH}"],
                 token)
    except git.GitError as exc:
        raise GitHubError(f"the repository {repo.full_name} was created but the push failed: {exc}; "
                          f"push again with `git push -u origin main {DEVELOPMENT_BRANCH}`") from None
    for branch in ("main", DEVELOPMENT_BRANCH):
        git.run_git(["branch", "--quiet", f"--set-upstream-to=origin/{branch}", branch], project_dir,
                    check=False)
    return Published(repo.full_name, repo.html_url, ("main", DEVELOPMENT_BRANCH))


def repository_from_url(url: Optional[str], base_url: Optional[str] = None) -> Optional[str]:
    """``owner/name`` of a GitHub remote URL (https, ssh or scp-like), or None if not GitHub.

    A host counts as GitHub when it is github.com or the host of the configured API URL
    (GitHub Enterprise serves the API at https://HOST/api/v3).
    """
    if not url:
        return None
    hosts = {"github.com", "www.github.com"}
    api_host = urlparse(api_url(base_url)).hostname
    if api_host:
        hosts.add(api_host)
        hosts.add(api_host[4:] if api_host.startswith("api.") else api_host)
    scp = re.match(r"^[\w.-]+@([\w.-]+):(?!/)(.+)$", url)
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        parsed = urlparse(url)
        if parsed.scheme not in ("https", "http", "ssh", "git"):
            return None
        host, path = parsed.hostname or "", parsed.path
    parts = [p for p in path.strip("/").split("/") if p]
    if host not in hosts or len(parts) != 2:
        return None
    owner, name = parts
    return f"{owner}/{name[:-4] if name.endswith('.git') else name}"


@dataclass(frozen=True)
class PullRequestOutcome:
    number: int
    html_url: str
    created: bool  # False when an open pull request for this version already existed
    closed: Tuple[int, ...]  # older sync pull requests closed in favour of this one


def open_sync_pull_request(full_name: str, head_branch: str, base: str, title: str, body: str,
                           token: str, base_url: Optional[str] = None) -> PullRequestOutcome:
    """Open (once) a pull request from ``head_branch`` into ``base``; close older sync ones.

    Running again for the same version finds the open pull request and creates no second one,
    so a scheduled workflow can call sync every day.
    """
    gh = client(token, base_url)
    try:
        repo: Repository = gh.get_repo(full_name)
        owner = full_name.split("/")[0]
        existing = None
        closed: List[int] = []
        for pull in repo.get_pulls(state="open", base=base):
            ref = pull.head.ref
            if ref == head_branch and existing is None:
                existing = pull
            elif ref.startswith(SYNC_BRANCH_PREFIX) and (pull.head.label or "").startswith(f"{owner}:"):
                pull.edit(state="closed")
                closed.append(pull.number)
        if existing is not None:
            return PullRequestOutcome(existing.number, existing.html_url, False, tuple(closed))
        if closed:
            body += "\n\nSupersedes " + ", ".join(f"#{n}" for n in closed) + "."
        pull = repo.create_pull(title=title, body=body, head=head_branch, base=base)
        return PullRequestOutcome(pull.number, pull.html_url, True, tuple(closed))
    except Exception as exc:
        raise _explain(exc, f"opening the sync pull request on {full_name}", token) from None

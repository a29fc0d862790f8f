"""``sync``: bring a project up to date with a newer version of the template it was created from.

The template is rendered again, with the answers the project recorded, onto the ``TEMPLATE``
branch, which holds nothing but template output; merging ``TEMPLATE`` into the user's branch is
then an ordinary three-way merge that keeps the user's own changes. The ``TEMPLATE`` branch is
worked on in a separate git worktree, so the user's checkout, branch and files (tracked or not)
are never touched, whatever fails midway.

Sync level (record ``sync.level``, or ``--level``): the smallest version difference that is worth
a sync. ``patch`` syncs on any newer template (1.0.0 -> 1.0.1), ``minor`` only when the minor or
major part grows (1.0.x -> 1.1.0), ``major`` only when the major part grows (1.x -> 2.0.0).
"""
from __future__ import annotations

import fnmatch
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from mlf_lint.scaffold import git
from mlf_lint.engine.versions import Version
from mlf_lint.scaffold.bump_version import BumpError, parse_version
from mlf_lint.scaffold.registry import PROJECT_RECORD, TemplateInfo, get_template, nearest_handle, read_record

TEMPLATE_BRANCH = "TEMPLATE"
LEVELS = ("patch", "minor", "major")
DEFAULT_LEVEL = "patch"


class SyncError(RuntimeError):
    """Sync cannot go on; nothing of the user's has been changed."""


@dataclass(frozen=True)
class SyncStatus:
    handle: str
    recorded: str
    installed: str
    level: str
    update_available: bool  # a newer template whose difference reaches the sync level
    reason: str


@dataclass
class SyncOutcome:
    status: SyncStatus
    committed: bool = False
    template_commit: Optional[str] = None
    pull_request: Optional[str] = None
    merge_commands: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def _record(project: Path) -> Dict[str, Any]:
    try:
        record = read_record(project)
    except Exception as exc:  # a hand-edited record may be broken YAML
        raise SyncError(f"{project / PROJECT_RECORD}: cannot be read ({type(exc).__name__})") from None
    if record is None:
        raise SyncError(f"{project}: no {PROJECT_RECORD}; sync works on projects made by `mlf-lint create`")
    template = record.get("template")
    if not isinstance(template, dict) or not template.get("handle") or not template.get("version"):
        raise SyncError(f"{project / PROJECT_RECORD}: `template` must give handle and version")
    if not isinstance(record.get("answers", {}), dict):
        raise SyncError(f"{project / PROJECT_RECORD}: `answers` must be a mapping")
    return record


def _sync_settings(record: Dict[str, Any], project: Path) -> Dict[str, Any]:
    settings = record.get("sync") or {}
    if not isinstance(settings, dict):
        raise SyncError(f"{project / PROJECT_RECORD}: `sync` must be a mapping (level, blacklist)")
    return settings


def sync_level(record: Dict[str, Any], project: Path, override: Optional[str] = None) -> str:
    level = str(override or _sync_settings(record, project).get("level") or DEFAULT_LEVEL).lower()
    if level not in LEVELS:
        raise SyncError(f"{project / PROJECT_RECORD}: sync.level is {level!r}; "
                        f"expected one of {', '.join(LEVELS)}")
    return level


def blacklist(record: Dict[str, Any], project: Path) -> List[str]:
    entries = _sync_settings(record, project).get("blacklist") or []
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise SyncError(f"{project / PROJECT_RECORD}: sync.blacklist must be a list of paths or globs")
    return [e.strip().lstrip("./") if e.startswith("./") else e.strip() for e in entries if e.strip()]


def is_blacklisted(path: str, patterns: List[str]) -> bool:
    """``path`` (posix, relative) matches a glob, or lies under a listed folder."""
    if path == PROJECT_RECORD:  # sync could never record the new version: never skipped
        return False
    for pattern in patterns:
        folder = pattern.rstrip("/")
        if fnmatch.fnmatchcase(path, pattern) or path == folder or path.startswith(folder + "/"):
            return True
    return False


def _parse(text: str, what: str) -> Version:
    try:
        return parse_version(str(text))
    except BumpError:
        raise SyncError(f"{what} {text!r} is not an X.Y.Z version") from None


def _installed(handle: str) -> TemplateInfo:
    template = get_template(handle)
    if template is None:
        near = nearest_handle(handle)
        hint = f" (did you mean {near!r}?)" if near else ""
        raise SyncError(f"template {handle!r} is not installed{hint}; "
                        "`mlf-lint list` shows the installed ones")
    return template


def check(project: Path, level: Optional[str] = None) -> SyncStatus:
    """Compare the project's recorded template version with the installed template."""
    record = _record(project)
    handle = str(record["template"]["handle"])
    recorded_text = str(record["template"]["version"])
    template = _installed(handle)
    chosen = sync_level(record, project, level)
    recorded = _parse(recorded_text, f"{PROJECT_RECORD} template.version")
    installed = _parse(template.version, f"template {handle} version")
    difference = installed.difference(recorded)
    if installed <= recorded:
        reason = (f"up to date with template {handle} {template.version}" if installed == recorded else
                  f"the project records template {handle} {recorded_text}, newer than the installed "
                  f"{template.version}: upgrade mlf-lint")
        return SyncStatus(handle, recorded_text, template.version, chosen, False, reason)
    if LEVELS.index(difference or "patch") < LEVELS.index(chosen):
        return SyncStatus(handle, recorded_text, template.version, chosen, False,
                          f"template {handle} {template.version} is a {difference} update from "
                          f"{recorded_text}; the sync level is {chosen}, so it is not synced")
    return SyncStatus(handle, recorded_text, template.version, chosen, True,
                      f"template {handle} {template.version} is available (project has {recorded_text})")


def _ensure_template_branch(project: Path, token: Optional[str], notes: List[str]) -> Optional[str]:
    """Make sure ``TEMPLATE`` exists locally; return its commit before this sync (None if new)."""
    before = git.ref_sha(project, f"refs/heads/{TEMPLATE_BRANCH}")
    if before:
        return before
    if git.remote_url(project) and git.fetch_branch(project, "origin", TEMPLATE_BRANCH, token):
        remote_sha = git.ref_sha(project, f"refs/remotes/origin/{TEMPLATE_BRANCH}")
        if remote_sha:
            git.run_git(["branch", "--quiet", TEMPLATE_BRANCH, remote_sha], project)
            notes.append(f"took the {TEMPLATE_BRANCH} branch from origin")
            return None
    # The first commit of a project made by `create` is pure template output: the common
    # ancestor that lets the later merge keep the user's changes.
    root = git.root_commit(project)
    git.run_git(["branch", "--quiet", TEMPLATE_BRANCH, root], project)
    notes.append(f"started the {TEMPLATE_BRANCH} branch at the project's first commit {root[:10]}")
    return None


def _restore_template_branch(project: Path, before: Optional[str], existed: bool) -> None:
    if existed and before:
        git.run_git(["update-ref", f"refs/heads/{TEMPLATE_BRANCH}", before], project, check=False)
    elif not existed:
        git.run_git(["branch", "--quiet", "-D", TEMPLATE_BRANCH], project, check=False)


def _replace_with_render(tree: Path, rendered: Path, patterns: List[str]) -> None:
    """Make ``tree`` hold the rendered template, except for the blacklisted paths."""
    tracked = git.run_git(["ls-files", "-z"], tree).stdout.split("\0")
    for name in filter(None, tracked):
        if not is_blacklisted(name, patterns):
            (tree / name).unlink(missing_ok=True)
    for source in sorted(rendered.rglob("*")):
        relative = source.relative_to(rendered).as_posix()
        if source.is_dir() or relative.split("/")[0] == ".git" or is_blacklisted(relative, patterns):
            continue
        target = tree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        # A blacklisted symlink left on TEMPLATE (a branch that may come from the remote) must not
        # carry a rendered file out of the worktree.
        if tree.resolve() not in target.parent.resolve().parents and target.parent.resolve() != tree.resolve():
            raise SyncError(f"{relative}: a folder on the {TEMPLATE_BRANCH} branch links outside the "
                            "project; sync does not write through it (nothing was changed)")
        if target.is_symlink():
            target.unlink()
        shutil.copy2(source, target)


def recorded_answers(project: Path, record: Dict[str, Any], template: TemplateInfo) -> Dict[str, Any]:
    """The recorded answers, refused as a whole when any of them could not come from ``create``:
    the record is a committed file that anyone with push access can edit, and sync runs in CI
    with a token (template syntax in an answer used to run as code)."""
    from mlf_lint.scaffold.answers import AnswerError, check_answers

    answers = dict(record.get("answers") or {})
    try:
        check_answers(template.path, answers)
    except AnswerError as exc:
        raise SyncError(f"{project / PROJECT_RECORD}: answers: {exc}; fix the recorded answer "
                        "(nothing was changed)") from None
    return answers


def _render_into(template: TemplateInfo, answers: Dict[str, Any], scratch: Path) -> Path:
    from mlf_lint.scaffold.answers import AnswerError
    from mlf_lint.scaffold.render import RenderError, render

    out = scratch / "render"
    out.mkdir()
    try:
        return render(template, answers, out)
    except (AnswerError, RenderError, OSError) as exc:
        raise SyncError(f"rendering template {template.handle} {template.version} with the recorded "
                        f"answers failed: {exc}") from None


def update_template_branch(project: Path, template: TemplateInfo, answers: Dict[str, Any],
                           patterns: List[str], message: str, token: Optional[str],
                           notes: List[str]) -> bool:
    """Commit the newly rendered template on ``TEMPLATE``; True when something changed.

    Any failure before the commit puts ``TEMPLATE`` back where it was (or removes it if this
    sync created it); the worktree is removed in every case.
    """
    existed = git.branch_exists(project, TEMPLATE_BRANCH)
    before = _ensure_template_branch(project, token, notes)
    scratch = Path(tempfile.mkdtemp(prefix="mlf-lint-sync-"))
    tree = scratch / "tree"
    committed = False
    added = finished = False
    try:
        git.run_git(["worktree", "add", "--quiet", str(tree), TEMPLATE_BRANCH], project)
        added = True
        rendered = _render_into(template, answers, scratch)
        _replace_with_render(tree, rendered, patterns)
        identity = git.identity_args(project, *_identity())
        committed = git.commit_all(tree, message, identity)
        finished = True
        return committed
    finally:
        # The worktree goes first: git will not delete a branch that a worktree has checked out.
        if added:
            git.run_git(["worktree", "remove", "--force", str(tree)], project, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        git.run_git(["worktree", "prune"], project, check=False)
        if not finished:
            _restore_template_branch(project, before, existed)


def _identity() -> List[Optional[str]]:
    from mlf_lint.scaffold.config import load

    try:
        config = load()
    except ValueError:
        return [None, None]
    return [config.name or None, config.email or None]


def _check_repository(project: Path) -> Optional[str]:
    if not git.is_repository(project):
        raise SyncError(f"{project}: not a git repository; sync needs git to keep your work safe "
                        "(git init, commit, then sync)")
    if git.toplevel(project).resolve() != project.resolve():
        raise SyncError(f"{project}: sync needs the project at the root of its git repository "
                        f"(the repository starts at {git.toplevel(project)})")
    if not git.has_commits(project):
        raise SyncError(f"{project}: the repository has no commit yet; commit the project first")
    dirty = git.dirty_paths(project)
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise SyncError(f"the work tree has uncommitted changes ({shown}); commit or stash them "
                        "(git stash --include-untracked) and run sync again. Nothing was changed.")
    branch = git.current_branch(project)
    if branch == TEMPLATE_BRANCH:
        raise SyncError(f"you are on the {TEMPLATE_BRANCH} branch, which sync writes; switch to your "
                        "own branch (git switch main) and run sync again")
    return branch


def sync(project: Path, level: Optional[str] = None, base: Optional[str] = None,
         pull_request: bool = True, token: Optional[str] = None, base_url: Optional[str] = None,
         progress: Callable[[str], None] = lambda message: None) -> SyncOutcome:
    """Render the newer template onto ``TEMPLATE``; then open a pull request or say how to merge."""
    from mlf_lint.scaffold import github
    from mlf_lint.scaffold.config import github_token

    project = Path(project)
    status = check(project, level)
    outcome = SyncOutcome(status)
    if not status.update_available:
        return outcome
    record = _record(project)
    template = _installed(status.handle)
    answers = recorded_answers(project, record, template)
    branch = _check_repository(project)
    patterns = blacklist(record, project)
    token = token or github_token()
    progress(f"rendering {status.handle} {status.installed} onto the {TEMPLATE_BRANCH} branch")
    message = (f"Template update: {status.handle} {status.recorded} -> {status.installed}\n\n"
               f"Rendered by `mlf-lint sync` with the answers recorded in {PROJECT_RECORD}.")
    outcome.committed = update_template_branch(project, template, answers, patterns, message, token,
                                               outcome.notes)
    if not outcome.committed:
        outcome.notes.append(f"{TEMPLATE_BRANCH} already holds {status.handle} {status.installed}")
    outcome.template_commit = git.ref_sha(project, f"refs/heads/{TEMPLATE_BRANCH}")

    target = base or branch
    full_name = github.repository_from_url(git.remote_url(project), base_url)
    if pull_request and full_name and token and target:
        progress(f"pushing {TEMPLATE_BRANCH} and opening a pull request on {full_name}")
        outcome.pull_request = _open_pull_request(project, full_name, status, target, token, base_url,
                                                  outcome)
        return outcome
    if pull_request and full_name and not token:
        outcome.notes.append("no GitHub token (GITHUB_TOKEN, MLF_LINT_GITHUB_TOKEN or `mlf-lint config`): "
                             "merge locally instead of through a pull request")
    outcome.merge_commands = merge_commands(target, status)
    return outcome


def _open_pull_request(project: Path, full_name: str, status: SyncStatus, base: str, token: str,
                       base_url: Optional[str], outcome: SyncOutcome) -> str:
    from mlf_lint.scaffold import github

    head = f"{github.SYNC_BRANCH_PREFIX}{status.installed}"
    sha = outcome.template_commit
    try:
        git.push(project, "origin", [f"refs/heads/{TEMPLATE_BRANCH}:refs/heads/{TEMPLATE_BRANCH}"], token)
        # A pull request branch that already exists may carry the user's conflict resolutions:
        # it is never overwritten.
        if git.remote_branch_sha(project, "origin", head, token) is None:
            git.push(project, "origin", [f"{sha}:refs/heads/{head}"], token)
    except git.GitError as exc:
        raise SyncError(f"{TEMPLATE_BRANCH} was updated locally but pushing it failed: {exc}") from None
    body = (f"Template `{status.handle}` moved from {status.recorded} to {status.installed}.\n\n"
            f"This pull request was opened by `mlf-lint sync`. Merge it with a merge commit (not "
            f"squash or rebase) so that the next sync can tell what is already merged. To resolve "
            f"conflicts, commit on the `{head}` branch, never on `{TEMPLATE_BRANCH}`.")
    try:
        result = github.open_sync_pull_request(
            full_name, head, base, f"Sync with template {status.handle} {status.installed}", body,
            token, base_url)
    except github.GitHubError as exc:
        raise SyncError(str(exc)) from None
    if result.closed:
        outcome.notes.append("closed older sync pull requests " + ", ".join(f"#{n}" for n in result.closed))
    if not result.created:
        outcome.notes.append(f"pull request #{result.number} for this version was already open")
    return result.html_url


def merge_commands(branch: Optional[str], status: SyncStatus) -> List[str]:
    commands = [f"git switch {branch}"] if branch else []
    commands.append(f'git merge {TEMPLATE_BRANCH} -m "Merge template {status.handle} {status.installed}"')
    return commands

"""Project lifecycle commands: ``config``, ``sync`` and ``bump-version``.

Every expected failure is one line on stderr and exit status 2; ``sync --check`` uses 1 for
"an update is available", so a workflow can tell the two apart.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import click

from mlf_lint.cli.errors import EXIT_FINDINGS, EXIT_OK, fail, finish

if TYPE_CHECKING:
    from mlf_lint.scaffold.config import UserConfig


def _prompt_validated(label: str, default: str, check: Callable[[str], None]) -> str:
    def validate(value: str) -> str:
        value = value.strip()
        try:
            check(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        return value

    return click.prompt(label, default=default, show_default=bool(default), value_proc=validate)


@click.command("config")
@click.option("--name", help="Your full name, used in new projects and commits.")
@click.option("--email", help="Your e-mail address.")
@click.option("--github-user", help="Your GitHub user name.")
@click.option("--token-stdin", is_flag=True,
              help="Read a GitHub token from standard input and store it (file mode 0600).")
@click.option("--forget-token", is_flag=True, help="Delete the stored GitHub token.")
@click.option("--view", is_flag=True, help="Show the settings (never the token itself) and exit.")
def config(name: Optional[str], email: Optional[str], github_user: Optional[str], token_stdin: bool,
           forget_token: bool, view: bool) -> None:
    """Set your name, e-mail, GitHub user and (optionally) a GitHub token.

    With no option, asks for each one. The token is read from MLF_LINT_GITHUB_TOKEN or GITHUB_TOKEN
    first; a stored one lives in its own file readable only by you. It is never shown.
    """
    from mlf_lint.scaffold import config as settings

    try:
        current = settings.load()
        if view:
            _show(current)
            return
        if forget_token:
            removed = settings.forget_token()
            click.echo("stored GitHub token deleted" if removed else "no stored GitHub token")
        interactive = not any((name, email, github_user, token_stdin, forget_token))
        if interactive:
            current.name = _prompt_validated("Name", current.name, lambda v: None)
            current.email = _prompt_validated(
                "E-mail", current.email, lambda v: settings.validate(settings.UserConfig(email=v)))
            current.github_user = _prompt_validated(
                "GitHub user", current.github_user,
                lambda v: settings.validate(settings.UserConfig(github_user=v)))
            token = click.prompt("GitHub token (input hidden; empty keeps the current one)",
                                 default="", show_default=False, hide_input=True)
            if token.strip():
                settings.store_token(token)
                click.echo(f"GitHub token stored in {settings.token_path()}")
        else:
            current.name = current.name if name is None else name.strip()
            current.email = current.email if email is None else email.strip()
            current.github_user = current.github_user if github_user is None else github_user.strip()
            if token_stdin:
                token = sys.stdin.read()
                path = settings.store_token(token)
                click.echo(f"GitHub token stored in {path}")
        if interactive or any(v is not None for v in (name, email, github_user)):
            path = settings.save(current)
            click.echo(f"settings saved to {path}")
    except settings.ConfigError as exc:
        fail(str(exc), command="config")
    except OSError as exc:
        fail(f"{exc.filename or settings.config_dir()}: {exc.strerror}", command="config")


def _show(current: UserConfig) -> None:
    from mlf_lint.scaffold import config as settings

    _, source = settings.token_with_source()
    rows = [
        ("config file", str(settings.config_path())),
        ("name", current.name or "(not set)"),
        ("email", current.email or "(not set)"),
        ("github user", current.github_user or "(not set)"),
        ("github token", "not set" if source == "not set" else f"set ({source})"),
    ]
    for key, value in rows:
        click.echo(f"{key + ':':<14}{value}")


@click.command("sync")
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True,
              help="Only compare versions: exit 1 when an update is available, 0 when current.")
@click.option("--level", type=click.Choice(["patch", "minor", "major"]),
              help="Smallest template version difference that is synced (default: the project's "
                   "sync.level, else patch).")
@click.option("--base",
              help="Branch the pull request targets, or to merge into (default: the current branch).")
@click.option("--no-pull-request", is_flag=True,
              help="Never open a pull request: print the git commands to merge locally.")
def sync(path: Path, check_only: bool, level: Optional[str], base: Optional[str],
         no_pull_request: bool) -> None:
    """Bring the project at PATH up to date with the newest installed version of its template.

    The template is rendered again with the project's recorded answers onto the TEMPLATE branch
    (in a separate worktree: your checkout is never touched). With a GitHub remote and a token a
    pull request is opened; otherwise the git commands to merge are printed.
    """
    from mlf_lint.scaffold import sync as syncing

    try:
        if check_only:
            status = syncing.check(path, level)
            click.echo(status.reason)
            finish(EXIT_FINDINGS if status.update_available else EXIT_OK)
        outcome = syncing.sync(path, level=level, base=base, pull_request=not no_pull_request,
                               progress=lambda message: click.echo(message, err=True))
    except syncing.SyncError as exc:
        fail(str(exc), command="sync")
    except OSError as exc:
        fail(f"{exc.filename or path}: {exc.strerror}", command="sync")
    except Exception as exc:  # git wrapper errors: one line, the user's work is untouched
        from mlf_lint.scaffold.git import GitError

        if isinstance(exc, GitError):
            fail(f"{exc}; your branch and files are as they were", command="sync")
        raise
    click.echo(outcome.status.reason)
    for note in outcome.notes:
        click.echo(f"note: {note}")
    if not outcome.status.update_available:
        return
    if outcome.pull_request:
        click.echo(f"pull request: {outcome.pull_request}")
    elif outcome.merge_commands:
        click.echo(f"The {syncing.TEMPLATE_BRANCH} branch is ready. To merge it, run in {path}:")
        for command in outcome.merge_commands:
            click.echo(f"  {command}")
        click.echo("If git reports conflicts, edit the files, `git add` them and `git commit`.")


@click.command("bump-version")
@click.argument("new_version", required=False)
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--downgrade", is_flag=True, help="Allow a version lower than the current one.")
@click.option("--project-version", is_flag=True, help="Print the current project version and exit.")
@click.option("--no-changelog", is_flag=True, help="Do not add a CHANGELOG section.")
def bump_version(new_version: Optional[str], path: Optional[Path], downgrade: bool,
                 project_version: bool, no_changelog: bool) -> None:
    """Change the project version to NEW_VERSION (X.Y.Z or X.Y.Z-SNAPSHOT) everywhere it is kept.

    Updates each file listed under bump_version.files in the project record and adds a
    `## [NEW_VERSION] - DATE` section to CHANGELOG.md.
    """
    from mlf_lint.scaffold import bump_version as bumping

    if project_version and path is None and new_version is not None:
        path, new_version = Path(new_version), None  # `bump-version --project-version DIR`
    project = path or Path(".")
    if not project.is_dir():
        fail(f"{project}: no such project folder", command="bump-version")
    try:
        if project_version:
            click.echo(bumping.current_version(project))
            return
        if new_version is None:
            fail("give the new version, e.g. `mlf-lint bump-version 1.4.0`", command="bump-version")
        result = bumping.bump(project, new_version, downgrade=downgrade, changelog=not no_changelog)
    except bumping.BumpError as exc:
        fail(str(exc), command="bump-version")
    except OSError as exc:
        fail(f"{exc.filename or project}: {exc.strerror}", command="bump-version")
    click.echo(f"version {result.old} -> {result.new}")
    for name, count in result.changed:
        click.echo(f"  {name}: {count} occurrence{'s' if count != 1 else ''}")
    if result.changelog:
        click.echo(f"  {result.changelog}: section for {result.new} added")
    for note in result.notes:
        click.echo(f"note: {note}")

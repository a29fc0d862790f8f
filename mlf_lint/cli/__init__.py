"""``mlf-lint``: the click entry point. ``mlf-lint PATH`` means ``mlf-lint check PATH``.

One module per command group (check, fix_flags, rules, scaffold, lifecycle, evidence), imported
only when its command runs; ``errors`` holds the exit codes and ``fail``. This package is the only
place that ends the process."""
from __future__ import annotations

import importlib
from typing import List, Optional

import click

from mlf_lint import __version__
from mlf_lint.cli.commands import LAZY_COMMANDS
from mlf_lint.cli.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, finish


class LazyGroup(click.Group):
    """A group whose commands are imported on first use, and whose default command is ``check``."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def resolve_command(self, ctx: click.Context, args: List[str]):
        # ruff-style: anything that is not a sub-command name is a path for ``check``.
        if args and args[0] not in LAZY_COMMANDS:
            args = ["check", *args]
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if not args or (args[0] not in LAZY_COMMANDS and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlf-lint")
def cli() -> None:
    """Find why machine-learning code will not reproduce, and scaffold projects that do.

    `mlf-lint PATH...` checks code and project files (same as `mlf-lint check PATH...`).
    """


def main(argv: Optional[List[str]] = None) -> None:
    # Not click's standalone mode: it turns Ctrl-C into "Aborted!" with exit 1, which reads as
    # "findings" to CI; an interrupted run exits 130 like any other interrupted program.
    try:
        code = cli.main(args=argv, prog_name="mlf-lint", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("mlf-lint: interrupted", err=True)
        finish(EXIT_INTERRUPTED)
    except click.exceptions.ClickException as exc:
        exc.show()
        finish(EXIT_ERROR if exc.exit_code == EXIT_ERROR else exc.exit_code)
    except click.exceptions.Exit as exc:
        finish(exc.exit_code)
    finish(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()

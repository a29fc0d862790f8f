"""How every command ends: one set of exit codes and one way to fail (a line on stderr, no traceback).

Only the ``cli`` package ends the process; the packages below it raise their own errors, which the
command turns into one of these."""
from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

EXIT_OK = 0           # clean / identical / done / up to date
EXIT_FINDINGS = 1     # findings / different runs / an update is available / some files failed
EXIT_ERROR = 2        # usage, configuration or internal error; the command could not do its job
EXIT_INTERRUPTED = 130  # Ctrl-C, as any interrupted program


def fail(message: str, *, command: str = "", code: int = EXIT_ERROR, tag: str = "error") -> NoReturn:
    """``mlf-lint[ COMMAND]: [TAG: ]MESSAGE`` on stderr, then exit with ``code``."""
    where = f"mlf-lint {command}" if command else "mlf-lint"
    click.echo(f"{where}: {tag + ': ' if tag else ''}{message}", err=True)
    sys.exit(code)


def internal_error(exc: Exception, *, command: str = "") -> NoReturn:
    """An exception nobody expected: one line, never a traceback (``MLF_LINT_DEBUG=1`` re-raises it)."""
    if os.environ.get("MLF_LINT_DEBUG"):
        raise exc
    fail(f"internal error: {type(exc).__name__}: {exc} (set MLF_LINT_DEBUG=1 for the traceback "
         "and please report it)", command=command)


def finish(code: int) -> NoReturn:
    """End the command with ``code`` (after its output)."""
    sys.exit(code)

"""``mlf-lint server``: the language server for editors (LSP over stdio)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import click


@click.command("server")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Append the server's log to FILE (stdout carries the protocol).")
def server(log_file: Optional[Path]) -> None:
    """Run the mlf-lint Language Server on stdin/stdout (LSP) for editors.

    Diagnostics as you type, quick fixes and `# noqa` actions, rule pages on hover. Settings
    (initializationOptions or workspace/didChangeConfiguration): {"mlf-lint": {"select": [...],
    "extendSelect": [...], "ignore": [...]}}. Needs the `server` extra: pip install "mlf-lint[server]".
    """
    try:
        from mlf_lint.server.app import serve
    except ImportError as exc:
        click.echo(f"mlf-lint: error: the language server needs pygls ({exc}); "
                   "install it with: pip install \"mlf-lint[server]\"", err=True)
        raise SystemExit(2)
    if log_file is not None:
        logging.basicConfig(filename=str(log_file), level=logging.INFO,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve()

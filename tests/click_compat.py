"""One CliRunner for every test: stdout and stderr apart on every supported click.

click 8.2+ (Python >= 3.10) always keeps them apart; click 8.1 (the newest on Python 3.9) mixes
them unless asked not to.
"""
from __future__ import annotations

from click.testing import CliRunner


def cli_runner(**kwargs) -> CliRunner:
    try:
        return CliRunner(mix_stderr=False, **kwargs)
    except TypeError:  # click >= 8.2 has no mix_stderr: the streams are always separate
        return CliRunner(**kwargs)

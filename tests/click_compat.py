"""One CliRunner for every test, with click 8.2's semantics on every supported click.

click 8.2+ (Python >= 3.10) keeps stdout and stderr apart and makes ``result.output`` both of
them; click 8.1 (the newest on Python 3.9) mixes them unless asked, and then ``output`` is stdout
only. On 8.1 this runner keeps them apart and gives ``output`` the 8.2 meaning.
"""
from __future__ import annotations

from click.testing import CliRunner, Result


class _Result(Result):
    @property
    def output(self) -> str:  # type: ignore[override]
        return self.stdout + (self.stderr if self.stderr_bytes is not None else "")


class _SeparatingRunner(CliRunner):
    def invoke(self, *args, **kwargs) -> Result:  # type: ignore[override]
        result = super().invoke(*args, **kwargs)
        result.__class__ = _Result
        return result


def cli_runner(**kwargs) -> CliRunner:
    try:
        return _SeparatingRunner(mix_stderr=False, **kwargs)
    except TypeError:  # click >= 8.2 has no mix_stderr: the streams are always separate
        return CliRunner(**kwargs)

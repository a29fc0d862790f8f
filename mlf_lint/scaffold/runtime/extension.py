"""Jinja extensions for the templates: the shared files, string escaping and the ``now`` tag.

Templates name :class:`RuntimeExtension` in ``cookiecutter.json`` (``"_extensions": [...]``); the
renderer (:mod:`mlf_lint.scaffold.render`) loads it and :class:`NowExtension` into its sandboxed
environment. They give templates:

- ``mlf_reproducibility_module(library)``: each project's ``reproducibility.py``, from one source;
- ``mlf_shared_file(name, **values)``: a file kept once in ``templates/_runtime/`` for every
  template (a ``.j2`` file is rendered with the project's answers plus ``values``);
- ``mlf_library(library)``: the pins and start-up variables of a library (``libraries.yaml``);
- ``mlf_lint_version``, so a project's CI installs the mlf-lint that generated it;
- the ``escape_string`` filter, for answers inside double-quoted strings;
- ``{% now 'utc', '%Y-%m-%d' %}`` (cookiecutter's tag, for the dates of LICENSE and CHANGELOG).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, List, Optional

from jinja2 import Environment, nodes, pass_context
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context

from mlf_lint import __version__
from mlf_lint.scaffold.runtime import library_profile, render_reproducibility_module, shared_file


def escape_string(value: Any) -> str:
    """``value`` for the inside of a double-quoted string in Python, TOML, YAML or JSON.

    Answers hold no control characters (:mod:`mlf_lint.scaffold.answers` refuses them), so a
    backslash and a double quote are all that need escaping, and all four formats read ``\\\\`` and
    ``\\"`` alike.
    """
    return str(value).replace("\\", "\\\\").replace('"', '\\"')


@pass_context
def _shared_file(context: Context, name: str, **values: Any) -> str:
    text = shared_file(name)
    if not name.endswith(".j2"):
        return text
    # Block tags on their own lines leave no blank lines behind (as in reproducibility.py.j2).
    environment = context.environment.overlay(trim_blocks=True, lstrip_blocks=True)
    return environment.from_string(text).render({**context.get_all(), **values})


class RuntimeExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["mlf_reproducibility_module"] = render_reproducibility_module
        environment.globals["mlf_shared_file"] = _shared_file
        environment.globals["mlf_library"] = library_profile
        environment.globals["mlf_lint_version"] = __version__
        environment.filters["escape_string"] = escape_string


class NowExtension(Extension):
    """``{% now 'utc' %}`` or ``{% now 'utc', FORMAT %}``: the current time ('utc' or 'local')."""

    tags = {"now"}

    def parse(self, parser: Parser) -> nodes.Output:
        lineno = next(parser.stream).lineno
        args: List[nodes.Expr] = [parser.parse_expression()]
        args.append(parser.parse_expression() if parser.stream.skip_if("comma") else nodes.Const(None))
        return nodes.Output([self.call_method("_now", args)], lineno=lineno)

    @staticmethod
    def _now(timezone: str, format: Optional[str]) -> str:
        if timezone not in ("utc", "local"):
            raise ValueError(f"now: timezone {timezone!r}: use 'utc' or 'local'")
        moment = _dt.datetime.now(_dt.timezone.utc)
        if timezone == "local":
            moment = moment.astimezone()
        return moment.strftime(format or "%Y-%m-%d")

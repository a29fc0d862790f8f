"""Cookiecutter Jinja extension: gives templates ``mlf_reproducibility_module(library)``.

Templates name it in ``cookiecutter.json`` (``"_extensions": [...]``) so that each project's
``reproducibility.py`` is rendered from the one shared source instead of four hand copies.
It also gives ``mlf_lint_version``, so a project's CI installs the mlf-lint that generated it.
"""
from __future__ import annotations

from jinja2 import Environment
from jinja2.ext import Extension

from mlf_lint import __version__
from mlf_lint.scaffold.runtime import render_reproducibility_module, shared_file


class RuntimeExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["mlf_reproducibility_module"] = render_reproducibility_module
        environment.globals["mlf_shared_file"] = shared_file
        environment.globals["mlf_lint_version"] = __version__

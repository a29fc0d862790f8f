"""Reporters: each turns a ``RunResult`` into text. Imported lazily by format name."""
from __future__ import annotations

import importlib
from typing import Callable, Dict

from mlf_lint.engine.result import RunResult

# format name -> "module:function"; function(result, color: bool) -> str
FORMATS: Dict[str, str] = {
    "text": "mlf_lint.report.text:render",
    "concise": "mlf_lint.report.text:render_concise",
    "json": "mlf_lint.report.json_format:render",
    "sarif": "mlf_lint.report.sarif:render",
    "github": "mlf_lint.report.github:render",
    "junit": "mlf_lint.report.junit:render",
}


def get_reporter(fmt: str) -> Callable[..., str]:
    module, attr = FORMATS[fmt].split(":")
    return getattr(importlib.import_module(module), attr)


def render(fmt: str, result: RunResult, color: bool = False) -> str:
    return get_reporter(fmt)(result, color=color)

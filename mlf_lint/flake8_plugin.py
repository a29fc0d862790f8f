"""flake8 adapter: ``(tree, filename, lines)`` -> the lint run -> flake8 tuples.

Reports exactly what ``mlf-lint check`` reports for the same file: the same project facts (the
project root is found from the file) and the same rules. Project files (environment.yml, ...) are
the CLI's alone: flake8 only hands plugins Python files.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, Sequence, Tuple

from mlf_lint import __version__

_FACTS: Dict[Path, object] = {}
_ROOTS: Dict[Path, Path] = {}  # folder -> project root, for this (short-lived) flake8 process


def _file_facts(filename: str):
    """The facts the file is judged under: those of every program of its root that reaches it."""
    from mlf_lint.engine.paths import relative
    from mlf_lint.lint.discovery import find_root
    from mlf_lint.lint.facts import model_for_root

    path = Path(filename).resolve()
    root = _ROOTS.get(path.parent)
    if root is None:
        root = _ROOTS[path.parent] = find_root(path.parent)
    if root not in _FACTS:
        # The CLI's cache also serves the plugin: per-file summaries and the root's program model
        # are keyed by content, so an editor's flake8 run reuses what the last run computed.
        _FACTS[root] = model_for_root(root)
    return _FACTS[root].for_file(relative(path, root))  # type: ignore[attr-defined]


class Plugin:
    name = "mlf-lint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    # Off-by-default codes the user named explicitly (flake8 would let `--select MLF` turn them on;
    # the CLI, like bugbear's docs, needs the code itself).
    explicitly_selected: Tuple[str, ...] = ()

    @classmethod
    def add_options(cls, option_manager) -> None:
        from mlf_lint.engine.registry import default_ignored

        option_manager.extend_default_ignore(default_ignored())

    @classmethod
    def parse_options(cls, options) -> None:
        from mlf_lint.engine.registry import default_ignored

        named = [s.upper() for s in [*(getattr(options, "select", None) or ()),
                                     *(getattr(options, "extend_select", None) or ())]]
        cls.explicitly_selected = tuple(c for c in default_ignored() if c in named or "ALL" in named)

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        from mlf_lint.lint.check import check_source

        if self.filename in ("stdin", "-", None):
            path = Path.cwd() / "stdin.py"
        else:
            path = Path(self.filename)
        from mlf_lint.lint.discovery import is_template_dir

        if any(is_template_dir(part) for part in path.parts[:-1]):
            return  # a template file: the CLI does not read it either (a note says so)
        source = "".join(self.lines)
        facts = _file_facts(str(path))
        # Every code runs here; flake8 itself applies --select/--ignore and the default ignores.
        findings, _ = check_source(path.as_posix(), source, facts, None, tree=self.tree)  # type: ignore[arg-type]
        from mlf_lint.engine.registry import all_rules

        rules = all_rules()
        for finding in findings:
            rule = rules.get(finding.code)
            if rule is not None and not rule.default and finding.code not in self.explicitly_selected:
                continue
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)

"""flake8 adapter: ``(tree, filename, lines)`` -> the lint run -> flake8 tuples.

Reports exactly what ``mlf-lint check`` reports for the same file: the same project facts (the
project root is found from the file) and the same rules. Project files (environment.yml, ...) are
the CLI's alone: flake8 only hands plugins Python files.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, Optional, Sequence, Tuple

from mlf_lint import __version__
from mlf_lint.engine.paths import printable, relative

# Codes of the plugin's own failures (rules.yaml), named here so that flake8's start imports no lint.
UNREADABLE = "MLF902"
CONFIG_INVALID = "MLF906"

_FACTS: Dict[Path, object] = {}  # root -> its facts, or the ConfigError that stops its checks
_ROOTS: Dict[Path, Path] = {}  # folder -> project root, for this (short-lived) flake8 process


def _file_facts(filename: str):
    """The facts the file is judged under (those of every program of its root that reaches it), or
    the ConfigError of its project's broken mlf-lint configuration."""
    from mlf_lint.engine.config import ConfigError, load_config
    from mlf_lint.lint.discovery import find_root
    from mlf_lint.lint.facts import model_for_root

    path = Path(filename).resolve()
    root = _ROOTS.get(path.parent)
    if root is None:
        root = _ROOTS[path.parent] = find_root(path.parent)
    if root not in _FACTS:
        try:
            config = load_config(root)
        except ConfigError as exc:
            # As `mlf-lint` (exit 2, the same message): no rule runs on settings nobody chose.
            _FACTS[root] = exc
        else:
            # The CLI's cache also serves the plugin: per-file summaries and the root's program model
            # are keyed by content, so an editor's flake8 run reuses what the last run computed.
            _FACTS[root] = model_for_root(root, config)
    found = _FACTS[root]
    if isinstance(found, ConfigError):
        return found
    return found.for_file(relative(path, root))  # type: ignore[attr-defined]


def _undecodable(path: Path, lines: Sequence[str]) -> Optional[str]:
    """Why Python cannot decode the file, as ``mlf-lint`` says it (MLF902), or None. flake8 falls
    back to Latin-1 where Python refuses a file; the bytes are read again only when that can have
    happened: some text is not ASCII, or a coding declaration may name an unknown codec."""
    if all(line.isascii() for line in lines) and not any("coding" in line for line in lines[:2]):
        return None
    from mlf_lint.engine.pysource import DecodeError, decode

    try:
        decode(path.read_bytes())
    except DecodeError as exc:
        return str(exc)
    except OSError:
        return None  # flake8 read it a moment ago; nothing to add
    return None


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
        """The findings; never raises. flake8 runs every plugin in one process, so an exception here
        would end `flake8 --select E,F` too: installing mlf-lint must never break plain flake8."""
        try:
            found = list(self._findings())
        except Exception as exc:  # noqa: BLE001 - the last resort: one finding instead of a traceback
            yield (1, 0, f"{UNREADABLE} mlf-lint could not check this file: internal error ({type(exc).__name__}: "
                   f"{printable(str(exc))[:200]}); please report it. flake8's other checks are unaffected.",
                   type(self))
            return
        yield from found

    def _findings(self) -> Iterator[Tuple[int, int, str, type]]:
        from mlf_lint.lint.check import check_source

        if self.filename in ("stdin", "-", None):
            path = Path.cwd() / "stdin.py"
        else:
            path = Path(self.filename)
        from mlf_lint.lint.discovery import is_template_dir

        if any(is_template_dir(part) for part in path.parts[:-1]):
            return  # a template file: the CLI does not read it either (a note says so)
        source = "".join(self.lines)
        problem = _undecodable(path, self.lines) if self.filename not in ("stdin", "-", None) else None
        if problem:
            yield 1, 0, f"{UNREADABLE} cannot analyse this file: {problem}", type(self)
            return
        facts = _file_facts(str(path))
        if isinstance(facts, Exception):
            root = relative(_ROOTS[path.resolve().parent], Path.cwd())
            yield (1, 0, f"{CONFIG_INVALID} mlf-lint's configuration cannot be read, so no MLF rule was checked in "
                   f"the project at {root}: {printable(str(facts))} (`mlf-lint` stops there too)", type(self))
            return
        # Every code runs here; flake8 itself applies --select/--ignore and the default ignores.
        findings, _ = check_source(path.as_posix(), source, facts, None, tree=self.tree)  # type: ignore[arg-type]
        from mlf_lint.engine.registry import all_rules

        rules = all_rules()
        for finding in findings:
            rule = rules.get(finding.code)
            if rule is not None and not rule.default and finding.code not in self.explicitly_selected:
                continue
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)

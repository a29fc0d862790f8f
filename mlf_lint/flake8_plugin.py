"""flake8 adapter: ``(tree, filename, lines)`` -> the lint run -> flake8 tuples.

Reports exactly what ``mlf-lint check`` reports for the same file: the same facts (the project
root is found from the file, and the file is judged under the facts of every program of the root
that reaches it), the same rules, and the project-level findings on the file's lines (the
environment-variable rules, MLF4xx). Findings on project files (environment.yml, ...) are the
CLI's alone: flake8 only hands plugins Python files.

The facts come through the fact store: the project's ``.mlf_lint_cache`` when it exists, else the
user's cache folder (never a new folder in the project), so a warm run reads no unchanged file;
a file whose text and whose project are unchanged shows what it showed last time (lint/known.py).
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

_ROOTS: Dict[Path, Path] = {}    # folder -> project root, for this (short-lived) flake8 process
_SCANS: Dict[Path, object] = {}   # project root -> its RootScan (the model is loaded only if needed)


def _scan(path: Path):
    """The scan of the file's project root; its ``config_problem`` names a broken mlf-lint
    configuration (reported as MLF906: no rule runs on settings nobody chose, as in ``mlf-lint``)."""
    from mlf_lint.lint.discovery import find_root
    from mlf_lint.lint.facts import root_scan

    folder = path.parent
    root = _ROOTS.get(folder)
    if root is None:
        root = _ROOTS[folder] = find_root(folder)
    if root not in _SCANS:
        _SCANS[root] = root_scan(root)
    return _SCANS[root]


def _any_selected(options, codes) -> bool:
    """Whether flake8 would report any MLF code at all, decided as flake8 decides (its own engine)."""
    try:
        from flake8.style_guide import Decision, DecisionEngine

        engine = DecisionEngine(options)
        return any(engine.decision_for(code) is Decision.Selected for code in codes)
    except Exception:  # noqa: BLE001 - another flake8 version: run, and let flake8 filter
        return True


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

    # False when flake8's selection leaves out every MLF code (`flake8 --select E`): then the
    # plugin does nothing, so installing mlf-lint costs such runs next to nothing.
    wanted: bool = True

    @classmethod
    def parse_options(cls, options) -> None:
        from mlf_lint.engine.registry import all_rules, default_ignored

        named = [s.upper() for s in [*(getattr(options, "select", None) or ()),
                                     *(getattr(options, "extend_select", None) or ())]]
        cls.explicitly_selected = tuple(c for c in default_ignored() if c in named or "ALL" in named)
        cls.wanted = _any_selected(options, all_rules())

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        """The findings; never raises. flake8 runs every plugin in one process, so an exception here
        would end `flake8 --select E,F` too: installing mlf-lint must never break plain flake8."""
        if not self.wanted:
            return
        from mlf_lint.engine.collector import fewer_collections

        try:
            with fewer_collections():
                found = list(self._findings())
        except Exception as exc:  # noqa: BLE001 - the last resort: one finding instead of a traceback
            yield (1, 0, f"{UNREADABLE} mlf-lint could not check this file: internal error ({type(exc).__name__}: "
                   f"{printable(str(exc))[:200]}); please report it. flake8's other checks are unaffected.",
                   type(self))
            return
        yield from found

    def _findings(self) -> Iterator[Tuple[int, int, str, type]]:
        if self.filename in ("stdin", "-", None):
            path = Path.cwd() / "stdin.py"
        else:
            path = Path(self.filename)
        from mlf_lint.lint.discovery import is_template_dir

        if any(is_template_dir(part) for part in path.parts[:-1]):
            return  # a template file: the CLI does not read it either (a note says so)
        problem = _undecodable(path, self.lines) if self.filename not in ("stdin", "-", None) else None
        if problem:
            yield 1, 0, f"{UNREADABLE} cannot analyse this file: {problem}", type(self)
            return
        from mlf_lint.engine.cache import fact_digests
        from mlf_lint.lint import known

        source = "".join(self.lines)
        path = path.resolve()
        scan = _scan(path)
        problem = scan.config_problem  # type: ignore[attr-defined]
        if problem:
            root = relative(scan.root, Path.cwd())  # type: ignore[attr-defined]
            yield (1, 0, f"{CONFIG_INVALID} mlf-lint's configuration cannot be read, so no MLF rule was checked in "
                   f"the project at {root}: {printable(problem)} (`mlf-lint` stops there too)", type(self))
            return
        store = scan.code_facts.store  # type: ignore[attr-defined]
        rel, digest = relative(path, scan.root), known.text_digest(source)  # type: ignore[attr-defined]
        # Every code runs here; flake8 itself applies --select/--ignore, noqa and the default ignores.
        findings = known.kept_whole(store, rel, digest, scan.key)  # type: ignore[attr-defined]
        if findings is None:
            from mlf_lint.lint.facts import code_lines_of

            project = scan.facts()  # type: ignore[attr-defined]
            facts = project.for_file(rel)
            analysis = known.kept_analysis(store, rel, digest, facts)
            if analysis is None:
                from mlf_lint.lint.check import check_source

                found, used = check_source(path.as_posix(), source, facts, None, tree=self.tree)  # type: ignore
                analysis = found, fact_digests(facts, used)
            lines = code_lines_of(project.code_lines, rel, source, path.as_posix(), None)
            known.keep(store, rel, digest, scan.key, analysis[0], analysis[1], lines)  # type: ignore[attr-defined]
            findings = [*analysis[0], *lines]
        from mlf_lint.engine.registry import all_rules

        rules = all_rules()
        for finding in findings:
            rule = rules.get(finding.code)
            if rule is not None and not rule.default and finding.code not in self.explicitly_selected:
                continue
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)

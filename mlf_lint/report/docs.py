"""Generated documentation: one page per rule in docs/rules/, and the README's rule and format tables.

``python -m mlf_lint.report.docs`` writes them; ``--check`` only says what is stale (exit 1), which
is what the test suite runs, so the docs can never drift from the rule registry.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional

from mlf_lint.engine.registry import PACKAGE_ROOT, Rule, all_rules
from mlf_lint.report import FORMATS

REPO_ROOT = PACKAGE_ROOT.parent
RULES_DIR = Path("docs") / "rules"
README = Path("README.md")
PAGE_NAME = re.compile(r"^MLF\d+\.md$")
FORMAT_DESCRIPTIONS = {
    "text": "`path:line:col: CODE message` per finding and a summary line, coloured on a terminal (the default).",
    "concise": "One line per finding: `path:line:col: CODE message`.",
    "json": "A list of findings shaped like ruff's JSON (`code`, `message`, `location`, `fix`, ...).",
    "sarif": "SARIF 2.1.0 for GitHub code scanning (`-o mlf-lint.sarif`, see docs/integrations.md).",
    "github": "GitHub Actions annotations (`::error file=...,line=...::message`) shown on the pull request.",
    "junit": "JUnit XML: one test case per file, one failure per finding, for CI test reports.",
}


class DocsError(Exception):
    """The README lacks a marker pair the generator writes between."""


def rule_pages(rules: Mapping[str, Rule]) -> Dict[str, str]:
    return {f"{code}.md": rule.page() for code, rule in sorted(rules.items())}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def rules_table(rules: Mapping[str, Rule], link: Callable[[Rule], str] = lambda r: f"docs/rules/{r.code}.md") -> str:
    """The rule table in Markdown; ``link`` gives each code's target (the README links its docs folder)."""
    rows = ["| code | name | library | severity | default on | fixable | summary |", "| --- " * 7 + "|"]
    for code, rule in sorted(rules.items()):
        fixable = "" if rule.fix == "none" else rule.fix
        rows.append(
            f"| [{code}]({link(rule)}) | {rule.name} | {rule.library} | {rule.severity} "
            f"| {'yes' if rule.default else 'no'} | {fixable} | {_cell(rule.summary)} |"
        )
    if not rules:
        rows.append("| | | | | | | no rules registered yet |")
    return "\n".join(rows)


def formats_table(formats: Optional[Mapping[str, str]] = None) -> str:
    rows = ["| `--format` | output |", "| --- | --- |"]
    for name in formats if formats is not None else FORMATS:
        rows.append(f"| `{name}` | {FORMAT_DESCRIPTIONS.get(name, '')} |")
    return "\n".join(rows)


def replace_between(text: str, marker: str, body: str) -> str:
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise DocsError(f"README.md lacks the markers {start} ... {end}")
    return pattern.sub(lambda _: f"{start}\n{body}\n{end}", text, count=1)


def readme_text(current: str, rules: Mapping[str, Rule]) -> str:
    text = replace_between(current, "rules-table", rules_table(rules))
    return replace_between(text, "formats", formats_table())


def stale(root: Path = REPO_ROOT, rules: Optional[Mapping[str, Rule]] = None) -> List[str]:
    """Generated files that differ from what the registry says now (relative paths)."""
    rules = all_rules() if rules is None else rules
    out: List[str] = []
    pages = rule_pages(rules)
    folder = root / RULES_DIR
    for name, page in pages.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != page:
            out.append((RULES_DIR / name).as_posix())
    if folder.exists():
        out += [
            (RULES_DIR / p.name).as_posix()
            for p in sorted(folder.iterdir())
            if PAGE_NAME.match(p.name) and p.name not in pages
        ]
    readme = (root / README).read_text(encoding="utf-8")
    if readme_text(readme, rules) != readme:
        out.append(README.as_posix())
    return out


def write(root: Path = REPO_ROOT, rules: Optional[Mapping[str, Rule]] = None) -> List[str]:
    """Regenerate everything; returns what changed."""
    rules = all_rules() if rules is None else rules
    changed = stale(root, rules)
    folder = root / RULES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    pages = rule_pages(rules)
    for name, page in pages.items():
        (folder / name).write_text(page, encoding="utf-8")
    for path in folder.iterdir():  # pages of codes no longer registered (renamed while unreleased)
        if PAGE_NAME.match(path.name) and path.name not in pages:
            path.unlink()
    readme = root / README
    readme.write_text(readme_text(readme.read_text(encoding="utf-8"), rules), encoding="utf-8")
    return changed


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlf_lint.report.docs", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1 if any")
    parser.add_argument(
        "--root", type=Path, default=REPO_ROOT, help="repository root (default: this checkout)"
    )
    args = parser.parse_args(argv)
    if not (args.root / README).is_file():
        print(f"mlf-lint docs: {args.root / README} not found; pass --root REPO", file=sys.stderr)
        return 2
    try:
        if args.check:
            out = stale(args.root)
            for path in out:
                print(f"stale: {path}")
            return 1 if out else 0
        for path in write(args.root):
            print(f"updated: {path}")
    except DocsError as exc:
        print(f"mlf-lint docs: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

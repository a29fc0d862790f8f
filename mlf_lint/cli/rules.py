"""``mlf-lint rules`` (the table of every code) and ``mlf-lint rule CODE`` (one rule's page)."""

from __future__ import annotations

import difflib
import json
import sys
from typing import Any, Dict, List, Optional

import click

from mlf_lint.cli.errors import fail
from mlf_lint.engine.registry import Rule, all_rules, get_rule


def rule_json(rule: Rule) -> Dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "library": rule.library,
        "severity": rule.severity,
        "default": rule.default,
        "fix": rule.fix,
        "precision": rule.precision,
        "tags": list(rule.tags),
        "summary": rule.summary,
        "versions": rule.versions,
        "url": rule.url,
        "references": [{"title": r.title, "url": r.url} for r in rule.references],
        "page": rule.page(),
    }


def close_codes(code: str, limit: int = 3) -> List[str]:
    """Codes a mistyped one probably meant: same prefix first, then by spelling."""
    code = code.upper()
    known = list(all_rules())
    near = difflib.get_close_matches(code, known, n=limit, cutoff=0.6)
    prefix = [c for c in known if code and c.startswith(code)]
    return list(dict.fromkeys(prefix + near))[:limit]


@click.command("rule")
@click.argument("code")
@click.option(
    "--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True
)
def rule(code: str, fmt: str) -> None:
    """Show the documentation page of one rule (what, why, example, fix, references).

    The page is Markdown: rendered on a terminal, plain when piped or redirected."""
    found = get_rule(code)
    if found is None:
        hint = close_codes(code)
        suggestion = f"; did you mean {', '.join(hint)}?" if hint else "; `mlf-lint rules` lists them all."
        fail(f"unknown rule code {code!r}{suggestion}", tag="")
    if fmt == "json":
        click.echo(json.dumps(rule_json(found), indent=2, sort_keys=True))
    elif sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(found.page()))
    else:
        click.echo(found.page(), nl=False)


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default=None,
              help="table: a terminal table; markdown: a Markdown table (the default when output is not a terminal).")
@click.option(
    "--select", "prefix", default="", metavar="PREFIX", help="only codes starting with PREFIX, e.g. MLF1"
)
def rules(fmt: Optional[str], prefix: str) -> None:
    """List every rule: code, name, library, severity, default on, fixable, summary."""
    chosen = {c: r for c, r in all_rules().items() if c.startswith(prefix.upper())}
    if fmt == "json":
        click.echo(json.dumps([rule_json(r) for r in chosen.values()], indent=2, sort_keys=True))
        return
    if fmt == "markdown" or (fmt is None and not sys.stdout.isatty()):
        # A piped table must stay readable: rich would wrap it into the 80-column grid of a pipe.
        from mlf_lint.report.docs import rules_table

        click.echo(rules_table(chosen, link=lambda r: r.url))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mlf-lint rules ({len(chosen)})")
    for column in ("code", "name", "library", "severity", "default", "fix", "summary"):
        table.add_column(column, overflow="fold")
    for r in chosen.values():
        table.add_row(
            r.code,
            r.name,
            r.library,
            r.severity,
            "on" if r.default else "off",
            "" if r.fix == "none" else r.fix,
            r.summary,
        )
    Console(soft_wrap=False).print(table)

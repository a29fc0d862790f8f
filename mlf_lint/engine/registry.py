"""The rule registry: one table of every code, read from the ``rules.yaml`` files beside the rules.

Each rule package keeps the metadata of its codes (name, severity, page text, references) as data,
so the CLI, the flake8 plugin, the reporters and the docs generator all read the same source.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from mlf_lint.engine.userdirs import user_cache_home

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# Every folder that contributes codes; a new rule package adds its folder here.
RULE_TABLES = (
    "engine/rules.yaml",
    "rules/general/rules.yaml",
    "rules/pytorch/rules.yaml",
    "rules/tensorflow/rules.yaml",
    "rules/xgboost/rules.yaml",
    "rules/jax/rules.yaml",
    "project_checks/rules.yaml",
)
LIBRARIES = {
    "MLF0": "General Python",
    "MLF1": "PyTorch",
    "MLF2": "TensorFlow",
    "MLF3": "XGBoost",
    "MLF4": "Environment",
    "MLF5": "Dependencies",
    "MLF6": "JAX",
    "MLF9": "mlf-lint",
}


@dataclass(frozen=True)
class Reference:
    title: str
    url: str


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    summary: str
    what: str
    why: str
    example: str
    use_instead: str
    versions: str
    references: Tuple[Reference, ...]
    default: bool = True
    fix: str = "none"  # none | safe | unsafe
    precision: str = "high"
    tags: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def library(self) -> str:
        return LIBRARIES.get(self.code[:4], "General")

    @property
    def url(self) -> str:
        return f"https://github.com/mlf-lint/mlf-lint/blob/main/docs/rules/{self.code}.md"

    def page(self) -> str:
        """The Markdown page of the rule, as ``mlf-lint rule`` prints it and docs/rules/ stores it."""
        default = "on by default" if self.default else "off by default (enable with --extend-select)"
        fixable = {
            "none": "Not fixable automatically.",
            "safe": "Fixable: `--fix` applies a safe fix.",
            "unsafe": "Fixable with `--unsafe-fixes` (the fix changes results).",
        }[self.fix]
        refs = "\n".join(f"- [{r.title}]({r.url})" for r in self.references)
        return (
            f"# {self.code} {self.name}\n\n"
            f"{self.library} · {self.severity} · {default}\n\n"
            f"## What it does\n\n{self.what.strip()}\n\n"
            f"## Why is this bad?\n\n{self.why.strip()}\n\n"
            f"## Example\n\n```python\n{self.example.rstrip()}\n```\n\n"
            f"## Use instead\n\n```python\n{self.use_instead.rstrip()}\n```\n\n"
            f"## Fix\n\n{fixable}\n\n"
            f"## Versions\n\n{self.versions.strip()}\n\n"
            f"## References\n\n{refs}\n"
        )


def _rule_from(data: dict, source: str) -> Rule:
    try:
        refs = tuple(Reference(r["title"], r["url"]) for r in data.get("references", ()))
        return Rule(
            code=data["code"],
            name=data["name"],
            severity=data.get("severity", "warning"),
            summary=data["summary"],
            what=data["what"],
            why=data["why"],
            example=data.get("example", ""),
            use_instead=data.get("use_instead", ""),
            versions=data.get("versions", "All versions."),
            references=refs,
            default=bool(data.get("default", True)),
            fix=data.get("fix", "none"),
            precision=data.get("precision", "high"),
            tags=tuple(data.get("tags", ())),
        )
    except KeyError as exc:  # a broken table is a bug in the package: say which entry
        raise RuntimeError(f"{source}: rule {data.get('code', '?')} lacks {exc}") from None


def read_table(path: Path) -> Any:
    """A packaged data table (rule metadata, op tables), with libyaml's loader where present.

    Each run of the linter loads every table, and loading YAML is slow: a table's parse is kept as
    JSON in the user cache, under the digest of the YAML's bytes, and loaded from there (several
    times faster) while the table is unchanged. Only a parse that JSON gives back exactly is kept."""
    data = path.read_bytes()
    kept = user_cache_home() / "tables" / f"{hashlib.blake2b(data, digest_size=16).hexdigest()}.json"
    try:
        return json.loads(kept.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    table = yaml.load(data.decode("utf-8"), Loader=loader)
    try:
        text = json.dumps(table)
        if json.loads(text) == table:
            kept.parent.mkdir(parents=True, exist_ok=True)
            tmp = kept.with_name(f".{kept.stem}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, kept)  # whole or not at all: another run may read it meanwhile
    except (OSError, TypeError, ValueError):
        pass  # not representable in JSON, or no cache folder: the YAML is read every time
    return table


@functools.lru_cache(maxsize=None)
def all_rules() -> Dict[str, Rule]:
    rules: Dict[str, Rule] = {}
    for rel in RULE_TABLES:
        path = PACKAGE_ROOT / rel
        if not path.exists():
            continue
        for entry in read_table(path) or ():
            rule = _rule_from(entry, rel)
            if rule.code in rules:
                raise RuntimeError(f"{rel}: duplicate rule code {rule.code}")
            rules[rule.code] = rule
    return dict(sorted(rules.items()))


def get_rule(code: str) -> Optional[Rule]:
    return all_rules().get(code.upper())


def default_ignored() -> List[str]:
    return [code for code, rule in all_rules().items() if not rule.default]


def matching(prefixes: Iterable[str]) -> List[str]:
    """Codes matched by selectors such as ``MLF``, ``MLF1``, ``MLF101``."""
    prefixes = [p.upper() for p in prefixes]
    return [c for c in all_rules() if any(c.startswith(p) for p in prefixes)]


def is_known_selector(selector: str) -> bool:
    selector = selector.upper()
    return selector in ("ALL",) or any(c.startswith(selector) for c in all_rules())

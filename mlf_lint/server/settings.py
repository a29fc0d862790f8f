"""Client settings: ``select`` / ``extendSelect`` / ``ignore`` lists of codes or prefixes, from
``initializationOptions`` or ``workspace/didChangeConfiguration`` (``{"mlf-lint": {...}}``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

from mlf_lint.engine.config import Config, ConfigError, check_codes

SECTION = "mlf-lint"
_KEYS = {"select": "select", "extendSelect": "extend_select", "extend-select": "extend_select",
         "extend_select": "extend_select", "ignore": "ignore"}


@dataclass(frozen=True)
class Settings:
    select: Optional[Tuple[str, ...]] = None       # None: the project's own selection
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    problems: Tuple[str, ...] = field(default=(), compare=False)  # what was rejected, for the user

    def apply(self, config: Config) -> Config:
        """The project's config with these settings on top, as the CLI's flags go on top of it."""
        if self.select is not None:
            config.select = list(self.select)
        config.extend_select = [*config.extend_select, *self.extend_select]
        config.ignore = [*config.ignore, *self.ignore]
        return config


def parse_settings(raw: Any) -> Settings:
    """Settings from what the client sent; a bad entry is left out and named in ``problems``."""
    if isinstance(raw, dict) and isinstance(raw.get(SECTION), dict):
        raw = raw[SECTION]
    if not isinstance(raw, dict):
        return Settings()
    values: dict = {}
    problems: List[str] = []
    for key, attr in _KEYS.items():
        if key not in raw or raw[key] is None:
            continue
        value = raw[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"mlf-lint setting {key!r} must be a list of codes, e.g. [\"MLF1\"]")
            continue
        codes = [c.strip().upper() for v in value for c in v.split(",") if c.strip()]
        try:
            check_codes(codes, f"setting {key!r}")
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        values[attr] = tuple(codes)
    return Settings(**values, problems=tuple(problems))

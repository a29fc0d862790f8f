"""Configuration: ``.mlf-lint.toml``, ``[tool.mlf-lint]`` in pyproject.toml, or ``[mlf-lint]`` in
setup.cfg / tox.ini (the first of these found at the project root wins), then command-line flags.
"""
from __future__ import annotations

import configparser
import fnmatch
import hashlib
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from mlf_lint.engine.registry import all_rules, is_known_selector

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LIST_KEYS = ("select", "ignore", "extend-select", "extend-ignore", "exclude", "extend-exclude",
             "target-version")
KNOWN_KEYS = (*LIST_KEYS, "per-file-ignores", "respect-gitignore", "cache-dir", "jobs")


class ConfigError(Exception):
    """A config problem, worded for the user: file, key, what was expected."""


@dataclass
class Config:
    select: Optional[List[str]] = None
    ignore: List[str] = field(default_factory=list)
    extend_select: List[str] = field(default_factory=list)
    extend_ignore: List[str] = field(default_factory=list)
    exclude: List[str] = field(default_factory=list)
    extend_exclude: List[str] = field(default_factory=list)
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    target_version: List[str] = field(default_factory=list)
    respect_gitignore: bool = True
    cache_dir: Optional[str] = None
    jobs: Optional[int] = None
    source: Optional[str] = None  # the file the settings came from

    def enabled_codes(self) -> Set[str]:
        return resolve_selection(self.select, [*self.extend_select],
                                 [*self.ignore, *self.extend_ignore])

    def ignored_for(self, relpath: str) -> List[str]:
        name = relpath.rsplit("/", 1)[-1]
        found: List[str] = []
        for pattern, codes in self.per_file_ignores.items():
            if fnmatch.fnmatch(relpath, pattern) or fnmatch.fnmatch(name, pattern):
                found.extend(codes)
        return found

    def key(self) -> str:
        """Digest of everything that changes findings (cache key)."""
        data = asdict(self)
        data.pop("source")
        data.pop("jobs")
        data.pop("cache_dir")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _best(code: str, selectors: List[str]) -> int:
    return max((len(s) for s in selectors if s == "ALL" or code.startswith(s)), default=-1)


def resolve_selection(select: Optional[List[str]], extend_select: List[str], ignore: List[str]) -> Set[str]:
    """flake8's rule: the most specific selector wins; off-by-default codes count as ignored by
    their full code, so only a selector naming the code itself (or ALL) turns them on."""
    rules = all_rules()
    chosen = [s.upper() for s in (select if select is not None else ["MLF"])] + [s.upper() for s in extend_select]
    ignored = [s.upper() for s in ignore]
    enabled = set()
    for code, rule in rules.items():
        sel = _best(code, chosen)
        if "ALL" in chosen:
            sel = max(sel, len(code))
        if sel < 0:
            continue
        ign = _best(code, ignored)
        if sel <= ign:
            continue
        if not rule.default and sel < len(code):
            continue
        enabled.add(code)
    return enabled


def check_codes(codes: List[str], where: str) -> None:
    for code in codes:
        if not is_known_selector(code):
            raise ConfigError(f"{where}: unknown rule code {code!r} (expected a code such as MLF101 "
                              f"or a prefix such as MLF1; `mlf-lint rules` lists them)")


def _as_list(value: Any, where: str) -> List[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    raise ConfigError(f"{where}: expected a list of strings, got {type(value).__name__}")


def _per_file(value: Any, where: str) -> Dict[str, List[str]]:
    if isinstance(value, dict):
        return {str(k): _as_list(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, str):  # ini style: one "glob: CODE, CODE" per line
        result: Dict[str, List[str]] = {}
        for line in value.splitlines():
            if not line.strip():
                continue
            if ":" not in line:
                raise ConfigError(f"{where}: expected lines of the form 'GLOB: CODES', got {line.strip()!r}")
            glob, codes = line.rsplit(":", 1)
            result[glob.strip()] = _as_list(codes, where)
        return result
    raise ConfigError(f"{where}: expected a table of glob = [codes], got {type(value).__name__}")


def from_mapping(data: Dict[str, Any], source: str) -> Config:
    config = Config(source=source)
    for key, value in data.items():
        where = f"{source}: {key}"
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{source}: unknown key {key!r} (known: {', '.join(KNOWN_KEYS)})")
        if key in LIST_KEYS:
            values = _as_list(value, where)
            if key in ("select", "ignore", "extend-select", "extend-ignore"):
                check_codes(values, where)
            setattr(config, key.replace("-", "_"), values)
        elif key == "per-file-ignores":
            config.per_file_ignores = _per_file(value, where)
            for glob, codes in config.per_file_ignores.items():
                check_codes(codes, f"{where}.{glob}")
        elif key == "respect-gitignore":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {value!r}")
            config.respect_gitignore = value
        elif key == "cache-dir":
            if not isinstance(value, str):
                raise ConfigError(f"{where}: expected a path string, got {value!r}")
            config.cache_dir = value
        elif key == "jobs":
            try:
                config.jobs = int(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{where}: expected a whole number, got {value!r}") from None
            if config.jobs < 1 or isinstance(value, (bool, float)):
                raise ConfigError(f"{where}: expected a whole number of processes, at least 1, got {value!r}")
    return config


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name}: not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def _read_toml(path: Path) -> Dict[str, Any]:
    try:
        return tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        # The decoder ends its message with "(at line 3, column 7)": put the line where editors look.
        where = _TOML_AT.search(str(exc))
        message = _TOML_AT.sub("", str(exc))
        place = f":{where.group(1)}" if where else ""
        column = f" (column {where.group(2)})" if where else ""
        raise ConfigError(f"{path.name}{place}: not valid TOML: {message}{column}") from None
    except (RecursionError, MemoryError):  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path.name}: cannot be read: nested too deeply for Python's TOML reader") from None


def _tool_section(data: Dict[str, Any], name: str, whole_file: bool) -> Optional[Dict[str, Any]]:
    """``[tool.mlf-lint]`` of a TOML file; ``whole_file``: without a ``tool`` table the whole file
    is the section (``.mlf-lint.toml``, ``--config``). None when there is no section."""
    if "tool" not in data:
        return data if whole_file else None
    tool = data["tool"]
    if not isinstance(tool, dict):
        raise ConfigError(f"{name}: tool: expected a table ([tool.mlf-lint]), got {type(tool).__name__}")
    section = tool.get("mlf-lint", data if whole_file else None)
    if section is not None and not isinstance(section, dict):
        raise ConfigError(f"{name}: [tool.mlf-lint] must be a table, got {type(section).__name__}")
    return section


def find_config(root: Path) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    own = root / ".mlf-lint.toml"
    if own.is_file():
        return _tool_section(_read_toml(own), own.name, whole_file=True), own.name
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        section = _tool_section(_read_toml(pyproject), pyproject.name, whole_file=False)
        if section is not None:
            return section, "pyproject.toml [tool.mlf-lint]"
    for name in ("setup.cfg", "tox.ini"):
        path = root / name
        if path.is_file():
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_string(_read_text(path), source=name)
            except configparser.Error as exc:
                raise ConfigError(f"{name}: cannot be parsed ({str(exc).splitlines()[0]})") from None
            if parser.has_section("mlf-lint"):
                return dict(parser.items("mlf-lint")), f"{name} [mlf-lint]"
    return None, None


def load_config(root: Path, config_file: Optional[Path] = None) -> Config:
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: config file not found")
        section = _tool_section(_read_toml(config_file), config_file.name, whole_file=True)
        return from_mapping(section or {}, config_file.name)
    data, source = find_config(root)
    return from_mapping(data, source) if data is not None else Config()

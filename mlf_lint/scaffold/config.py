"""The user's mlf-lint settings: name, e-mail and GitHub user, plus an optional GitHub token.

Settings live in ``config.yml`` in the user config directory (``click.get_app_dir("mlf-lint")``,
or ``MLF_LINT_CONFIG_DIR``). The token is kept apart in ``github-token``, a file that is born with
mode 0600 (never widened and narrowed afterwards), and the environment wins over it:
``MLF_LINT_GITHUB_TOKEN``, then ``GITHUB_TOKEN`` (what a GitHub Actions workflow provides).
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

import click
import yaml

from mlf_lint.scaffold.answers import line_problem

CONFIG_DIR_ENV = "MLF_LINT_CONFIG_DIR"
TOKEN_ENVS = ("MLF_LINT_GITHUB_TOKEN", "GITHUB_TOKEN")
CONFIG_FILE = "config.yml"
TOKEN_FILE = "github-token"

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")  # fullmatch: `$` would let a final newline in
# GitHub's own rule: alphanumerics and single inner hyphens, at most 39 characters.
_GITHUB_USER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")


class ConfigError(ValueError):
    """A setting is invalid or the config file cannot be read; the message names which."""


@dataclass
class UserConfig:
    name: str = ""
    email: str = ""
    github_user: str = ""

    def to_dict(self) -> Dict[str, str]:
        return asdict(self)


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(click.get_app_dir("mlf-lint"))


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def token_path() -> Path:
    return config_dir() / TOKEN_FILE


def validate(config: UserConfig) -> None:
    if config.email and not _EMAIL.fullmatch(config.email):
        raise ConfigError(f"email {config.email!r} is not an e-mail address (expected name@host.tld)")
    if config.github_user and not _GITHUB_USER.fullmatch(config.github_user):
        raise ConfigError(f"github user {config.github_user!r} is not a valid GitHub user name "
                          "(letters, digits and single inner hyphens, at most 39 characters)")
    problem = line_problem(config.name)
    if problem:
        raise ConfigError(f"name {problem}")


def load() -> UserConfig:
    path = config_path()
    if not path.is_file():
        return UserConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read ({type(exc).__name__}); fix or delete it") from None
    if data is None:
        return UserConfig()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of name/email/github_user, got {type(data).__name__}")
    unknown = sorted(set(map(str, data)) - {"name", "email", "github_user"})
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (expected name, email, github_user)")
    config = UserConfig(**{k: "" if v is None else str(v) for k, v in data.items()})
    return config


def save(config: UserConfig) -> Path:
    validate(config)
    path = config_path()
    _write_private(path, yaml.safe_dump(config.to_dict(), sort_keys=True))
    return path


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file created 0600, then rename it over.

    Creating the file with its final mode means there is no moment at which another user could
    read it, and the rename means an interrupted write never leaves half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))  # mkstemp: 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def store_token(token: str) -> Path:
    token = token.strip()
    if not token or any(c.isspace() for c in token):
        raise ConfigError("a GitHub token is one word without spaces")
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.new")
    if tmp.exists():
        tmp.unlink()
    fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return path


def forget_token() -> bool:
    path = token_path()
    if path.exists():
        path.unlink()
        return True
    return False


def token_with_source() -> Tuple[Optional[str], str]:
    """The token and where it came from ("environment variable X", the file, or "not set")."""
    for name in TOKEN_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            return value, f"environment variable {name}"
    path = token_path()
    if path.is_file():
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise ConfigError(f"{path}: cannot be read; store the token again with "
                              "`mlf-lint config --token-stdin`") from None
        if value:
            return value, str(path)
    return None, "not set"


def github_token() -> Optional[str]:
    return token_with_source()[0]

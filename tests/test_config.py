"""`mlf-lint config`: settings in the user config directory, a token kept private."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml
from click_compat import cli_runner

from mlf_lint.cli import cli
from mlf_lint.scaffold import config

TOKEN = "ghp_configTOKEN42abcdef"


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cfg"
    monkeypatch.setenv("MLF_LINT_CONFIG_DIR", str(folder))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("MLF_LINT_GITHUB_TOKEN", raising=False)
    return folder


def invoke(*args: str, input: str = None):
    return cli_runner().invoke(cli, list(args), input=input)


def test_default_directory_is_the_click_app_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    monkeypatch.delenv("MLF_LINT_CONFIG_DIR")
    assert config.config_dir() == Path(click.get_app_dir("mlf-lint"))


def test_options_save_settings_and_view_shows_them(config_dir: Path) -> None:
    result = invoke("config", "--name", "Ada Lovelace", "--email", "ada@example.org",
                    "--github-user", "ada-l")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((config_dir / "config.yml").read_text()) == {
        "name": "Ada Lovelace", "email": "ada@example.org", "github_user": "ada-l"}
    view = invoke("config", "--view")
    assert "Ada Lovelace" in view.output and "ada@example.org" in view.output and "ada-l" in view.output
    assert "github token: not set" in view.output
    # A later option changes only itself.
    invoke("config", "--email", "ada@math.example.org")
    assert config.load().name == "Ada Lovelace" and config.load().email == "ada@math.example.org"


def test_interactive_prompts_reask_an_invalid_email(config_dir: Path) -> None:
    result = invoke("config", input=f"Grace Hopper\nnot-an-email\ngrace@example.org\ngrace\n{TOKEN}\n")
    assert result.exit_code == 0, result.output
    assert "is not an e-mail address" in result.output
    assert config.load().email == "grace@example.org" and config.load().github_user == "grace"
    assert TOKEN not in result.output
    assert config.token_path().read_text().strip() == TOKEN


def test_stored_token_is_0600_from_birth_and_never_shown(config_dir: Path) -> None:
    old_umask = os.umask(0)  # a permissive umask must not widen the token file
    try:
        result = invoke("config", "--token-stdin", input=TOKEN + "\n")
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0 and TOKEN not in result.output
    path = config.token_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == TOKEN + "\n"
    view = invoke("config", "--view")
    assert f"set ({path})" in view.output and TOKEN not in view.output


def test_token_file_is_created_with_os_open_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    modes = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *args, **kwargs):
        modes.append(mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    config.store_token(TOKEN)
    assert modes == [0o600]


def test_environment_token_wins_and_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    config.store_token("stored-token")
    monkeypatch.setenv("GITHUB_TOKEN", "from-actions")
    assert config.github_token() == "from-actions"
    monkeypatch.setenv("MLF_LINT_GITHUB_TOKEN", "from-user")
    assert config.token_with_source() == ("from-user", "environment variable MLF_LINT_GITHUB_TOKEN")
    view = invoke("config", "--view")
    assert "set (environment variable MLF_LINT_GITHUB_TOKEN)" in view.output
    assert "from-user" not in view.output


def test_forget_token() -> None:
    config.store_token(TOKEN)
    result = invoke("config", "--forget-token")
    assert result.exit_code == 0 and "deleted" in result.output
    assert config.github_token() is None


@pytest.mark.parametrize("args, message", [
    (["--email", "nope"], "is not an e-mail address"),
    (["--github-user", "-bad-"], "is not a valid GitHub user name"),
    (["--name", "Ada\rLovelace"], "name must be one line"),
    (["--token-stdin"], "a GitHub token is one word"),
])
def test_invalid_values_are_refused_with_one_line(args, message, config_dir: Path) -> None:
    result = invoke("config", *args, input="two words\n")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (config_dir / "config.yml").exists() and not config.token_path().exists()


def test_broken_config_file_is_named(config_dir: Path) -> None:
    config_dir.mkdir()
    (config_dir / "config.yml").write_text("name: [unclosed\n")
    result = invoke("config", "--view")
    assert result.exit_code == 2
    assert str(config_dir / "config.yml") in result.output and "Traceback" not in result.output
    (config_dir / "config.yml").write_text("nickname: ada\n")
    result = invoke("config", "--view")
    assert result.exit_code == 2 and "unknown key 'nickname'" in result.output


@pytest.mark.parametrize("values", [{"email": "ada@example.org\n"}, {"github_user": "ada\n"},
                                    {"name": "Ada\x00"}, {"email": "ada@example.org\nx@y.z"}])
def test_a_final_newline_does_not_slip_past_validation(values: dict) -> None:
    """`$` matches before a final newline; the settings are checked with fullmatch (issue 19)."""
    with pytest.raises(config.ConfigError):
        config.validate(config.UserConfig(**values))

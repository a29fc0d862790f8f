"""GitHub: repository creation and sync pull requests, against a loopback GitHub API."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, Iterator

import pytest
import yaml
from click_compat import cli_runner
from github_server import FakeGitHub

from mlf_lint.cli import cli
from mlf_lint.scaffold import config, git
from mlf_lint.scaffold.github import GitHubError, publish_new_project, repository_from_url
from mlf_lint.scaffold.registry import PROJECT_RECORD, get_template
from mlf_lint.scaffold.render import render

TOKEN = "ghp_testTOKEN0123456789abcdefSECRET"
GIT_ENV = {"GIT_AUTHOR_NAME": "Tess Ter", "GIT_AUTHOR_EMAIL": "tess@example.org",
           "GIT_COMMITTER_NAME": "Tess Ter", "GIT_COMMITTER_EMAIL": "tess@example.org"}


def run(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def write_template(root: Path, version: str, readme: str) -> None:
    project = root / "demo" / "{{cookiecutter.project_slug}}"
    project.mkdir(parents=True, exist_ok=True)
    (root / "demo" / "template.yaml").write_text(yaml.safe_dump(
        {"handle": "demo", "description": "d", "library": "none", "version": version}))
    (root / "demo" / "cookiecutter.json").write_text('{"project_name": "Demo", "project_slug": "demo"}')
    (project / "README.md").write_text(readme)
    (project / PROJECT_RECORD).write_text(yaml.safe_dump({"sync": {"level": "patch"}}))


@pytest.fixture()
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLF_LINT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("MLF_LINT_GITHUB_TOKEN", raising=False)
    server = FakeGitHub(bare_root=tmp_path / "github", token=TOKEN).start()
    monkeypatch.setenv("MLF_LINT_GITHUB_API_URL", server.url)
    yield server
    server.stop()


def new_project(tmp_path: Path) -> Path:
    project = tmp_path / "work" / "demo"
    (project / "src").mkdir(parents=True)
    (project / "README.md").write_text("# demo\n")
    (project / "src" / "train.py").write_text("SEED = 0\n")
    return project


def assert_token_nowhere(root: Path, allowed: Path = None) -> None:
    for path in root.rglob("*"):
        if path.is_file() and path != allowed:
            assert TOKEN.encode() not in path.read_bytes(), path


def test_publish_for_the_user_pushes_main_and_development(fake: FakeGitHub, tmp_path: Path) -> None:
    project = new_project(tmp_path)
    published = publish_new_project(project, "demo", None, private=True, token=TOKEN)

    assert published.full_name == "octo/demo"
    assert [r.path for r in fake.calls("GET", "/user")] == ["/user"]
    (create,) = fake.calls("POST", "/user/repos")
    assert create.body["name"] == "demo" and create.body["private"] is True
    assert create.headers["authorization"] == f"token {TOKEN}"
    bare = fake.bare_root / "octo" / "demo.git"
    assert run(bare, "branch", "--format=%(refname:short)").split() == ["development", "main"]
    assert run(bare, "rev-parse", "main") == run(project, "rev-parse", "HEAD")
    assert run(project, "remote", "get-url", "origin") == bare.as_uri()
    assert run(project, "rev-parse", "--abbrev-ref", "main@{upstream}") == "origin/main"
    assert_token_nowhere(tmp_path)


def test_publish_for_an_organisation_public(fake: FakeGitHub, tmp_path: Path) -> None:
    project = new_project(tmp_path)
    publish_new_project(project, "demo", "acme", private=False, token=TOKEN)
    (create,) = fake.calls("POST", "/orgs/acme/repos")
    assert create.body["private"] is False
    assert not fake.calls("POST", "/user/repos")
    assert (fake.bare_root / "acme" / "demo.git").is_dir()


def test_publish_takes_the_token_from_the_environment(fake: FakeGitHub, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    publish_new_project(new_project(tmp_path), "demo", None, private=False)
    assert fake.calls("POST", "/user/repos")


def test_publish_errors_are_clear_and_never_show_the_token(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_repo("octo/taken")
    with pytest.raises(GitHubError, match="name already exists on this account"):
        publish_new_project(new_project(tmp_path), "taken", None, private=False, token=TOKEN)
    with pytest.raises(GitHubError, match="Bad credentials") as refused:
        publish_new_project(tmp_path / "work" / "demo", "other", None, private=False, token="wrong-token")
    assert "wrong-token" not in str(refused.value)
    with pytest.raises(GitHubError, match="not found"):
        publish_new_project(tmp_path / "work" / "demo", "other", "nobody", private=False, token=TOKEN)
    with pytest.raises(GitHubError, match="no GitHub token"):
        publish_new_project(tmp_path / "work" / "demo", "other", None, private=False)
    with pytest.raises(GitHubError, match="not a valid repository name"):
        publish_new_project(tmp_path / "work" / "demo", "bad name", None, private=False, token=TOKEN)
    assert git.remote_url(tmp_path / "work" / "demo") is None  # nothing half-configured


def test_credential_helper_reads_the_token_from_the_environment(tmp_path: Path) -> None:
    """The helper git is given answers with the token it finds in the push process's env only."""
    run(tmp_path, "init", "--quiet", "-b", "main")
    args, env = git._auth(TOKEN)
    proc = subprocess.run(["git", *args, "credential", "fill"], cwd=tmp_path, capture_output=True, text=True,
                          input="protocol=https\nhost=github.com\n\n",
                          env={**os.environ, **env, "GIT_TERMINAL_PROMPT": "0"}, check=True)
    assert f"password={TOKEN}" in proc.stdout and "username=x-access-token" in proc.stdout
    assert TOKEN not in " ".join(args)


@pytest.mark.parametrize("url, expected", [
    ("https://github.com/octo/demo.git", "octo/demo"),
    ("https://github.com/octo/demo", "octo/demo"),
    ("git@github.com:octo/demo.git", "octo/demo"),
    ("ssh://git@github.com/octo/demo.git", "octo/demo"),
    ("https://gitlab.com/octo/demo.git", None),
    ("/srv/git/demo.git", None),
    ("https://github.com/octo", None),
])
def test_repository_from_url(url: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLF_LINT_GITHUB_API_URL", raising=False)
    assert repository_from_url(url) == expected


@pytest.fixture()
def github_project(fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dict[str, Path]:
    """A project whose origin is https://github.com/octo/demo.git, rewritten by git to a bare repo."""
    templates = tmp_path / "templates"
    monkeypatch.setenv("MLF_LINT_TEMPLATES_DIR", str(templates))
    write_template(templates, "1.0.0", "# Demo\n")
    project = render(get_template("demo"), {"project_name": "Demo"}, tmp_path / "work")
    run(project, "init", "--quiet", "-b", "main")
    run(project, "add", "--all")
    run(project, "commit", "--quiet", "-m", "initial")
    bare = fake.add_repo("octo/demo")["clone_url"]
    run(project, "remote", "add", "origin", "https://github.com/octo/demo.git")
    run(project, "config", "url." + bare + ".insteadOf", "https://github.com/octo/demo.git")
    run(project, "push", "--quiet", "origin", "main")
    return {"project": project, "templates": templates, "bare": Path(bare[len("file://"):])}


def test_sync_opens_one_pull_request_per_template_version(fake: FakeGitHub, github_project: Dict[str, Path],
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    project, bare = github_project["project"], github_project["bare"]
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    write_template(github_project["templates"], "1.1.0", "# Demo\n\nNow reproducible.\n")

    result = cli_runner().invoke(cli, ["sync", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "pull request: https://github.example/octo/demo/pull/1" in result.output
    (create,) = fake.calls("POST", "/repos/octo/demo/pulls")
    assert create.body["head"] == "mlf-lint-template-1.1.0" and create.body["base"] == "main"
    assert run(bare, "rev-parse", "TEMPLATE") == run(project, "rev-parse", "TEMPLATE")
    assert run(bare, "rev-parse", "mlf-lint-template-1.1.0") == run(project, "rev-parse", "TEMPLATE")
    assert "git merge" not in result.output

    again = cli_runner().invoke(cli, ["sync", str(project)], catch_exceptions=False)
    assert again.exit_code == 0 and "pull request #1 for this version was already open" in again.output
    assert len(fake.calls("POST", "/repos/octo/demo/pulls")) == 1

    write_template(github_project["templates"], "1.2.0", "# Demo\n\nEven more reproducible.\n")
    newer = cli_runner().invoke(cli, ["sync", str(project)], catch_exceptions=False)
    assert newer.exit_code == 0, newer.output
    (close,) = fake.calls("PATCH", "/repos/octo/demo/pulls/1")
    assert close.body == {"state": "closed"}
    assert fake.pulls["octo/demo"][1]["head"]["ref"] == "mlf-lint-template-1.2.0"
    assert "Supersedes #1" in fake.pulls["octo/demo"][1]["body"]

    for output in (result.output, again.output, newer.output):
        assert TOKEN not in output
    assert TOKEN not in (project / ".git" / "config").read_text()
    assert_token_nowhere(tmp_path)


def test_sync_without_token_prints_merge_commands(fake: FakeGitHub, github_project: Dict[str, Path]) -> None:
    write_template(github_project["templates"], "1.1.0", "# Demo\n\nNow reproducible.\n")
    result = cli_runner().invoke(cli, ["sync", str(github_project["project"])], catch_exceptions=False)
    assert result.exit_code == 0
    assert "no GitHub token" in result.output and "git merge TEMPLATE" in result.output
    assert not fake.requests


def test_sync_pull_request_failure_is_one_line(fake: FakeGitHub, github_project: Dict[str, Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    write_template(github_project["templates"], "1.1.0", "# Demo\n\nNow reproducible.\n")
    result = cli_runner().invoke(cli, ["sync", str(github_project["project"]), "--base", "release"])
    assert result.exit_code == 2
    assert "branch release does not exist" in result.output
    assert "Traceback" not in result.output and TOKEN not in result.output


def test_stored_token_file_is_the_only_file_with_the_token(fake: FakeGitHub, tmp_path: Path) -> None:
    result = cli_runner().invoke(cli, ["config", "--token-stdin"], input=TOKEN + "\n")
    assert result.exit_code == 0 and TOKEN not in result.output
    publish_new_project(new_project(tmp_path), "demo", None, private=True)
    assert fake.calls("POST", "/user/repos")
    assert_token_nowhere(tmp_path, allowed=config.token_path())


def test_create_github_end_to_end(fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mlf-lint create --github --org`: the real template, the real CLI, the loopback API."""
    monkeypatch.setenv("MLF_LINT_GITHUB_TOKEN", TOKEN)
    result = cli_runner().invoke(cli, ["create", "--template", "mlflow-xgboost", "--no-input", "--name", "demo",
                                       "-o", str(tmp_path / "out"), "--no-lint", "--github", "--org", "acme",
                                       "--private"])
    assert result.exit_code == 0, result.output
    (create,) = fake.calls("POST", "/orgs/acme/repos")
    assert create.body["name"] == "demo" and create.body["private"] is True
    bare = fake.bare_root / "acme" / "demo.git"
    assert run(bare, "branch", "--format=%(refname:short)").split() == ["development", "main"]
    assert "README.md" in run(bare, "ls-tree", "--name-only", "main")
    assert TOKEN not in result.output
    assert_token_nowhere(tmp_path / "out")
    assert_token_nowhere(fake.bare_root)

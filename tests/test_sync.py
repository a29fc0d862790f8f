"""`mlf-lint sync` on real git repositories: a bare "remote", a clone, and a tiny template."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict, List

import pytest
import yaml
from click_compat import cli_runner

from mlf_lint.cli import cli
from mlf_lint.scaffold import git, sync
from mlf_lint.scaffold.registry import PROJECT_RECORD, get_template, read_record
from mlf_lint.scaffold.render import render

GIT_ENV = {"GIT_AUTHOR_NAME": "Tess Ter", "GIT_AUTHOR_EMAIL": "tess@example.org",
           "GIT_COMMITTER_NAME": "Tess Ter", "GIT_COMMITTER_EMAIL": "tess@example.org"}


def run(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def write_template(root: Path, version: str, files: Dict[str, str], blacklist: List[str] = ()) -> None:
    """A cookiecutter template ``demo`` with the given files (paths inside the project)."""
    folder = root / "demo"
    project = folder / "{{cookiecutter.project_slug}}"
    if folder.exists():
        subprocess.run(["rm", "-rf", str(project)], check=True)
    project.mkdir(parents=True)
    (folder / "template.yaml").write_text(yaml.safe_dump(
        {"handle": "demo", "description": "test template", "library": "none", "version": version}))
    (folder / "cookiecutter.json").write_text(
        '{"project_name": "Demo", "project_slug": "{{ cookiecutter.project_name.lower() }}"}')
    record = {"sync": {"level": "patch", "blacklist": list(blacklist)},
              "bump_version": {"files": ["setup.cfg"]}}
    (project / PROJECT_RECORD).write_text(yaml.safe_dump(record))
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)


V1 = {
    "README.md": "# {{ cookiecutter.project_name }}\n\nA project.\n",
    "setup.cfg": "[metadata]\nname = {{ cookiecutter.project_slug }}\nversion = 0.1.0\n",
    "src/train.py": "SEED = 0\n\n\ndef train():\n    return SEED\n",
    ".gitignore": "data/\n",
}


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dict[str, Path]:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no global git config, no replay files
    monkeypatch.setenv("MLF_LINT_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("GITHUB_TOKEN", "MLF_LINT_GITHUB_TOKEN", "MLF_LINT_GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "home").mkdir()
    templates = tmp_path / "templates"
    monkeypatch.setenv("MLF_LINT_TEMPLATES_DIR", str(templates))
    write_template(templates, "1.0.0", V1)

    generated = render(get_template("demo"), {"project_name": "Demo"}, tmp_path / "gen")
    run(generated, "init", "--quiet", "-b", "main")
    run(generated, "add", "--all")
    run(generated, "commit", "--quiet", "-m", "Initial commit from template")
    bare = tmp_path / "remote.git"
    run(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(bare))
    run(generated, "push", "--quiet", str(bare), "main")
    clone = tmp_path / "clone"
    run(tmp_path, "clone", "--quiet", str(bare), str(clone))
    return {"templates": templates, "bare": bare, "clone": clone}


def release_v11(templates: Path, blacklist: List[str] = ()) -> None:
    files = dict(V1)
    files["src/train.py"] = "SEED = 0\n\n\ndef train():\n    # seeded by the template\n    return SEED\n"
    files["README.md"] = "# {{ cookiecutter.project_name }}\n\nA reproducible project.\n"
    files["environment.yml"] = "name: demo\ndependencies:\n  - python=3.11\n"
    write_template(templates, "1.1.0", files, blacklist)


def snapshot(repo: Path) -> Dict[str, bytes]:
    return {p.relative_to(repo).as_posix(): p.read_bytes() for p in repo.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(repo).parts}


def invoke(*args: str):
    return cli_runner().invoke(cli, list(args), catch_exceptions=False)


def test_check_is_current_then_reports_an_update(env: Dict[str, Path]) -> None:
    result = invoke("sync", str(env["clone"]), "--check")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    release_v11(env["templates"])
    result = invoke("sync", str(env["clone"]), "--check")
    assert result.exit_code == 1
    assert "1.1.0 is available" in result.output


def test_sync_without_template_change_does_nothing(env: Dict[str, Path]) -> None:
    clone = env["clone"]
    result = invoke("sync", str(clone))
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    assert not git.branch_exists(clone, sync.TEMPLATE_BRANCH)


def test_sync_level_decides_which_updates_count(env: Dict[str, Path]) -> None:
    write_template(env["templates"], "1.0.1", V1)
    assert invoke("sync", str(env["clone"]), "--check", "--level", "minor").exit_code == 0
    assert invoke("sync", str(env["clone"]), "--check", "--level", "patch").exit_code == 1
    write_template(env["templates"], "2.0.0", V1)
    assert invoke("sync", str(env["clone"]), "--check", "--level", "major").exit_code == 1
    assert sync.check(env["clone"], "minor").update_available


def test_bad_sync_level_in_record_is_one_clear_line(env: Dict[str, Path]) -> None:
    clone = env["clone"]
    record = read_record(clone)
    record["sync"]["level"] = "sometimes"
    (clone / PROJECT_RECORD).write_text(yaml.safe_dump(record))
    result = cli_runner().invoke(cli, ["sync", str(clone), "--check"])
    assert result.exit_code == 2
    assert "sync.level is 'sometimes'" in result.output
    assert "Traceback" not in result.output


def test_sync_with_template_change_keeps_user_work_and_merges(env: Dict[str, Path]) -> None:
    clone = env["clone"]
    # The user's own work: an edit to a templated file, and a new file.
    (clone / "setup.cfg").write_text((clone / "setup.cfg").read_text() + "[flake8]\nmax-line-length = 100\n")
    (clone / "src" / "model.py").write_text("LAYERS = 3\n")
    run(clone, "add", "--all")
    run(clone, "commit", "--quiet", "-m", "user work")
    head, before = run(clone, "rev-parse", "HEAD"), snapshot(clone)
    release_v11(env["templates"])

    result = invoke("sync", str(clone))
    assert result.exit_code == 0, result.output
    assert run(clone, "rev-parse", "HEAD") == head and git.current_branch(clone) == "main"
    assert snapshot(clone) == before  # the user's checkout was not touched
    assert "git switch main" in result.output
    assert 'git merge TEMPLATE -m "Merge template demo 1.1.0"' in result.output
    template_files = run(clone, "ls-tree", "-r", "--name-only", "TEMPLATE").splitlines()
    assert "environment.yml" in template_files and "src/model.py" not in template_files
    assert "worktree" not in run(clone, "worktree", "list").split("\n", 1)[-1]

    run(clone, "merge", "--quiet", "TEMPLATE", "-m", "Merge template demo 1.1.0")
    assert "max-line-length = 100" in (clone / "setup.cfg").read_text()
    assert "# seeded by the template" in (clone / "src" / "train.py").read_text()
    assert (clone / "src" / "model.py").read_text() == "LAYERS = 3\n"
    assert read_record(clone)["template"]["version"] == "1.1.0"
    assert invoke("sync", str(clone), "--check").exit_code == 0


def test_second_sync_before_merging_adds_no_commit(env: Dict[str, Path]) -> None:
    clone = env["clone"]
    release_v11(env["templates"])
    assert invoke("sync", str(clone)).exit_code == 0
    first = run(clone, "rev-parse", "TEMPLATE")
    result = invoke("sync", str(clone))
    assert result.exit_code == 0
    assert run(clone, "rev-parse", "TEMPLATE") == first
    assert "TEMPLATE already holds demo 1.1.0" in result.output


def test_later_sync_merges_cleanly_after_an_earlier_merge(env: Dict[str, Path]) -> None:
    clone = env["clone"]
    release_v11(env["templates"])
    invoke("sync", str(clone))
    run(clone, "merge", "--quiet", "TEMPLATE", "-m", "merge 1.1.0")
    (clone / "README.md").write_text("# Demo\n\nOur own words.\n")
    run(clone, "commit", "--quiet", "-am", "own readme")
    files = dict(V1)
    files["src/train.py"] = "SEED = 42\n\n\ndef train():\n    # seeded by the template\n    return SEED\n"
    files["README.md"] = "# {{ cookiecutter.project_name }}\n\nA reproducible project.\n"
    files["environment.yml"] = "name: demo\ndependencies:\n  - python=3.11\n"
    write_template(env["templates"], "1.2.0", files)
    assert invoke("sync", str(clone)).exit_code == 0
    run(clone, "merge", "--quiet", "TEMPLATE", "-m", "merge 1.2.0")  # check=True: no conflict
    assert "SEED = 42" in (clone / "src" / "train.py").read_text()
    assert (clone / "README.md").read_text() == "# Demo\n\nOur own words.\n"


def test_blacklisted_files_are_never_synced(env: Dict[str, Path]) -> None:
    clone = env["clone"]
    record = read_record(clone)
    record["sync"]["blacklist"] = ["README.md", "environment.yml"]
    (clone / PROJECT_RECORD).write_text(yaml.safe_dump(record))
    run(clone, "commit", "--quiet", "-am", "blacklist")
    release_v11(env["templates"])

    assert invoke("sync", str(clone)).exit_code == 0
    changed = run(clone, "diff", "--name-only", "TEMPLATE~1", "TEMPLATE").splitlines()
    assert "README.md" not in changed and "environment.yml" not in changed
    assert "src/train.py" in changed and PROJECT_RECORD in changed
    assert run(clone, "show", "TEMPLATE:README.md") == "# Demo\n\nA project."


def test_dirty_tree_is_refused_and_nothing_is_lost(env: Dict[str, Path]) -> None:
    clone = env["clone"]
    release_v11(env["templates"])
    (clone / "README.md").write_text("half-written notes\n")
    (clone / "notes.txt").write_text("untracked idea\n")
    before = snapshot(clone)
    result = cli_runner().invoke(cli, ["sync", str(clone)])
    assert result.exit_code == 2
    assert "uncommitted changes" in result.output and "README.md" in result.output
    assert "Traceback" not in result.output
    assert snapshot(clone) == before
    assert not git.branch_exists(clone, sync.TEMPLATE_BRANCH)


def _break(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    def boom(*args, **kwargs):
        raise git.GitError("git commit failed: simulated failure")

    monkeypatch.setattr(target, boom)


@pytest.mark.parametrize("step", ["mlf_lint.scaffold.sync._replace_with_render",
                                  "mlf_lint.scaffold.git.commit_all"])
def test_failure_midway_restores_everything(env: Dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                            step: str) -> None:
    clone = env["clone"]
    (clone / "data").mkdir()
    (clone / "data" / "big.csv").write_text("ignored, untracked data\n")
    release_v11(env["templates"])
    head, before = run(clone, "rev-parse", "HEAD"), snapshot(clone)
    _break(monkeypatch, step)

    result = cli_runner().invoke(cli, ["sync", str(clone)])
    assert result.exit_code == 2, result.output
    assert "simulated failure" in result.output and "Traceback" not in result.output
    assert git.current_branch(clone) == "main" and run(clone, "rev-parse", "HEAD") == head
    assert snapshot(clone) == before
    assert run(clone, "status", "--porcelain") == ""
    assert not git.branch_exists(clone, sync.TEMPLATE_BRANCH)  # created by this sync: removed
    assert len(run(clone, "worktree", "list").splitlines()) == 1


def test_failure_midway_puts_an_existing_template_branch_back(
        env: Dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    clone = env["clone"]
    release_v11(env["templates"])
    invoke("sync", str(clone))
    template_sha = run(clone, "rev-parse", "TEMPLATE")
    write_template(env["templates"], "1.2.0", V1)
    _break(monkeypatch, "mlf_lint.scaffold.git.commit_all")
    assert cli_runner().invoke(cli, ["sync", str(clone)]).exit_code == 2
    assert run(clone, "rev-parse", "TEMPLATE") == template_sha


def test_template_branch_is_taken_from_origin(env: Dict[str, Path], tmp_path: Path) -> None:
    clone = env["clone"]
    release_v11(env["templates"])
    invoke("sync", str(clone))
    run(clone, "push", "--quiet", "origin", "TEMPLATE")
    other = tmp_path / "other"
    run(tmp_path, "clone", "--quiet", str(env["bare"]), str(other))
    result = invoke("sync", str(other))
    assert result.exit_code == 0, result.output
    assert run(other, "rev-parse", "TEMPLATE") == run(clone, "rev-parse", "TEMPLATE")


def test_not_a_project_and_not_a_repository(env: Dict[str, Path], tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = cli_runner().invoke(cli, ["sync", str(plain)])
    assert result.exit_code == 2 and "no .mlf-lint-project.yml" in result.output
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / PROJECT_RECORD).write_text((env["clone"] / PROJECT_RECORD).read_text())
    release_v11(env["templates"])
    result = cli_runner().invoke(cli, ["sync", str(copy)])
    assert result.exit_code == 2 and "not a git repository" in result.output


def test_unknown_template_suggests_the_nearest(env: Dict[str, Path]) -> None:
    clone = env["clone"]
    record = read_record(clone)
    record["template"]["handle"] = "dem"
    (clone / PROJECT_RECORD).write_text(yaml.safe_dump(record))
    result = cli_runner().invoke(cli, ["sync", str(clone), "--check"])
    assert result.exit_code == 2
    assert "template 'dem' is not installed (did you mean 'demo'?)" in result.output


def test_blacklist_matching() -> None:
    patterns = ["README.md", "docs/", "*.ipynb"]
    assert sync.is_blacklisted("README.md", patterns)
    assert sync.is_blacklisted("docs/index.md", patterns)
    assert sync.is_blacklisted("notebooks/a.ipynb", patterns)
    assert not sync.is_blacklisted("src/README.md", patterns)
    assert not sync.is_blacklisted(PROJECT_RECORD, [PROJECT_RECORD])


def test_a_template_version_that_renders_a_broken_file_is_not_committed(env: Dict[str, Path]) -> None:
    """The post-render check holds for sync too: nothing lands on TEMPLATE (issue 19, item 2)."""
    clone = env["clone"]
    files = dict(V1)
    files["setup.cfg"] = "[metadata\nname = {{ cookiecutter.project_slug }}\nversion = 0.1.0\n"
    write_template(env["templates"], "1.1.0", files)
    before = snapshot(clone)
    result = invoke("sync", str(clone), "--no-pull-request")
    assert result.exit_code == 2, result.output
    assert "rendered a setup.cfg that does not parse" in result.output and "Traceback" not in result.output
    assert not git.branch_exists(clone, sync.TEMPLATE_BRANCH)
    assert snapshot(clone) == before

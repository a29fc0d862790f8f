"""Robustness of the scaffold against hostile or odd answers: template injection through `create`
and through a project's recorded answers (`sync`), quoting in every generated format, names that
are not names, and failures that must leave nothing half-made (issue 19, items 1, 2 and 9)."""
from __future__ import annotations

import ast
import configparser
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import yaml
from click_compat import cli_runner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlf_lint.cli import cli
from mlf_lint.scaffold import render as render_module
from mlf_lint.scaffold.answers import AnswerError
from mlf_lint.scaffold.create import Answers, CreateError, create_project
from mlf_lint.scaffold.registry import PROJECT_RECORD, get_template, read_record
from mlf_lint.scaffold.render import RenderError, render

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HANDLES = ["mlflow-pytorch", "mlflow-tensorflow", "mlflow-xgboost", "package-prediction"]
# The exploit from the issue, one that leaves a trace on disk, and plain arithmetic.
EXPLOITS = [
    "{{ cycler.__init__.__globals__.os.popen('id -un').read() }}",
    "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "{{ 7*7 }}",
    "{% for i in range(3) %}{{ i }}{% endfor %}",
    "before {# comment #} after",
]
GIT_ENV = {"GIT_AUTHOR_NAME": "Tess Ter", "GIT_AUTHOR_EMAIL": "tess@example.org",
           "GIT_COMMITTER_NAME": "Tess Ter", "GIT_COMMITTER_EMAIL": "tess@example.org"}


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return cli_runner().invoke(cli, list(args), catch_exceptions=False)


def create_args(out: Path, handle: str = "package-prediction", name: str = "demo") -> List[str]:
    return ["create", "-t", handle, "--no-input", "-n", name, "-o", str(out), "--no-lint"]


def parse_everything(project: Path) -> None:
    """Every generated Python, TOML, YAML, INI and JSON file parses (the checks are independent of
    the ones create makes, so a create that skipped its own check would still fail here)."""
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            compile(text, str(path), "exec")
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in (".yml", ".yaml") or path.name == "MLproject":
            list(yaml.safe_load_all(text))
        elif path.suffix == ".cfg":
            configparser.ConfigParser(interpolation=None).read_string(text)
        elif path.suffix == ".json":
            json.loads(text)


def assigned_string(path: Path, name: str) -> str:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not assigned in {path}")


def custom_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handle: str, files: Dict[str, object],
                    **questions: str) -> Path:
    """A template ``handle`` in a templates folder that MLF_LINT_TEMPLATES_DIR points at; ``files``
    are paths inside the project (text, or bytes written as they are). Returns the project folder."""
    folder = tmp_path / "templates" / handle
    project = folder / "{{cookiecutter.project_slug}}"
    project.mkdir(parents=True)
    (folder / "template.yaml").write_text(f"handle: {handle}\ndescription: d\nlibrary: none\nversion: 1.0.0\n")
    (folder / "cookiecutter.json").write_text(json.dumps(
        {"project_name": "demo", "project_slug": "{{ cookiecutter.project_name }}", **questions}))
    for name, content in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (project / name).write_bytes(content)
        else:
            (project / name).write_text(str(content))
    monkeypatch.setenv("MLF_LINT_TEMPLATES_DIR", str(tmp_path / "templates"))
    return project


# --- item 1: template injection -----------------------------------------------------------------

@pytest.mark.parametrize("field", ["--description", "--author"])
@pytest.mark.parametrize("exploit", EXPLOITS)
def test_create_refuses_template_syntax_in_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   field: str, exploit: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*create_args(tmp_path / "out"), field, exploit)
    assert result.exit_code == 2, result.output
    assert "template syntax" in result.output and "nothing was written" in result.output
    assert "Created" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "PWNED").exists()


def test_answers_are_rendered_as_literal_text_even_unchecked(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: with the answer checks switched off, an answer is still data. (The same
    call with cookiecutter ran `touch PWNED` and wrote 49.)"""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(render_module, "check_answers", lambda path, answers: dict(answers))
    answers = {"project_name": "demo", "description": "{{ 7*7 }}", "author": EXPLOITS[1], "license": "MIT",
               "version": "0.1.0"}
    project = render(get_template("package-prediction"), answers, tmp_path / "out")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == "{{ 7*7 }}"
    assert pyproject["project"]["authors"] == [{"name": EXPLOITS[1]}]
    assert "49" not in (project / "README.md").read_text(encoding="utf-8")
    assert not (tmp_path / "PWNED").exists()


def test_template_expressions_run_in_a_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A template's own Jinja (here a derived default in a template folder from
    MLF_LINT_TEMPLATES_DIR) cannot reach Python internals either."""
    custom_template(tmp_path, monkeypatch, "evil", {"README.md": "{{ cookiecutter.stolen }}\n"},
                    stolen=EXPLOITS[1])
    monkeypatch.chdir(tmp_path)
    result = invoke(*create_args(tmp_path / "out", "evil"))
    assert result.exit_code == 2
    assert "SecurityError" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "out").exists()


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture()
def committed_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package-prediction project in git whose record claims an older template version, so
    that `sync` renders it again."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLF_LINT_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("GITHUB_TOKEN", "MLF_LINT_GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "home").mkdir()
    project = create_project("package-prediction", Answers("demo"), tmp_path)
    record = read_record(project)
    assert record is not None
    record["template"]["version"] = "0.9.0"
    (project / PROJECT_RECORD).write_text(yaml.safe_dump(record), encoding="utf-8")
    _git(project, "init", "--quiet", "-b", "main")
    _git(project, "add", "--all")
    _git(project, "commit", "--quiet", "-m", "Create project")
    monkeypatch.chdir(project)
    return project


def _edit_answer(project: Path, key: str, value: object) -> None:
    record = read_record(project)
    assert record is not None
    record["answers"][key] = value
    (project / PROJECT_RECORD).write_text(yaml.safe_dump(record), encoding="utf-8")
    _git(project, "commit", "--quiet", "-am", "Edit the recorded answers")


@pytest.mark.parametrize("exploit", EXPLOITS[:3])
def test_sync_refuses_recorded_answers_with_template_syntax(committed_project: Path, exploit: str) -> None:
    _edit_answer(committed_project, "description", exploit)
    head = _git(committed_project, "rev-parse", "HEAD")
    result = invoke("sync", str(committed_project), "--no-pull-request")
    assert result.exit_code == 2, result.output
    assert f"{PROJECT_RECORD}: answers: description contains" in result.output
    assert "template syntax" in result.output and "Traceback" not in result.output
    assert not (committed_project / "PWNED").exists()
    assert _git(committed_project, "branch", "--list", "TEMPLATE") == ""
    assert _git(committed_project, "rev-parse", "HEAD") == head
    assert _git(committed_project, "status", "--porcelain") == ""


@pytest.mark.parametrize("key, value, message", [
    ("project_name", "../../outside", "not a valid package name"),
    ("description", "two\nlines", "one line"),
    ("license", "WTFPL", "unknown value 'WTFPL'"),
    ("author", ["a", "list"], "expected text"),
])
def test_sync_refuses_answers_create_would_refuse(committed_project: Path, key: str, value: object,
                                                  message: str) -> None:
    _edit_answer(committed_project, key, value)
    result = invoke("sync", str(committed_project), "--no-pull-request")
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert _git(committed_project, "branch", "--list", "TEMPLATE") == ""


def test_sync_renders_plain_recorded_answers(committed_project: Path) -> None:
    """The refusal is for hostile answers only: an ordinary record still syncs."""
    _edit_answer(committed_project, "description", 'Say "hi" \\o/')
    result = invoke("sync", str(committed_project), "--no-pull-request")
    assert result.exit_code == 0, result.output
    rendered = _git(committed_project, "show", "TEMPLATE:pyproject.toml")
    assert tomllib.loads(rendered)["project"]["description"] == 'Say "hi" \\o/'


# --- item 2: quoting in every generated format -------------------------------------------------

AWKWARD = {
    "description": 'Say "hi" to C:\\new\\table and 100% of """docs""" \\',
    "author": 'A "B" C \\ Zoë 李 😀 \'single\'',
}


@pytest.mark.parametrize("handle", HANDLES)
def test_quotes_backslashes_and_unicode_give_a_project_that_parses(tmp_path: Path, handle: str) -> None:
    result = invoke(*create_args(tmp_path, handle), "--description", AWKWARD["description"],
                    "--author", AWKWARD["author"])
    assert result.exit_code == 0, result.output
    project = tmp_path / "demo"
    parse_everything(project)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pyproject["description"] == AWKWARD["description"]
    assert pyproject["authors"] == [{"name": AWKWARD["author"]}]
    assert assigned_string(project / "docs" / "conf.py", "author") == AWKWARD["author"]
    package = ast.parse((project / "demo" / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(package, clean=False) == AWKWARD["description"]
    assert read_record(project)["answers"]["author"] == AWKWARD["author"]  # type: ignore[index]


@pytest.mark.parametrize("value, message", [
    ("line one\nline two", "one line"),
    ("carriage\rreturn", "one line"),
    ("tab\there", "one line"),
    ("nul\x00byte", "one line"),
    ("line\u2028separator", "one line"),
    ("trojan \u202e source", "bidirectional control"),
    ("lone \udcff surrogate", "not valid Unicode"),
    ("non\ufffecharacter", "noncharacter"),
    ("x" * 501, "at most 500"),
])
def test_answers_that_cannot_be_one_line_of_text_are_refused(tmp_path: Path, value: str, message: str) -> None:
    result = invoke(*create_args(tmp_path / "out"), "--description", value)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert "Created" not in result.output and not (tmp_path / "out").exists()


def test_a_template_that_renders_a_broken_file_writes_nothing(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    custom_template(tmp_path, monkeypatch, "broken", {
        "README.md": "# {{ cookiecutter.project_name }}\n",
        "pyproject.toml": '[project]\nname = "{{ cookiecutter.project_name }}\n'})
    result = invoke(*create_args(tmp_path / "out", "broken"))
    assert result.exit_code == 2
    assert "rendered a pyproject.toml that does not parse" in result.output
    assert "Created" not in result.output and "Next steps" not in result.output
    assert not (tmp_path / "out").exists()


def test_every_generated_kind_is_checked() -> None:
    problem = render_module.parse_problem
    assert problem("a.py", b"x = (\n") and problem("a.toml", b'a = "b\n') and problem("MLproject", b"a: [\n")
    assert problem("a.yml", b"a: b: c\n") and problem("a.cfg", b"no section\n") and problem("a.json", b"{")
    assert problem("README.md", b"x = (\n") is None and problem("a.py", b"x = 1\n") is None


# --- item 9: names, and nothing half-made --------------------------------------------------------

@pytest.mark.parametrize("name, message", [
    ("demo\n", "not a valid package name"),
    ("demo\r\n", "not a valid package name"),
    ("a" * 300, "at most 100"),
    ("", "--no-input needs"),
    ("../escape", "not a valid package name"),
])
def test_bad_names_write_nothing(tmp_path: Path, name: str, message: str) -> None:
    result = invoke(*create_args(tmp_path / "out", name=name))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_write_that_fails_midway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "out").mkdir()
    calls = []
    real_chmod = render_module.os.chmod

    def failing_chmod(path: object, mode: int) -> None:
        calls.append(path)
        if len(calls) == 7:
            raise OSError(28, "No space left on device")
        real_chmod(path, mode)

    monkeypatch.setattr(render_module.os, "chmod", failing_chmod)
    with pytest.raises(CreateError, match="No space left on device.*nothing was left behind"):
        create_project("mlflow-xgboost", Answers("demo"), tmp_path / "out" / "new" / "deeper")
    assert len(calls) == 7
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failed_write_into_an_empty_folder_keeps_the_folder(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "demo").mkdir()

    def refuse(path: object, mode: int) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(render_module.os, "chmod", refuse)
    with pytest.raises(CreateError, match="Permission denied"):
        create_project("mlflow-xgboost", Answers("demo"), tmp_path)
    assert (tmp_path / "demo").is_dir() and list((tmp_path / "demo").iterdir()) == []


def test_bytecode_in_the_template_folder_never_reaches_a_project(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """What a regular wheel install leaves next to the template's Python files (issue 19, item 12)."""
    custom_template(tmp_path, monkeypatch, "demo", {
        "pkg/__init__.py": '"""{{ cookiecutter.project_name }}"""\n',
        "pkg/__pycache__/__init__.cpython-311.pyc": b"\x00\x01",
        "pkg/stray.pyc": b"\x00\x01"})
    project = render(get_template("demo"), {"project_name": "demo"}, tmp_path / "out")
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")) == [
        PROJECT_RECORD, "pkg", "pkg/__init__.py"]


# --- fuzzing: any text answer is refused cleanly or gives a project that parses ----------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=st.text(max_size=40), author=st.text(max_size=20))
def test_fuzzed_answers(tmp_path_factory: pytest.TempPathFactory, description: str, author: str) -> None:
    out = tmp_path_factory.mktemp("fuzz")
    try:
        project = create_project("mlflow-xgboost", Answers("demo", description=description, author=author), out)
    except CreateError as error:
        assert "\n" not in str(error)
        assert list(out.iterdir()) == []
        return
    parse_everything(project)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pyproject["description"] == description and pyproject["authors"] == [{"name": author}]


def test_answer_errors_name_the_question() -> None:
    with pytest.raises(AnswerError, match="^author contains"):
        render_module.build_context(get_template("mlflow-xgboost"), {"project_name": "demo", "author": "{{x}}"})
    with pytest.raises(RenderError, match="extension"):
        render_module.environment(["jinja2.ext.do", "os.system"])


def test_a_missing_shared_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom_template(tmp_path, monkeypatch, "demo", {"README.md": '{{ mlf_shared_file("nope.md") }}\n'})
    result = invoke(*create_args(tmp_path / "out", "demo"))
    assert result.exit_code == 2
    assert "README.md: ValueError: no shared template file 'nope.md'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()

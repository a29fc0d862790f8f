"""Project-file parsing: the shell lexer behind Dockerfile RUN lines, PEP 440 wildcards, docs tooling."""
from __future__ import annotations

from typing import List, Tuple

import pytest

from mlf_lint.project_checks import dockerfile, requirements, shell
from mlf_lint.project_checks.specs import NONE, RANGE, SpecError, parse_pip


def _words(text: str) -> List[List[str]]:
    return [command.texts for command in shell.split(text).commands]


@pytest.mark.parametrize("text, expected", [
    ("pip install a b  # a comment with words", [["pip", "install", "a", "b"]]),
    ("apt-get update && apt-get install -y git; pip install x || true",
     [["apt-get", "update"], ["apt-get", "install", "-y", "git"], ["pip", "install", "x"], ["true"]]),
    ("pip install 'torch>=2' \"numpy==1.26\"", [["pip", "install", "torch>=2", "numpy==1.26"]]),
    ("uv pip install --prefix \"$(python -c 'import sys; print(sys.prefix)')\" x",
     [["uv", "pip", "install", "--prefix", "$(python -c 'import sys; print(sys.prefix)')", "x"]]),
    ("pip install a \\\n    b", [["pip", "install", "a", "b"]]),
    ("cd src && (pip install -e . | tee log)", [["cd", "src"], ["pip", "install", "-e", "."], ["tee", "log"]]),
    ("echo a#b", [["echo", "a#b"]]),
    ("x=`date` pip install y", [["x=`date`", "pip", "install", "y"]]),
])
def test_shell_words(text: str, expected: List[List[str]]) -> None:
    assert _words(text) == expected


def test_substitutions_and_variables_are_dynamic() -> None:
    [command] = shell.split("pip install x==${VER} \"$(cat v)\" plain").commands
    assert [w.dynamic for w in command.words] == [False, False, True, True, False]


def test_unterminated_quote_keeps_the_words() -> None:
    script = shell.split("pip install 'torch==2.1")
    assert not script.complete and script.commands[0].texts == ["pip", "install", "torch==2.1"]


def _pins(text: str) -> Tuple[list, list]:
    return dockerfile.install_pins(dockerfile.instructions(text), "Dockerfile")


def test_dockerfile_comment_is_not_packages() -> None:
    pins, errors = _pins("FROM python:3.11\n"
                         "RUN pip install --user tensorboard cmake onnx   # cmake from apt-get is too old\n")
    assert [p.name for p in pins] == ["tensorboard", "cmake", "onnx"] and errors == []


def test_dockerfile_command_substitution_is_not_a_package_and_the_real_ones_are_found() -> None:
    text = ("FROM python:3.11\nRUN python -m pip install uv wheel\n"
            "RUN uv pip install --prefix \"$(python -c 'import sys; print(sys.prefix)')\" --no-cache -r req.txt "
            "albumentations comet_ml \\\n    coremltools 'openvino>=2024.0.0'\n")
    pins, errors = _pins(text)
    assert errors == []
    assert [(p.name, p.line) for p in pins] == [
        ("uv", 2), ("wheel", 2), ("albumentations", 3), ("comet-ml", 3), ("coremltools", 4), ("openvino", 4)]
    assert pins[-1].kind == RANGE


def test_dockerfile_unpinned_vcs_url_is_a_pin_without_a_revision() -> None:
    pins, _ = _pins("FROM python:3.11\nRUN pip install --user 'git+https://github.com/facebookresearch/fvcore'\n"
                    "RUN pip install git+https://github.com/a/b@3f2c1d0\n")
    assert [p.kind for p in pins] == [NONE, "url"]


def test_dockerfile_template_placeholders_and_other_programs_are_skipped() -> None:
    pins, errors = _pins("FROM python:3.8\nRUN pip install {{ cookiecutter.project_slug }}\n"
                         "RUN echo \"pip install nothing\" && apt-get install -y pip\n")
    assert pins == [] and errors == []


def test_dockerfile_run_flags_and_env_prefixes() -> None:
    pins, _ = _pins("FROM python:3.11\nRUN --mount=type=cache,target=/root/.cache PIP_NO_CACHE_DIR=1 "
                    "sudo pip3 install numpy==1.26.4\n")
    assert [(p.name, p.version) for p in pins] == [("numpy", "1.26.4")]


@pytest.mark.parametrize("spec", ["tensorflow>=2.7.*", "torch~=2.*", "numpy==1.*.3"])
def test_wildcards_outside_equality_are_invalid_pep440(spec: str) -> None:
    with pytest.raises(SpecError, match="wildcard"):
        parse_pip(spec)


@pytest.mark.parametrize("spec", ["tensorflow==2.7.*", "numpy!=1.26.*"])
def test_equality_wildcards_are_valid(spec: str) -> None:
    assert parse_pip(spec).kind == RANGE


@pytest.mark.parametrize("rel, tooling", [
    ("doc/requirements.txt", True), ("docs/requirements.txt", True), ("docs/source/requirements.txt", True),
    ("requirements-docs.txt", True), ("requirements.txt", False), ("training/requirements.txt", False),
    (".github/analytics/requirements.txt", True), (".github/requirements.txt", True),
    ("github/requirements.txt", False),
])
def test_docs_requirements_are_tooling(rel: str, tooling: bool) -> None:
    assert requirements.is_tooling_file(rel) is tooling


def test_template_folders_are_skipped_with_one_note(tmp_path) -> None:
    import subprocess
    import sys

    template = tmp_path / "{{cookiecutter.project_slug}}"
    template.mkdir()
    (template / "requirements.txt").write_text("{% if cookiecutter.gpu %}torch{% endif %}\n", encoding="utf-8")
    (template / "train.py").write_text("import os\nfiles = os.listdir('.')[0]\n", encoding="utf-8")
    (tmp_path / "setup.py").write_text("", encoding="utf-8")
    (tmp_path / "build.py").write_text("import os\nfiles = os.listdir('.')[0]\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "mlf_lint", ".", "--no-cache"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert "build.py:2" in run.stdout and "{{cookiecutter" not in run.stdout.split("note:")[0]
    assert run.stdout.count("note: 1 template folder (Jinja / cookiecutter) was not checked") == 1
    plugin = subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", str(template / "train.py")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert plugin.stdout == ""  # the plugin agrees: a template file is not read

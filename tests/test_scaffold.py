"""``mlf-lint create | list | info``, the four templates and the shared runtime helper."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import types
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest
import yaml
from click_compat import cli_runner

from mlf_lint.cli import cli
from mlf_lint.scaffold.registry import PROJECT_RECORD, get_template, list_templates, read_record
from mlf_lint.scaffold.runtime import LIBRARIES, render_reproducibility_module

ROOT = Path(__file__).resolve().parents[1]
HANDLES = ["mlflow-jax", "mlflow-pytorch", "mlflow-tensorflow", "mlflow-xgboost", "package-prediction"]
# What each template's project must be able to import to run its own tests.
LIBRARY_MODULES: Dict[str, List[str]] = {
    "mlflow-jax": ["jax", "flax", "optax", "mlflow"],
    "mlflow-pytorch": ["torch", "lightning", "mlflow"],
    "mlflow-tensorflow": ["tensorflow", "mlflow"],
    "mlflow-xgboost": ["xgboost", "mlflow"],
    "package-prediction": ["xgboost", "mlflow"],
}
COMMON_FILES = [
    "environment.yml", "requirements.txt", "requirements-dev.txt", "pyproject.toml", "MLproject", "Dockerfile",
    "README.md", "CHANGELOG.md", "LICENSE", ".gitignore", "docs/conf.py", "docs/index.rst",
    ".github/workflows/mlf-lint.yml", ".github/workflows/train-cpu.yml",
    ".github/workflows/publish-container.yml", "demo/__init__.py", "demo/reproducibility.py",
    "demo/data.py", "tests/conftest.py", "tests/test_reproducibility.py", PROJECT_RECORD,
]


def run_cli(*args: str, input: str = "") -> "object":
    return cli_runner().invoke(cli, list(args), input=input, catch_exceptions=False)


def create(tmp_path: Path, handle: str, name: str = "demo", *extra: str) -> Path:
    result = run_cli("create", "--template", handle, "--no-input", "--name", name, "-o", str(tmp_path),
                     "--no-lint", *extra)
    assert result.exit_code == 0, result.output
    return tmp_path / name


# --- list / info ------------------------------------------------------------------------------

def test_list_json_has_every_template() -> None:
    result = run_cli("list", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert sorted(row["handle"] for row in rows) == HANDLES
    assert all(row["version"] and row["library"] and row["description"] for row in rows)


def test_list_text_is_a_table() -> None:
    result = run_cli("list")
    assert result.exit_code == 0
    for handle in HANDLES:
        assert handle in result.output


def test_info_json_describes_questions_and_files() -> None:
    result = run_cli("info", "mlflow-xgboost", "--format", "json")
    assert result.exit_code == 0
    details = json.loads(result.output)
    assert details["library"] == "xgboost"
    assert {"project_name", "description", "author", "license"} <= set(details["questions"])
    # Paths as create writes them for the default name, never raw template syntax.
    assert "my_project/reproducibility.py" in details["files"]
    assert ".github/workflows/mlf-lint.yml" in details["files"]
    assert not [path for path in details["files"] if "{" in path]


@pytest.mark.parametrize("handle", HANDLES)
def test_info_shows_exactly_the_defaults_and_files_create_uses(tmp_path: Path, handle: str) -> None:
    details = json.loads(run_cli("info", handle, "--format", "json").output)
    defaults = {key: value[0] if isinstance(value, list) else value for key, value in details["questions"].items()}
    result = run_cli("create", "-t", handle, "--no-input", "-n", defaults["project_name"], "-o", str(tmp_path),
                     "--no-lint")
    assert result.exit_code == 0, result.output
    project = tmp_path / defaults["project_name"]
    record = read_record(project)
    assert record is not None
    assert record["answers"] == {k: defaults[k] for k in ("project_name", "description", "author", "license")}
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{defaults["version"]}"' in pyproject
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) == details["files"]


def test_info_text() -> None:
    result = run_cli("info", "package-prediction")
    assert result.exit_code == 0 and "package-prediction" in result.output and "questions" in result.output


def test_info_unknown_handle_suggests_the_nearest() -> None:
    result = cli_runner().invoke(cli, ["info", "mlflow-pytorh"])
    assert result.exit_code == 2
    assert "did you mean 'mlflow-pytorch'" in result.output
    assert "Traceback" not in result.output


# --- the runtime helper ----------------------------------------------------------------------

@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_runtime_helper_renders_valid_python(library: str) -> None:
    source = render_reproducibility_module(library)
    compile(source, f"reproducibility_{library}.py", "exec")
    for name in ("def set_seeds", "def enable_determinism", "def log_environment", "def file_sha256"):
        assert name in source
    assert "{%" not in source and "{{" not in source


def test_runtime_helper_has_each_librarys_switches() -> None:
    torch_src = render_reproducibility_module("pytorch")
    assert "torch.use_deterministic_algorithms(True)" in torch_src
    assert "torch.backends.cudnn.benchmark = False" in torch_src
    assert "seed_everything(seed, workers=True)" in torch_src
    assert "tensorflow" not in torch_src and "xgboost" not in torch_src
    tf_src = render_reproducibility_module("tensorflow")
    assert "tf.keras.utils.set_random_seed(seed)" in tf_src
    assert "tf.config.experimental.enable_op_determinism()" in tf_src
    xgb_src = render_reproducibility_module("xgboost")
    assert '"coord_descent"' in xgb_src and '"seed": seed' in xgb_src
    jax_src = render_reproducibility_module("jax")
    assert 'XLA_DETERMINISM_FLAG = "--xla_gpu_deterministic_ops=true"' in jax_src
    assert 'os.environ["XLA_FLAGS"] = f"{flags} {XLA_DETERMINISM_FLAG}".strip()' in jax_src
    assert "return nnx.Rngs(seed)" in jax_src and "np.random.seed(seed)" in jax_src
    assert "torch" not in jax_src and "tensorflow" not in jax_src


def test_runtime_helper_unknown_library() -> None:
    with pytest.raises(ValueError, match="no runtime helper"):
        render_reproducibility_module("theano")


def test_generated_helper_is_the_shared_one(tmp_path: Path) -> None:
    project = create(tmp_path, "mlflow-xgboost")
    assert (project / "demo" / "reproducibility.py").read_text(encoding="utf-8") == \
        render_reproducibility_module("xgboost")


# --- create: every template ------------------------------------------------------------------

def _text_files(project: Path) -> List[Path]:
    return sorted(p for p in project.rglob("*") if p.is_file() and p.suffix not in {".pyc"})


@pytest.mark.parametrize("handle", HANDLES)
def test_create_writes_a_complete_project(tmp_path: Path, handle: str) -> None:
    project = create(tmp_path, handle, "demo", "--author", "Ada Lovelace", "--license", "Apache-2.0",
                     "--description", "Demo project")
    for name in COMMON_FILES:
        assert (project / name).is_file(), name
    for path in _text_files(project):
        text = path.read_text(encoding="utf-8")
        assert "cookiecutter" not in text or path.name == PROJECT_RECORD, f"unrendered Jinja in {path}"
        if path.suffix == ".py":
            compile(text, str(path), "exec")
    template = get_template(handle)
    record = read_record(project)
    assert record is not None and template is not None
    assert record["template"] == {"handle": handle, "version": template.version}
    assert record["answers"]["project_name"] == "demo"
    assert record["answers"]["license"] == "Apache-2.0"
    assert record["sync"]["blacklist"] and record["bump_version"]["files"]
    assert "Ada Lovelace" in (project / "LICENSE").read_text(encoding="utf-8")
    assert "Apache-2.0" in (project / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("handle", HANDLES)
def test_project_pins_and_environment_variables(tmp_path: Path, handle: str) -> None:
    project = create(tmp_path, handle)
    env = yaml.safe_load((project / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert any(re.fullmatch(r"python=3\.\d+\.\d+", d) for d in conda)
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    requirements = [line for line in (project / "requirements.txt").read_text().splitlines()
                    if line and not line.startswith("#")]
    assert pip == requirements
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", r) for r in requirements), requirements
    assert env["variables"]["PYTHONHASHSEED"] == "0"

    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^FROM (\S+)", dockerfile, re.M)
    assert base and re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base.group(1))
    assert re.search(r'^ENV PYTHONHASHSEED="0"', dockerfile, re.M)

    mlproject = yaml.safe_load((project / "MLproject").read_text(encoding="utf-8"))
    variables = dict(mlproject["docker_env"]["environment"])
    assert variables["PYTHONHASHSEED"] == "0"
    if handle == "mlflow-pytorch":
        assert variables["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        assert 'CUBLAS_WORKSPACE_CONFIG=":4096:8"' in dockerfile
        assert "torch==2.13.0" in requirements
    if handle == "mlflow-jax":
        assert variables["XLA_FLAGS"] == "--xla_gpu_deterministic_ops=true"
        assert 'XLA_FLAGS="--xla_gpu_deterministic_ops=true"' in dockerfile
        assert env["variables"]["XLA_FLAGS"] == "--xla_gpu_deterministic_ops=true"
        assert {"jax==0.10.2", "jaxlib==0.10.2", "flax==0.12.8", "optax==0.2.8"} <= set(requirements)
    assert mlproject["entry_points"]


@pytest.mark.parametrize("handle", HANDLES)
def test_workflows_lint_with_sarif_train_and_publish(tmp_path: Path, handle: str) -> None:
    project = create(tmp_path, handle)
    workflows = project / ".github" / "workflows"
    lint = yaml.safe_load((workflows / "mlf-lint.yml").read_text(encoding="utf-8"))
    job = lint["jobs"]["mlf-lint"]
    assert job["permissions"]["security-events"] == "write"
    uses = [step.get("uses", "") for step in job["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any("--format sarif" in step.get("run", "") for step in job["steps"])
    train = (workflows / "train-cpu.yml").read_text(encoding="utf-8")
    assert "pytest" in train and ".train" in train or "cli train" in train
    publish = yaml.safe_load((workflows / "publish-container.yml").read_text(encoding="utf-8"))
    steps = publish["jobs"]["publish"]["steps"]
    assert any(s.get("uses", "").startswith("docker/build-push-action@") for s in steps)
    assert publish["jobs"]["publish"]["permissions"]["packages"] == "write"


@pytest.mark.parametrize("handle", HANDLES)
def test_actionlint_accepts_the_workflows(tmp_path: Path, handle: str) -> None:
    from actionlint_support import actionlint

    project = create(tmp_path / "p", handle)
    files = sorted((project / ".github" / "workflows").glob("*.yml"))
    result = actionlint(files, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("handle", HANDLES)
def test_create_in_a_subprocess(tmp_path: Path, handle: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlf_lint", "create", "--template", handle, "--no-input", "--name", "demo",
         "-o", str(tmp_path), "--no-lint"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo" / "demo" / "reproducibility.py").is_file()
    assert "Next steps" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("handle", HANDLES)
def test_generated_project_tests_pass(tmp_path: Path, handle: str) -> None:
    missing = [m for m in LIBRARY_MODULES[handle] if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{handle}: {', '.join(missing)} not installed, so its project tests cannot run")
    project = create(tmp_path, handle)
    env = {**os.environ, "PYTHONHASHSEED": "0", "CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                            capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


# --- shared template files: one source for what every template carries (issue 18) ---------------

TEMPLATES_ROOT = ROOT / "mlf_lint" / "scaffold" / "templates"
SHARED = TEMPLATES_ROOT / "_runtime"
_STUB = re.compile(r'\{\{ mlf_shared_file\("(?P<name>[^"]+)"(?P<args>.*)\) -?\}\}\n?', re.S)
_ANY_STUB = re.compile(r"\{\{ mlf_\w+\(.*\) -?\}\}\n?", re.S)  # the file is one call to a shared source


def _template_sources(handle: str) -> Dict[str, str]:
    """The template's files, by path inside the project (folder names still unrendered)."""
    root = TEMPLATES_ROOT / handle / "{{cookiecutter.project_slug}}"
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_no_file_is_copied_between_templates() -> None:
    """Two templates holding the same file is how package-prediction's copy of the XGBoost test
    drifted (it wrote literal backslashes): what templates share comes from _runtime/ instead."""
    holders: Dict[str, List[str]] = {}
    for handle in HANDLES:
        for rel, text in _template_sources(handle).items():
            if not _ANY_STUB.fullmatch(text):
                holders.setdefault(text, []).append(f"{handle}/{rel}")
    assert [paths for paths in holders.values() if len(paths) > 1] == []


def _oracle(answers: Dict[str, str], handle: str) -> "object":
    """An independent renderer of the stubs: plain Jinja, the shared sources read straight from
    _runtime/, the library table straight from its YAML; only the `now` tag is mlf-lint's."""
    from jinja2 import Environment, StrictUndefined, pass_context

    from mlf_lint import __version__
    from mlf_lint.scaffold.runtime.extension import NowExtension

    libraries = yaml.safe_load((SHARED / "libraries.yaml").read_text(encoding="utf-8"))

    @pass_context
    def shared(context, name, **values):  # type: ignore[no-untyped-def]
        text = (SHARED / name).read_text(encoding="utf-8")
        if not name.endswith(".j2"):
            return text
        blocks = context.environment.overlay(trim_blocks=True, lstrip_blocks=True)
        return blocks.from_string(text).render({**context.get_all(), **values})

    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, extensions=[NowExtension])
    env.globals.update(mlf_shared_file=shared, mlf_lint_version=__version__,
                       mlf_library=lambda name: {"requirements": [], "environment": {}, "pip_first": "",
                                                 **libraries[name]})
    env.filters["escape_string"] = lambda value: json.dumps(value, ensure_ascii=False)[1:-1]
    questions = json.loads((TEMPLATES_ROOT / handle / "cookiecutter.json").read_text(encoding="utf-8"))
    slug = answers["project_name"].lower()
    context = {**{k: v for k, v in questions.items() if k.startswith("_")}, "version": questions["version"],
               "project_slug": slug, "package_name": slug.replace("-", "_"), "_template_handle": handle,
               **answers}
    return lambda source: env.from_string(source).render(cookiecutter=context)


@pytest.mark.parametrize("license_id", ["Apache-2.0", "Proprietary"])
@pytest.mark.parametrize("handle", HANDLES)
def test_generated_files_match_their_shared_source(tmp_path: Path, handle: str, license_id: str) -> None:
    answers = {"project_name": "demo", "description": 'Says "hi" \\ bye', "author": "Ada Zoë",
               "license": license_id}
    project = create(tmp_path, handle, "demo", "--description", answers["description"], "--author",
                     answers["author"], "--license", license_id)
    render_stub = _oracle(answers, handle)
    checked = []
    for rel, text in _template_sources(handle).items():
        match = _STUB.fullmatch(text)
        if not match or rel == PROJECT_RECORD:  # the record gets the template and answers added
            continue
        generated = (project / rel.replace("{{cookiecutter.package_name}}", "demo")).read_text(encoding="utf-8")
        if not match.group("name").endswith(".j2"):
            assert generated == (SHARED / match.group("name")).read_text(encoding="utf-8"), rel
        assert generated == render_stub(text), rel
        checked.append(rel)
    assert len(checked) >= 15, checked
    licence = (project / "LICENSE").read_text(encoding="utf-8")
    ending = "All rights reserved.\n" if license_id == "Proprietary" else f"licenses/{license_id}.html\n"
    assert licence.endswith(ending)


@pytest.mark.parametrize("handle", HANDLES)
def test_generated_python_strings_hold_no_escaped_newlines(tmp_path: Path, handle: str) -> None:
    """A backslash-n in a string's value is almost always a doubled escape: package-prediction's test
    wrote "x,label\\n1,0\\n" (one line with backslashes) and passed only because it hashed it."""
    import ast
    import io
    import tokenize

    project = create(tmp_path, handle)
    found = []
    for path in sorted(project.rglob("*.py")):
        for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if token.type != tokenize.STRING:
                continue
            try:
                value = ast.literal_eval(token.string)
            except (ValueError, SyntaxError):
                continue  # an f-string
            if isinstance(value, (str, bytes)) and ("\\n" in value if isinstance(value, str) else b"\\n" in value):
                found.append(f"{path.relative_to(project)}:{token.start[0]}")
    assert found == []


# --- create: lint, prompts, GitHub -----------------------------------------------------------

def test_create_lints_the_new_project_and_prints_next_steps(tmp_path: Path) -> None:
    result = run_cli("create", "-t", "mlflow-xgboost", "--no-input", "-n", "demo", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"Checking {tmp_path / 'demo'} with mlf-lint" in result.output
    assert "Next steps:" in result.output and "cd " in result.output


def test_interactive_prompts_reask_a_bad_name(tmp_path: Path) -> None:
    answers = "\n".join(["mlflow-xgboost", "1 bad name", "my-proj", "Predicts things", "Grace", "BSD-3-Clause"])
    result = run_cli("create", "-o", str(tmp_path), "--no-lint", input=answers + "\n")
    assert result.exit_code == 0, result.output
    assert "not a valid package name" in result.output
    record = read_record(tmp_path / "my-proj")
    assert record is not None
    assert record["answers"] == {"project_name": "my-proj", "description": "Predicts things",
                                 "author": "Grace", "license": "BSD-3-Clause"}
    assert (tmp_path / "my-proj" / "my_proj" / "reproducibility.py").is_file()


@pytest.mark.parametrize("name, message", [
    ("1demo", "not a valid package name"),
    ("my project", "not a valid package name"),
    ("demo!", "not a valid package name"),
    ("class", "keyword"),
    ("random", "shadow"),
    ("torch", "shadow"),
])
def test_bad_names_are_refused(tmp_path: Path, name: str, message: str) -> None:
    result = cli_runner().invoke(cli, ["create", "-t", "mlflow-xgboost", "--no-input", "-n", name,
                                       "-o", str(tmp_path / "out"), "--no-lint"])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_existing_non_empty_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    keep = tmp_path / "demo" / "notes.txt"
    keep.write_text("mine", encoding="utf-8")
    result = cli_runner().invoke(cli, ["create", "-t", "mlflow-xgboost", "--no-input", "-n", "demo",
                                       "-o", str(tmp_path), "--no-lint"])
    assert result.exit_code == 2
    assert "exists and is not empty" in result.output
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["notes.txt"]
    assert keep.read_text(encoding="utf-8") == "mine"


def test_existing_empty_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    assert (create(tmp_path, "mlflow-xgboost") / "MLproject").is_file()


@pytest.mark.parametrize("args, message", [
    (["--no-input", "-n", "demo"], "needs --template"),
    (["--no-input", "-t", "mlflow-xgboost"], "needs --template"),
    (["--no-input", "-t", "mlflow-xgbost", "-n", "demo"], "did you mean 'mlflow-xgboost'"),
    (["--no-input", "-t", "mlflow-xgboost", "-n", "demo", "--org", "acme"], "only apply together with --github"),
])
def test_usage_errors(tmp_path: Path, args: List[str], message: str) -> None:
    result = cli_runner().invoke(cli, ["create", *args, "-o", str(tmp_path), "--no-lint"])
    assert result.exit_code == 2
    assert message in result.output
    assert not any(tmp_path.iterdir())


def test_github_publishing_is_called_after_creation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    fake = types.ModuleType("mlf_lint.scaffold.github")
    fake.publish_new_project = lambda project_dir, repo_name, org, private: calls.append(  # type: ignore
        (Path(project_dir), repo_name, org, private, (Path(project_dir) / "MLproject").is_file()))
    monkeypatch.setitem(sys.modules, "mlf_lint.scaffold.github", fake)
    create(tmp_path, "mlflow-xgboost", "demo", "--github", "--org", "acme", "--private")
    assert calls == [(tmp_path / "demo", "demo", "acme", True, True)]


def test_github_failure_keeps_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(project_dir: Path, repo_name: str, org: object, private: bool) -> None:
        raise RuntimeError("401 Bad credentials")

    fake = types.ModuleType("mlf_lint.scaffold.github")
    fake.publish_new_project = refuse  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mlf_lint.scaffold.github", fake)
    result = cli_runner().invoke(cli, ["create", "-t", "mlflow-xgboost", "--no-input", "-n", "demo",
                                       "-o", str(tmp_path), "--no-lint", "--github"])
    assert result.exit_code == 1
    assert "401 Bad credentials" in result.output and "Traceback" not in result.output
    assert (tmp_path / "demo" / "MLproject").is_file()


# --- packaging ---------------------------------------------------------------------------------

def _setuptools_builds_pyproject() -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("setuptools").split(".")[0]) >= 61 and bool(version("wheel"))
    except PackageNotFoundError:
        return False


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mlf-lint built as a regular wheel, once for the packaging tests."""
    folder = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             str(ROOT), "-w", str(folder)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = sorted(folder.glob("mlf_lint-*.whl"))
    return built


@pytest.mark.slow
@pytest.mark.skipif(not _setuptools_builds_pyproject(),
                    reason="the wheel is built without isolation: needs setuptools >= 61 and wheel installed")
def test_wheel_ships_every_template_file(wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    templates_root = ROOT / "mlf_lint" / "scaffold" / "templates"
    expected = {("mlf_lint/scaffold/templates/" + p.relative_to(templates_root).as_posix())
                for p in templates_root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert expected - shipped == set()
    assert not [name for name in shipped if name.endswith(".pyc")]
    assert "mlf_lint/scaffold/runtime/extension.py" in shipped
    assert len([t for t in list_templates() if t.handle in HANDLES]) == len(HANDLES)


@pytest.mark.slow
@pytest.mark.skipif(not _setuptools_builds_pyproject(),
                    reason="the wheel is built without isolation: needs setuptools >= 61 and wheel installed")
def test_regular_wheel_install_creates_projects_without_bytecode(wheel: Path, tmp_path: Path) -> None:
    """A regular (non-editable) install: pip compiles every .py it installs, the template's
    files included, and those __pycache__ folders once reached every new project."""
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    target = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--compile", "--target", target,
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    installed_templates = Path(target) / "mlf_lint" / "scaffold" / "templates"
    assert list(installed_templates.rglob("*.pyc")), "pip compiled nothing: the test would prove nothing"
    # The dependencies come from this environment; mlf_lint itself only from the fresh install
    # (an editable install is a .pth hook, which PYTHONPATH entries never run).
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    where = subprocess.run([str(python), "-c", "import mlf_lint; print(mlf_lint.__file__)"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert where.stdout.strip().startswith(target), where.stdout + where.stderr
    for handle in HANDLES:
        result = subprocess.run([str(python), "-m", "mlf_lint", "create", "-t", handle, "--no-input", "-n", "demo",
                                 "-o", str(tmp_path / handle), "--no-lint"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        project = tmp_path / handle / "demo"
        assert (project / "demo" / "reproducibility.py").is_file()
        assert not [p for p in project.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]

"""Project-file checks on the sample projects: every finding (code, file, line) asserted exactly."""
from __future__ import annotations

from pathlib import Path
from typing import List, Set, Tuple

import pytest

from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.registry import all_rules
from mlf_lint.project_checks import check_project, collect_env_vars, is_project_file

PROJECTS = Path(__file__).parent / "fixtures" / "projects"


def project_files(root: Path) -> List[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and is_project_file(p.relative_to(root)))


def run(name: str, facts: ProjectFacts = None) -> Set[Tuple[str, str, int]]:
    root = PROJECTS / name
    files = project_files(root)
    facts = facts or ProjectFacts()
    # The env vars the files set are project facts (the run collects them once, with the code's).
    facts.env_vars = {**collect_env_vars(root, files), **facts.env_vars}
    return {(f.code, f.path, f.line) for f in check_project(root, files, facts)}


EXPECTED = {
    "clean": set(),
    "conda": {
        ("MLF501", "environment.yml", 7),     # numpy
        ("MLF502", "environment.yml", 8),     # scipy>=1.11
        ("MLF502", "environment.yml", 9),     # pandas=2.1 is a prefix match
        ("MLF501", "environment.yml", 15),    # tqdm in the pip section
        ("MLF509", "requirements.txt", 1),    # torch 2.2.0 vs pytorch 2.1.0
    },
    # Sibling example folders never share an environment: only b's torch, which disagrees with the
    # root's (an ancestor folder), is reported; a's and b's numpy pins are not compared.
    "sibling_pins": {
        ("MLF509", "examples/b/requirements.txt", 1),
    },
    "pip": {
        ("MLF501", "base.txt", 1),            # reached through -r
        ("MLF502", "requirements.txt", 7),
        ("MLF501", "requirements.txt", 9),    # VCS URL on a branch
        ("MLF911", "requirements.txt", 12),
        ("MLF507", "requirements.txt", 13),
    },
    "docker": {
        ("MLF506", "Dockerfile", 1),
        ("MLF501", "Dockerfile", 4),
        ("MLF505", "Dockerfile", 6),
        ("MLF402", "Dockerfile", 8),
        ("MLF405", "Dockerfile", 9),
        ("MLF403", "Dockerfile", 10),
        ("MLF501", "Dockerfile", 11),         # scipy; xgboost=2.0.3 and pip itself are fine
    },
    "mlproject": {
        ("MLF403", ".github/workflows/ci.yml", 4),
        ("MLF404", ".github/workflows/ci.yml", 13),
        ("MLF507", "MLproject", 2),
        ("MLF505", "MLproject", 4),
        ("MLF502", "pyproject.toml", 10),     # an MLproject makes pyproject the run environment
    },
    "mlf-core": {
        ("MLF506", "Dockerfile", 1),
        ("MLF506", "MLproject", 4),
        ("MLF502", "environment.yml", 8),     # tensorboardx=2.1
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_project_findings(name: str) -> None:
    assert run(name) == EXPECTED[name]


def cuda_deterministic(versions: dict) -> ProjectFacts:
    return ProjectFacts(torch_deterministic=[("train.py", 3)], uses_cuda=[("train.py", 9)], versions=versions)


def test_cublas_value_rejected_by_torch_check_under_deterministic_mode() -> None:
    found = run("mlproject", cuda_deterministic({"torch": "1.13.1"}))
    assert found == EXPECTED["mlproject"] | {("MLF402", "MLproject", 5)}
    # torch 2.10 dropped the exact-value check: ':4096:2' is a valid cuBLAS setting again
    assert run("mlproject", cuda_deterministic({"torch": "2.10.0"})) == EXPECTED["mlproject"]


def test_projects_that_set_cublas_get_no_missing_finding() -> None:
    for name in ("clean", "mlf-core"):
        assert run(name, cuda_deterministic({"torch": "1.13.1"})) == EXPECTED[name]


def test_facts_env_vars_from_code_count(tmp_path: Path) -> None:
    facts = cuda_deterministic({"torch": "1.13.1"})
    facts.env_vars = {"CUBLAS_WORKSPACE_CONFIG": [("train.py", 1, ":4096:8")]}
    assert check_project(tmp_path, [], facts) == []
    facts.env_vars = {"CUBLAS_WORKSPACE_CONFIG": [("train.py", 1, "4096:8")]}
    assert [(f.code, f.path, f.line) for f in check_project(tmp_path, [], facts)] == [("MLF402", "train.py", 1)]


def test_lightning_trainer_sets_cublas_itself(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import lightning as L\n\ntrainer = L.Trainer(deterministic=True)\n")
    facts = cuda_deterministic({"torch": "1.13.1", "lightning": "2.1.3"})
    assert check_project(tmp_path, [], facts) == []
    (tmp_path / "train.py").write_text("import torch\n\ntorch.use_deterministic_algorithms(True)\n")
    assert [f.code for f in check_project(tmp_path, [], facts)] == ["MLF401"]


def test_collect_env_vars_reads_mlproject_dockerfile_and_workflow() -> None:
    root = PROJECTS / "mlproject"
    env = collect_env_vars(root, project_files(root))
    assert env["CUBLAS_WORKSPACE_CONFIG"] == [("MLproject", 5, ":4096:2")]
    assert env["PYTHONHASHSEED"] == [(".github/workflows/ci.yml", 9, "${{ vars.SEED }}"), ("MLproject", 5, "0")]
    assert "HOME" not in env  # copied from the host: no value to know
    root = PROJECTS / "docker"
    env = collect_env_vars(root, project_files(root))
    assert env == {"CUBLAS_WORKSPACE_CONFIG": [("Dockerfile", 8, "4096:8")],
                   "PYTHONHASHSEED": [("Dockerfile", 9, "random")], "TF_DETERMINISTIC_OPS": [("Dockerfile", 10, "1")]}


def test_tf_env_var_silent_before_2_8() -> None:
    found = run("docker", ProjectFacts(versions={"tensorflow": "2.6.0"}))
    assert ("MLF403", "Dockerfile", 10) not in found


def test_mlproject_without_environment_and_python_env(tmp_path: Path) -> None:
    (tmp_path / "MLproject").write_text("name: x\npython_env: python_env.yaml\nentry_points: {}\n")
    (tmp_path / "python_env.yaml").write_text("python: '3.10'\ndependencies:\n  - mlflow==2.9.2\n  - torch\n")
    found = {(f.code, f.path, f.line) for f in check_project(tmp_path, project_files(tmp_path), ProjectFacts())}
    assert found == {("MLF501", "python_env.yaml", 4)}
    (tmp_path / "MLproject").write_text("name: x\nentry_points: {}\n")
    found = {(f.code, f.path, f.line) for f in check_project(tmp_path, [tmp_path / "MLproject"], ProjectFacts())}
    assert found == {("MLF508", "MLproject", 1)}


def test_environment_missing_keys_and_python(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text("dependencies:\n  - numpy=1.26.4\n")
    found = sorted((f.code, f.line) for f in check_project(tmp_path, project_files(tmp_path), ProjectFacts()))
    assert found == [("MLF503", 1), ("MLF503", 1), ("MLF504", 2)]


def test_lock_file_pins_an_application(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = [\n  "torch>=2",\n]\n')
    assert {(f.code, f.line) for f in check_project(tmp_path, project_files(tmp_path), ProjectFacts())} == {
        ("MLF502", 4)}
    (tmp_path / "uv.lock").write_text('version = 1\n[[package]]\nname = "torch"\nversion = "2.3.1"\n')
    assert check_project(tmp_path, project_files(tmp_path), ProjectFacts()) == []


@pytest.mark.parametrize("name,content,line", [
    ("environment.yml", "name: x\ndependencies:\n  - a=1.0.0\n - b\n", 4),
    ("pyproject.toml", '[project]\nname = "x"\ndependencies = [\n', 4),
    (".github/workflows/ci.yml", "on: [push\njobs: {}\n", 2),
    ("uv.lock", "[[package]\n", 1),
])
def test_unparsable_file_is_one_finding_and_the_run_goes_on(tmp_path: Path, name: str, content: str,
                                                            line: int) -> None:
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    (tmp_path / "requirements.txt").write_text("numpy\n")
    found = {(f.code, f.path, f.line) for f in check_project(tmp_path, project_files(tmp_path), ProjectFacts())}
    assert found == {("MLF910", name, line), ("MLF501", "requirements.txt", 1)}


@pytest.mark.parametrize("data,line", [(b"numpy==1.0\n\x00\x01binary", 1), (b"numpy==1.0\ntorch\xff==2\n", 2)])
def test_unreadable_file(tmp_path: Path, data: bytes, line: int) -> None:
    (tmp_path / "requirements.txt").write_bytes(data)
    found = [(f.code, f.path, f.line) for f in check_project(tmp_path, project_files(tmp_path), ProjectFacts())]
    assert found == [("MLF912", "requirements.txt", line)]


@pytest.mark.parametrize("rel,expected", [
    ("environment.yml", True), ("envs/environment-gpu.yaml", True), ("conda.yaml", True),
    ("requirements.txt", True), ("requirements/base.txt", True), ("constraints.txt", True),
    ("pyproject.toml", True), ("setup.cfg", True), ("Dockerfile", True), ("docker/train.Dockerfile", True),
    ("Containerfile", True), ("MLproject", True), (".github/workflows/ci.yml", True), ("mlf_core.cfg", True),
    (".mlf_core.yml", True), ("uv.lock", True), ("poetry.lock", True), ("conda-lock.yml", True),
    ("train.py", False), ("config.yml", False), ("README.md", False), ("docs/notes.txt", False),
])
def test_is_project_file(rel: str, expected: bool) -> None:
    assert is_project_file(Path(rel)) is expected


def test_every_code_has_a_complete_rule_entry() -> None:
    rules = all_rules()
    codes = {c for c in rules if c[3] in "45" or c.startswith("MLF91")}
    used = set().union(*EXPECTED.values(), {("MLF401",), ("MLF503",), ("MLF504",), ("MLF508",), ("MLF912",)})
    for code in {u[0] for u in used}:
        assert code in codes
    for code in codes:
        rule = rules[code]
        assert rule.what and rule.why and rule.example and rule.use_instead and rule.versions, code
        assert rule.references and all(r.url.startswith("https://") for r in rule.references), code


def test_a_run_reads_and_parses_each_project_file_once(tmp_path: Path, monkeypatch) -> None:
    import shutil
    from collections import Counter

    from helpers import invoke

    from mlf_lint.project_checks import dockerfile, model
    from mlf_lint.project_checks import yaml_lines as Y

    for name in ("docker", "mlproject"):
        shutil.copytree(PROJECTS / name, tmp_path, dirs_exist_ok=True)
    (tmp_path / "environment.yml").write_text("name: x\ndependencies:\n  - python=3.11\n  - pytorch=2.1\n")
    (tmp_path / "train.py").write_text("import os\nimport torch\nos.environ['PYTHONHASHSEED'] = '0'\n")
    reads: Counter = Counter()
    parses: Counter = Counter()

    def counting(counter, key, real):
        def wrapped(arg, *rest):
            counter[key(arg)] += 1
            return real(arg, *rest)
        return wrapped

    monkeypatch.setattr(model, "load_text", counting(reads, lambda path: path.name, model.load_text))
    monkeypatch.setattr(dockerfile, "instructions",
                        counting(parses, lambda text: "Dockerfile", dockerfile.instructions))
    monkeypatch.setattr(Y, "compose", counting(parses, lambda text: text.split("\n", 1)[0], Y.compose))
    code, out, _ = invoke([str(tmp_path), "--no-cache"])
    assert code == 1, out
    files = {p.name for p in project_files(tmp_path)}
    assert set(reads) == files and set(reads.values()) == {1}, reads
    assert parses["Dockerfile"] == 1 and max(parses.values()) == 1, parses


def test_failed_project_files_are_data_not_codes(tmp_path: Path) -> None:
    from mlf_lint.project_checks import check_project_files

    (tmp_path / "environment.yml").write_text("name: [x\n")
    (tmp_path / "requirements.txt").write_text("torch==2.1.0\nnumpy>=>1\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\n")
    checked = check_project_files(tmp_path, project_files(tmp_path), ProjectFacts())
    assert [(f.path, f.code) for f in checked.failed] == [("environment.yml", "MLF910"), ("requirements.txt", "MLF911")]
    assert set(checked.failed) <= set(checked.findings)

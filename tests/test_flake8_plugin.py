"""The flake8 plugin reports exactly what the CLI reports, file by file (real flake8, as a subprocess)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Set, Tuple

import pytest

from helpers import write

FIXTURES = Path(__file__).parent / "fixtures"
ENV_PROJECT = {
    "setup.py": "",
    "requirements.txt": "torch==2.4.0\ntensorflow==2.15.0\n",
    "train.py": "import os\n\nimport tensorflow as tf\nimport torch\n\n"
                "os.environ[\"TF_DETERMINISTIC_OPS\"] = \"1\"\n"
                "os.environ[\"CUBLAS_WORKSPACE_CONFIG\"] = \":2:2\"\n"
                "torch.use_deterministic_algorithms(True)\n"
                "model = torch.nn.Linear(2, 2).cuda()\ntf.random.set_seed(0)\n",
    "other.py": "import os\n\nos.environ[\"CUBLAS_WORKSPACE_CONFIG\"] = \":2:2\"  # noqa: MLF402\n",
}


def _parse(stdout: str, root: Path) -> Set[Tuple[str, int, int, str]]:
    found = set()
    for line in stdout.splitlines():
        path, row, col, rest = line.split(":", 3)
        p = Path(path)
        rel = (p if p.is_absolute() else root / p).resolve().relative_to(root.resolve()).as_posix()
        found.add((rel, int(row), int(col), rest.split()[0]))
    return found


def _flake8(root: Path, extra: List[str]) -> Set[Tuple[str, int, int, str]]:
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", *extra, "."], cwd=root,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    return _parse(proc.stdout, root)


def _cli(root: Path, extra: List[str]) -> Set[Tuple[str, int, int, str]]:
    proc = subprocess.run([sys.executable, "-m", "mlf_lint", "check", ".", "--no-cache", "--format", "concise",
                           *extra], cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.split(":", 1)[0].endswith(".py")]
    return _parse("\n".join(rows), root)


@pytest.fixture(scope="module")
def fixture_tree(tmp_path_factory) -> Path:
    """Each fixture becomes a project of its own (a setup.py marks the root), as the fixture test
    treats it; the top folder is a project too, so both tools see several roots at once."""
    root = tmp_path_factory.mktemp("fixtures")
    (root / "setup.py").write_text("", encoding="utf-8")
    for folder in ("general", "pytorch", "tensorflow", "xgboost", "jax"):
        for path in sorted((FIXTURES / folder).glob("*.py")):
            project = root / folder / path.stem
            project.mkdir(parents=True)
            shutil.copy(path, project / path.name)
            (project / "setup.py").write_text("", encoding="utf-8")
    # Environment-variable findings land on .py lines too (MLF4xx): the plugin must report them.
    write(root / "envvars", ENV_PROJECT)
    return root


def test_flake8_equals_cli_on_the_fixture_tree(fixture_tree: Path) -> None:
    via_flake8 = _flake8(fixture_tree, [])
    via_cli = _cli(fixture_tree, [])
    assert via_flake8, "the fixtures produce findings"
    assert via_flake8 == via_cli
    env_findings = {(rel, row, code) for rel, row, _, code in via_flake8 if rel.startswith("envvars/")}
    assert env_findings == {("envvars/train.py", 6, "MLF403"), ("envvars/train.py", 7, "MLF402")}


def test_flake8_equals_cli_file_by_file_on_env_var_findings(fixture_tree: Path) -> None:
    """`flake8 FILE` and `mlf-lint FILE`: the project's env-var findings on that file's lines,
    from project files that were not named (requirements.txt), the noqa one left out."""
    project = fixture_tree / "envvars"
    for name in ("train.py", "other.py"):
        via_flake8 = _parse(subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", name], cwd=project,
                                           capture_output=True, text=True, timeout=300).stdout, project)
        cli = subprocess.run([sys.executable, "-m", "mlf_lint", name, "--no-cache", "--format", "concise"],
                             cwd=project, capture_output=True, text=True, timeout=300)
        assert via_flake8 == _parse(cli.stdout, project), name
        assert {code for *_, code in via_flake8} == ({"MLF402", "MLF403"} if name == "train.py" else set())


def test_flake8_equals_cli_with_an_off_by_default_code(fixture_tree: Path) -> None:
    via_flake8 = _flake8(fixture_tree, ["--extend-select", "MLF103"])
    via_cli = _cli(fixture_tree, ["--extend-select", "MLF103"])
    assert any(code == "MLF103" for *_, code in via_flake8)
    assert via_flake8 == via_cli


def test_off_by_default_codes_stay_off_in_flake8(fixture_tree: Path) -> None:
    assert not any(code == "MLF103" for *_, code in _flake8(fixture_tree, []))


def test_flake8_uses_project_facts_and_columns(tmp_path: Path) -> None:
    write(tmp_path, {
        "setup.py": "",
        "seed.py": "import torch\n\ndef seed_all(s):\n    torch.manual_seed(s)\n"
                   "    torch.use_deterministic_algorithms(True)\n",
        "train.py": "import torch\nfrom seed import seed_all\nseed_all(0)\nloss.backward()\ny =  torch.histc(x)\n",
    })
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", "train.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr
    assert lines[0].startswith("train.py:5:6: MLF102 torch.histc raises RuntimeError")


def test_flake8_noqa(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": "", "a.py": "import torch\ntorch.backends.cudnn.benchmark = True  # noqa: MLF120\n"})
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", "a.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout == ""


def _indexed(store: Path, root: Path) -> Set[str]:
    import sqlite3

    with sqlite3.connect(str(store)) as db:
        return {rel for (rel,) in db.execute("SELECT rel FROM files WHERE root = ?", (str(root.resolve()),))}


def test_plugin_keeps_its_facts_in_the_user_cache_or_an_existing_cache_folder(tmp_path: Path) -> None:
    project, home = tmp_path / "project", tmp_path / "home"
    write(project, {"setup.py": "", "a.py": "import torch\ntorch.manual_seed(0)\nloss.backward()\n"})
    env = {**os.environ, "MLF_LINT_CACHE_HOME": str(home)}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", "a.py"], cwd=project,
                              capture_output=True, text=True, timeout=300, env=env)
    assert run().returncode == 0
    assert not (project / ".mlf_lint_cache").exists()  # flake8 never writes into the project
    assert _indexed(home / "facts.sqlite", project) == {"a.py", "setup.py"}
    # Once the CLI made the project's cache folder, the plugin keeps its facts there.
    subprocess.run([sys.executable, "-m", "mlf_lint", "."], cwd=project, capture_output=True, timeout=300, env=env)
    (project / "b.py").write_text("import torch\n", encoding="utf-8")
    assert run().returncode == 0
    assert _indexed(project / ".mlf_lint_cache" / "facts.sqlite", project) == {"a.py", "b.py", "setup.py"}


def test_plugin_does_nothing_when_flake8_selects_no_mlf_code(tmp_path: Path) -> None:
    """`flake8 --select E` with mlf-lint installed: the plugin returns before any work."""
    write(tmp_path, {"setup.py": "", "a.py": "import torch\ntorch.backends.cudnn.benchmark = True\n"})

    def flake8(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "flake8", *args, "a.py"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300).stdout

    assert "MLF120" in flake8() and "MLF120" in flake8("--select", "MLF1,E")
    assert "MLF120" not in flake8("--select", "E,W")
    assert "MLF120" not in flake8("--extend-ignore", "MLF")
    import argparse

    from mlf_lint.flake8_plugin import Plugin, _any_selected

    options = argparse.Namespace(select=["E"], extend_select=None, ignore=None, extend_ignore=None,
                                 extended_default_select=["E", "W", "F", "C90", "MLF"], extended_default_ignore=[])
    assert _any_selected(options, ["MLF101", "MLF120"]) is False
    options.select = None
    assert _any_selected(options, ["MLF101", "MLF120"]) is True
    assert Plugin.wanted is True


def test_plugin_reuses_a_files_findings_while_its_text_and_facts_hold(tmp_path: Path) -> None:
    import json
    import sqlite3
    import time

    project, home = tmp_path / "project", tmp_path / "home"
    write(project, {"setup.py": "", "train.py": "import torch\ny = torch.gather(x, 0, i)\n"})
    past = time.time() - 60
    for path in project.iterdir():
        os.utime(path, (past, past))
    env = {**os.environ, "MLF_LINT_CACHE_HOME": str(home)}

    def run() -> str:
        return subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", "train.py"], cwd=project,
                              capture_output=True, text=True, timeout=300, env=env).stdout
    assert "MLF101" in run()
    with sqlite3.connect(str(home / "facts.sqlite")) as db:
        [(data,)] = db.execute("SELECT data FROM findings WHERE rel = 'train.py'")
        kept = json.loads(data)
        assert kept["facts"] and "torch_deterministic" in kept["facts"]
        kept["findings"][0]["message"] = "taken from the store"
        db.execute("UPDATE findings SET data = ? WHERE rel = 'train.py'", (json.dumps(kept),))
    assert "MLF101 taken from the store" in run()  # the same text and facts: not checked again
    # A fact the finding consulted changes (deterministic mode elsewhere): checked again.
    (project / "det.py").write_text("import torch\ntorch.use_deterministic_algorithms(True)\n")
    assert "MLF101" not in run()

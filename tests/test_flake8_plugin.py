"""The flake8 plugin reports exactly what the CLI reports, file by file (real flake8, as a subprocess)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Set, Tuple

import pytest

from helpers import write

from mlf_lint.engine.cache import CACHE_FILE

FIXTURES = Path(__file__).parent / "fixtures"


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
    for folder in ("general", "pytorch", "tensorflow", "xgboost"):
        for path in sorted((FIXTURES / folder).glob("*.py")):
            project = root / folder / path.stem
            project.mkdir(parents=True)
            shutil.copy(path, project / path.name)
            (project / "setup.py").write_text("", encoding="utf-8")
    return root


def test_flake8_equals_cli_on_the_fixture_tree(fixture_tree: Path) -> None:
    via_flake8 = _flake8(fixture_tree, [])
    via_cli = _cli(fixture_tree, [])
    assert via_flake8, "the fixtures produce findings"
    assert via_flake8 == via_cli


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


def test_plugin_uses_an_existing_cache_but_creates_none(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": "", "a.py": "import torch\ntorch.manual_seed(0)\nloss.backward()\n"})

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", "a.py"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
    assert run().returncode == 0
    assert not (tmp_path / ".mlf_lint_cache").exists()
    subprocess.run([sys.executable, "-m", "mlf_lint", "."], cwd=tmp_path, capture_output=True, timeout=300)
    cache = tmp_path / ".mlf_lint_cache" / CACHE_FILE
    before = cache.read_bytes()
    (tmp_path / "b.py").write_text("import torch\n", encoding="utf-8")
    assert run().returncode == 0
    assert cache.read_bytes() != before  # the plugin refreshed the facts it computed


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

"""The program model on small real projects: each entry point is judged with the facts of the code
it reaches (tests/fixtures/programs/<case>/, inline expectations as in the rule fixtures)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Set, Tuple

import pytest

from fixture_support import expectations

CASES = Path(__file__).parent / "fixtures" / "programs"


def _expected(root: Path) -> Set[Tuple[str, int, int, str]]:
    found = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        found |= {(rel, line, col, code) for line, col, code in expectations(path.read_text(encoding="utf-8"))}
    return found


def _cli(root: Path) -> Tuple[Set[Tuple[str, int, int, str]], str]:
    proc = subprocess.run([sys.executable, "-m", "mlf_lint", "check", ".", "--no-cache", "--format", "concise"],
                          cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    found = set()
    for line in proc.stdout.splitlines():
        path, row, col, rest = (line.split(":", 3) + ["", "", ""])[:4]
        if path.endswith(".py") and row.isdigit():
            found.add((path, int(row), int(col) - 1, rest.split()[0]))
    return found, proc.stdout


def _copy(case: str, tmp_path: Path) -> Path:
    root = tmp_path / case
    shutil.copytree(CASES / case, root)
    return root


@pytest.mark.parametrize("case", ["shared_code", "inference", "hf", "accel", "classes"])
def test_case(case: str, tmp_path: Path) -> None:
    root = _copy(case, tmp_path)
    got, out = _cli(root)
    want = _expected(root)
    assert got == want, f"missing: {sorted(want - got)}\nunexpected: {sorted(got - want)}\n{out}"


@pytest.mark.parametrize("with_git", [True, False])
def test_sibling_examples_are_separate_programs(with_git: bool, tmp_path: Path) -> None:
    """pytorch/examples-like: with .git one root, without markers the working directory; either way
    a seed in dcgan/ or in mnist/seed_tools.py does not seed mnist/main.py."""
    root = _copy("multi", tmp_path)
    if with_git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    got, out = _cli(root)
    assert got == _expected(root), out


def test_shared_code_names_the_program_it_holds_for(tmp_path: Path) -> None:
    _, out = _cli(_copy("shared_code", tmp_path))
    line = next(row for row in out.splitlines() if "MLF110" in row)
    assert line.endswith("(in the run of b/train.py)"), line


def test_project_files_belong_to_their_nearest_root(tmp_path: Path) -> None:
    """A requirements file in a folder without Python files and a Dockerfile above every code root
    are checked, not dropped."""
    root = _copy("dropped", tmp_path)
    (root / "minGPT" / "mingpt" / "setup.py").write_text("", encoding="utf-8")  # a root below the files
    _, out = _cli(root)
    assert "minGPT/requirements.txt" in out, out
    assert "Dockerfile" in out, out


def test_flake8_agrees_with_the_cli_on_programs(tmp_path: Path) -> None:
    for case in ("multi", "shared_code", "inference", "hf", "accel", "classes"):
        shutil.copytree(CASES / case, tmp_path / case)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    cli, _ = _cli(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", "."], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    flake8 = set()
    for line in proc.stdout.splitlines():
        path, row, col, rest = line.split(":", 3)
        flake8.add((path[2:] if path.startswith("./") else path, int(row), int(col) - 1, rest.split()[0]))
    assert cli and flake8 == cli


def test_calls_read_from_the_text_belong_to_the_function_they_sit_in() -> None:
    """A file that is not parsed: each call belongs to the function (or method) whose text it sits
    in, a nested function's calls to its outer one, unindented code to the module; `def f(` is no
    call of f, a call of f further down is."""
    from mlf_lint.lint.summaries import MODULE_SCOPE, _scoped_called_names

    source = (
        "import x\n"
        "setup()\n"
        "@register()\n"
        "def first(a):\n"
        "    def inner():\n"
        "        return helper()\n"
        "    return inner() + first(a - 1)\n"
        "\n"
        "class Model(Base):\n"
        "    def forward(self, x):\n"
        "        return self.head(\n"
        "            x)\n"
        "    async def other(self):\n"
        "        await fetch()\n"
        "run(first)\n"
    )
    scoped = _scoped_called_names(source, {"Model"})
    assert scoped == {
        MODULE_SCOPE: {"setup", "register", "run"},
        "first": {"inner", "helper", "first"},
        "forward": {"head"},
        "other": {"fetch"},
    }

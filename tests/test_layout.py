"""The package's architecture holds: imports point down only (CONTRIBUTING.md has the picture), and
only the CLI ends the process."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mlf_lint"

# Which parts of mlf_lint each part may import (besides itself and the root package's __version__).
# engine/ is the floor; cli/ is the top; the flake8 plugin is an adapter over lint/.
ALLOWED: Dict[str, Set[str]] = {
    "engine": set(),
    "rules": {"engine"},
    "project_checks": {"engine"},
    "lint": {"engine", "rules", "project_checks"},
    "report": {"engine"},
    "fix": {"engine", "rules", "project_checks"},
    "scaffold": {"engine"},
    "evidence": {"engine"},
    "audit": {"engine", "rules", "report"},
    "flake8_plugin": {"engine", "lint"},
    "server": {"engine", "lint", "fix"},
    "cli": {"engine", "rules", "project_checks", "lint", "report", "fix", "scaffold", "evidence", "audit",
            "server"},
    "__main__": {"cli"},
    "__init__": set(),
}


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


# The audit's agent runs inside the audited program (its folder goes on that program's PYTHONPATH),
# not inside mlf-lint: it imports nothing of the package and ends that program on --max-steps.
AGENT = PACKAGE / "audit" / "agent"


def _modules() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "templates" not in path.relative_to(PACKAGE).parts and AGENT not in path.parents:
            yield path


def test_the_audit_agent_imports_nothing_of_the_package() -> None:
    agents = sorted(AGENT.glob("*.py"))
    assert agents
    for path in agents:
        names = [name for _, name in _imports(ast.parse(path.read_text(encoding="utf-8")))]
        assert not [n for n in names if n.split(".")[0] == "mlf_lint"], path


def _imports(tree: ast.AST) -> Iterator[Tuple[int, str]]:
    """Every ``mlf_lint.X`` a module imports, at any depth (lazy imports inside functions count)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mlf_lint":
                for alias in node.names:
                    yield node.lineno, f"mlf_lint.{alias.name}"
            else:
                yield node.lineno, node.module


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_part(p) for p in _modules()}
    assert parts <= set(ALLOWED), f"add {sorted(parts - set(ALLOWED))} to ALLOWED (and CONTRIBUTING.md)"


def test_imports_point_down_only() -> None:
    wrong: List[str] = []
    for path in _modules():
        part = _part(path)
        for line, name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            pieces = name.split(".")
            if pieces[0] != "mlf_lint" or len(pieces) < 2 or pieces[1] == "__version__":
                continue
            target = pieces[1]
            if target != part and target not in ALLOWED[part]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {part} imports {name}")
    assert not wrong, "\n".join(wrong)


def _main_guards(tree: ast.AST) -> Set[ast.AST]:
    """Nodes under ``if __name__ == "__main__":``: a module run as a script is a process entry point
    (``python -m mlf_lint.report.docs``), like the CLI."""
    guarded: Set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("__name__ == '__main__'",):
            for stmt in node.body:
                guarded.update(ast.walk(stmt))
    return guarded


def _exits(tree: ast.AST) -> List[int]:
    guarded = _main_guards(tree)
    return sorted(_exit_lines(tree, guarded))


def _exit_lines(tree: ast.AST, guarded: Set[ast.AST]) -> Iterator[int]:
    for node in ast.walk(tree):
        if node in guarded:
            continue
        if isinstance(node, ast.Call):
            if ast.unparse(node.func) in ("sys.exit", "exit", "quit", "os._exit", "ctx.exit"):
                yield node.lineno
        elif isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if ast.unparse(raised).split(".")[-1] in ("SystemExit", "Exit"):
                yield node.lineno


@pytest.mark.parametrize("part", sorted(set(ALLOWED) - {"cli", "__main__"}))
def test_only_the_cli_ends_the_process(part: str) -> None:
    found = [f"{p.relative_to(PACKAGE.parent)}:{line}" for p in _modules() if _part(p) == part
             for line in _exits(ast.parse(p.read_text(encoding="utf-8")))]
    assert not found, f"only mlf_lint/cli/ may exit: {found}"


def test_the_checker_sees_an_exit() -> None:
    tree = ast.parse("import sys\ndef f():\n    sys.exit(2)\ndef g():\n    raise SystemExit(1)\n"
                     "def h():\n    raise click.exceptions.Exit(0)\nif __name__ == '__main__':\n    sys.exit(f())\n")
    assert _exits(tree) == [3, 5, 7]

"""Facts through the fact store: an unchanged file is never read, a content is summarised once,
and the facts always equal those computed from scratch (edits, new and deleted files, racy
timestamps, an editor's unsaved text, concurrent runs on one store)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from helpers import write
from mlf_lint.engine.factstore import FactStore
from mlf_lint.lint.discovery import discover_root
from mlf_lint.engine.config import Config
from mlf_lint.lint.freshness import CodeFacts, store_stamp

FILES = {
    "setup.py": "",
    "utils/seed.py": "import torch\n\ndef seed_all(s):\n    torch.manual_seed(s)\n",
    "train.py": "import torch\nfrom utils.seed import seed_all\n\ndef main():\n    seed_all(0)\n\nmain()\n",
    "ops.py": "import torch\ny = torch.cumsum(x, dim=0).cuda()\n",
    "det.py": "import torch\n\ndef strict():\n    torch.use_deterministic_algorithms(True)\n",
}


def _age(root: Path, seconds: float = 60) -> None:
    """Make every file look written a while ago (older than the racy window)."""
    past = time.time() - seconds
    for path in root.rglob("*.py"):
        os.utime(path, (past, past))


def _code(root: Path) -> List[Path]:
    return discover_root(root, Config())[0]


def _store(tmp_path: Path, root: Path) -> FactStore:
    return FactStore(tmp_path / "store" / "facts.sqlite", store_stamp(), root)


def _from_scratch(root: Path, overrides: Dict[Path, str] = None):
    return CodeFacts(root).refresh(_code(root), overrides=overrides)


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    project = write(tmp_path / "project", FILES)
    _age(project)
    return project


def test_a_warm_run_reads_and_summarises_nothing(tmp_path: Path, root: Path) -> None:
    first = CodeFacts(root, _store(tmp_path, root))
    cold = first.refresh(_code(root))
    assert first.reads == len(FILES) and first.summarised == len(FILES)
    assert cold == _from_scratch(root) and cold.library.torch_seeded == [("utils/seed.py", 4)]
    warm = CodeFacts(root, _store(tmp_path, root))
    assert warm.refresh(_code(root)) == cold
    assert warm.reads == 0 and warm.summarised == 0


def test_only_changed_files_are_read_and_facts_stay_exact(tmp_path: Path, root: Path) -> None:
    CodeFacts(root, _store(tmp_path, root)).refresh(_code(root))
    steps = [
        # the same size, another content: the mtime tells
        ("utils/seed.py", "import torch\n\ndef seed_all(s):\n    torch.manual_seed(0)\n"),
        ("train.py", "import torch\n\nprint('no seed')\n"),                # the helper is no longer called
        ("new.py", "from utils.seed import seed_all\nseed_all(1)\n"),     # a new file calls it (not parsed)
        ("det.py", None),                                                 # deleted
    ]
    for rel, text in steps:
        path = root / rel
        if text is None:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")
            os.utime(path, (time.time() - 30, time.time() - 30 + (hash(rel) % 7)))
        facts = CodeFacts(root, _store(tmp_path, root))
        assert facts.refresh(_code(root)) == _from_scratch(root), rel
        assert facts.reads == (0 if text is None else 1), rel
    final = _from_scratch(root).library
    assert final.torch_seeded == [("utils/seed.py", 4)] and final.torch_deterministic == []


def test_a_file_written_just_now_is_read_again_until_its_stat_can_be_trusted(tmp_path: Path, root: Path) -> None:
    (root / "ops.py").write_text("import torch\ny = torch.cumsum(x, dim=1).cuda()\n", encoding="utf-8")
    CodeFacts(root, _store(tmp_path, root)).refresh(_code(root))
    again = CodeFacts(root, _store(tmp_path, root))
    again.refresh(_code(root))
    assert again.reads == 1  # written within the racy window: its stat is not trusted yet
    past = time.time() - 60
    os.utime(root / "ops.py", (past, past))
    settle = CodeFacts(root, _store(tmp_path, root))
    settle.refresh(_code(root))
    assert settle.reads == 1  # read once more, now with a stat that is old enough
    last = CodeFacts(root, _store(tmp_path, root))
    last.refresh(_code(root))
    assert last.reads == 0


def test_an_editors_text_counts_and_an_edit_looks_at_nothing_else(tmp_path: Path, root: Path) -> None:
    code_facts = CodeFacts(root, _store(tmp_path, root))
    before = code_facts.refresh(_code(root))
    reads = code_facts.reads
    train = root / "train.py"
    # Typing inside a function without facts: the summary is the same, the facts are kept as they are.
    same, changed = code_facts.edit(train, FILES["train.py"].replace("def main():", "def main():  # go"))
    assert not changed and same == before
    # Removing the call of the helper: the facts change, exactly as from scratch.
    unsaved = "import torch\nfrom utils.seed import seed_all\n\ndef main():\n    pass\n\nmain()\n"
    after, changed = code_facts.edit(train, unsaved)
    assert changed and after.library.torch_seeded == []
    assert after == _from_scratch(root, {train: unsaved})
    assert code_facts.reads == reads  # no file was read for either edit
    assert train.read_text() == FILES["train.py"]


def test_an_edit_after_a_model_taken_from_the_store_keeps_it(tmp_path: Path, root: Path) -> None:
    """An editor's text a session saw before (an undo, a second session): its model comes from the
    store whole, and the next edit that changes no summary must still keep that model, not
    rebuild it (it did: the summary of the stored text was not in memory)."""
    train = root / "train.py"
    text = "import torch\nfrom utils.seed import seed_all\n\ndef main():  # one\n    pass\n\nmain()\n"
    earlier = CodeFacts(root, _store(tmp_path, root))
    earlier.refresh(_code(root))
    earlier.edit(train, text)
    code_facts = CodeFacts(root, _store(tmp_path, root))
    code_facts.refresh(_code(root))
    code_facts.edit(train, text)  # the model of this content is in the store
    summarised = code_facts.summarised
    same, changed = code_facts.edit(train, text.replace("# one", "# two"))
    assert not changed and same == _from_scratch(root, {train: text})
    assert code_facts.summarised == summarised + 1  # only the new text


def test_the_server_loads_what_an_edit_needs_after_a_warm_start(
        tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm start takes the root's complete facts from the store and loads no code model; the
    warm-up after didOpen loads it, so the first keystroke only summarises its own text."""
    from mlf_lint.server.projects import Projects

    monkeypatch.setenv("MLF_LINT_CACHE_HOME", str(tmp_path / "user-cache"))
    train = root / "train.py"
    text = FILES["train.py"]
    Projects().of(train).check(train, text, {train: text})  # an earlier session fills the store
    project = Projects().of(train)
    project.edit(train, text, {train: text})
    project.check(train, text, {train: text})
    project.warm_up()
    built, summarised = project.code_facts.last, project.code_facts.summarised
    assert built is not None
    project.edit(train, text.replace("def main():", "def main():  # go"), {})
    assert project.code_facts.last is built  # the model kept, not built again
    assert project.code_facts.summarised == summarised + 1  # only the new text


def test_a_damaged_or_foreign_store_changes_nothing(tmp_path: Path, root: Path) -> None:
    store = tmp_path / "store" / "facts.sqlite"
    CodeFacts(root, _store(tmp_path, root)).refresh(_code(root))
    with sqlite3.connect(str(store)) as db:  # a summary that lies about its content
        db.execute("UPDATE summaries SET data = '{\"direct\": [[\"torch_seeded\", 99]]}'")
        db.execute("DELETE FROM facts")
        db.execute("UPDATE meta SET value = 'another version' WHERE key = 'stamp'")
    assert CodeFacts(root, _store(tmp_path, root)).refresh(_code(root)) == _from_scratch(root)
    store.write_bytes(b"garbage" * 1000)
    assert CodeFacts(root, _store(tmp_path, root)).refresh(_code(root)) == _from_scratch(root)


PAIRS = 20


@pytest.mark.slow
def test_concurrent_runs_on_one_store_agree_and_leave_it_sound(tmp_path: Path) -> None:
    """An editor's flake8 and pre-commit's mlf-lint, 20 pairs at once on one project and one user
    cache, with -j: every run reports what a run without any cache reports."""
    project = write(tmp_path / "project", {
        **FILES,
        "flags.py": "import torch\ntorch.backends.cudnn.benchmark = True\n",
        "requirements.txt": "torch==2.4.0\n",
        "env.py": "import os\nimport torch\nos.environ['CUBLAS_WORKSPACE_CONFIG'] = ':2:2'\n"
                  "torch.use_deterministic_algorithms(True)\n",
        **{f"pkg/m{i}.py": f"import torch\nz{i} = torch.cumsum(x, dim=0)\n" for i in range(12)},
    })
    home = tmp_path / "home"
    env = {**os.environ, "MLF_LINT_CACHE_HOME": str(home)}
    flake8 = [sys.executable, "-m", "flake8", "--select", "MLF", "-j", "2", "."]
    cli = [sys.executable, "-m", "mlf_lint", "check", ".", "--format", "concise", "--exit-zero", "-j", "2",
           "--cache-dir", str(tmp_path / "cli-cache")]

    def output(proc: subprocess.Popen) -> List[str]:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode in (0, 1), err
        return sorted(line.removeprefix("./") for line in out.splitlines() if ": MLF" in line)

    reference_env = {**env, "MLF_LINT_CACHE_HOME": str(tmp_path / "reference-home")}
    expected_flake8 = output(subprocess.Popen(flake8, cwd=project, env=reference_env, stdout=subprocess.PIPE,
                                              stderr=subprocess.PIPE, text=True))
    expected_cli = output(subprocess.Popen([*cli[:-2], "--no-cache"], cwd=project, env=env,
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    assert any("MLF402" in line for line in expected_flake8)
    assert expected_flake8 == [line for line in expected_cli if line.split(":")[0].endswith(".py")]
    procs = []
    for _ in range(PAIRS):
        for command in (flake8, cli):
            proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            procs.append((command is flake8, proc))
    for is_flake8, proc in procs:
        assert output(proc) == (expected_flake8 if is_flake8 else expected_cli)
    for store in (home / "facts.sqlite", tmp_path / "cli-cache" / "facts.sqlite"):
        with sqlite3.connect(str(store)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # And the cache they left behind gives the same answers warm.
    assert output(subprocess.Popen(flake8, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)) == expected_flake8


def _settled(root: Path) -> None:
    """Folders older than the racy window too (discovery trusts their mtimes only then)."""
    past = time.time() - 60
    for path in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        os.utime(path, (past, past))


def test_discovery_walks_again_only_when_a_folder_or_an_ignore_file_changed(
        tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlf_lint.lint import discovery

    ignore = root / ".gitignore"
    ignore.write_text("# nothing yet\n")
    os.utime(ignore, (time.time() - 90, time.time() - 90))
    _settled(root)
    store = _store(tmp_path, root)
    first = discover_root(root, Config(), store)
    walks = []
    real = discovery.discover
    monkeypatch.setattr(discovery, "discover", lambda *a, **k: walks.append(1) or real(*a, **k))
    assert discover_root(root, Config(), store) == first and walks == []
    # An ignore file's content steers the walk, though its folder's listing stays the same.
    ignore.write_text("ops.py\n")
    os.utime(ignore, (time.time() - 80, time.time() - 80))
    assert discover_root(root, Config(), store) == first and walks == [1]
    _settled(root)
    discover_root(root, Config(), store)
    assert walks == [1, 1]
    # A new file: its folder's mtime moves.
    (root / "utils" / "extra.py").write_text("x = 1\n")
    assert str(root / "utils" / "extra.py") in discover_root(root, Config(), store)[0] and len(walks) == 3
    # Another configuration (an exclude) is another listing.
    assert str(root / "ops.py") not in discover_root(root, Config(exclude=["ops.py"]), store)[0]


def test_another_checkout_of_the_same_content_takes_the_model(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A second clone, a worktree, or a cache folder restored in another place (CI): the code
    model is keyed by content alone, so it is neither summarised nor built again; a project file
    with other content (one that declares a program) makes another model."""
    import shutil

    from mlf_lint.lint import programs

    builds: List[Path] = []
    build = programs.build
    monkeypatch.setattr(programs, "build", lambda root, *args: builds.append(root) or build(root, *args))
    files = {**FILES, "MLproject": "name: p\nentry_points:\n  main:\n    command: python train.py\n"}
    first_root = write(tmp_path / "first", files)
    first = CodeFacts(first_root, _store(tmp_path, first_root))
    model = first.refresh(_code(first_root), [first_root / "MLproject"])
    assert first.summarised == len(FILES)

    second_root = tmp_path / "second"
    shutil.copytree(first_root, second_root)  # written just now: project files' stats are not trusted
    second = CodeFacts(second_root, _store(tmp_path, second_root))
    assert second.refresh(_code(second_root), [second_root / "MLproject"]) == model
    assert second.summarised == 0 and builds == [first_root]

    (second_root / "MLproject").write_text("name: p\nentry_points:\n  main:\n    command: python ops.py\n")
    third = CodeFacts(second_root, _store(tmp_path, second_root))
    other = third.refresh(_code(second_root), [second_root / "MLproject"])
    assert other != model and builds == [first_root, second_root]
    assert other == CodeFacts(second_root).refresh(_code(second_root), [second_root / "MLproject"])


def test_a_project_file_that_cannot_be_read_keys_the_model_without_failing(tmp_path: Path, root: Path) -> None:
    """A project file gone since discovery, or a folder by that name: the model is built, keyed by
    what could be read, and equals one computed from scratch."""
    gone, folder = root / "MLproject", root / "environment.yml"
    folder.mkdir()
    facts = CodeFacts(root, _store(tmp_path, root))
    model = facts.refresh(_code(root), [gone, folder])
    assert facts.declared_contents == [("MLproject", None), ("environment.yml", None)]
    assert model == CodeFacts(root).refresh(_code(root))


def test_complete_facts_follow_the_project_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlf_lint.engine.cache import cache_folder
    from mlf_lint.lint.facts import fact_store, root_facts

    project = write(tmp_path / "p", {**FILES, "requirements.txt": "torch==2.4.0\n"})
    _age(project)
    requirements = project / "requirements.txt"
    os.utime(requirements, (time.time() - 60, time.time() - 60))  # else too recent to be kept
    monkeypatch.setenv("MLF_LINT_CACHE_HOME", str(tmp_path / "home"))

    def facts():
        return root_facts(project, code_facts=CodeFacts(project, fact_store(project, cache_folder(project))))
    assert facts().facts.versions["torch"] == "2.4.0"
    assert facts().store is None  # taken whole from the store: no project file was read
    requirements.write_text("torch==2.6.0\n")
    past = time.time() - 30
    os.utime(requirements, (past, past))
    assert facts().facts.versions["torch"] == "2.6.0"


def test_tables_are_parsed_once_per_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlf_lint.engine import registry

    monkeypatch.setenv("MLF_LINT_CACHE_HOME", str(tmp_path / "home"))
    table = tmp_path / "ops.yaml"
    table.write_text("- {name: torch.histc, when: {weights: present}}\n")
    assert registry.read_table(table) == [{"name": "torch.histc", "when": {"weights": "present"}}]
    [kept] = (tmp_path / "home" / "tables").glob("*.json")
    kept.write_text('[{"name": "from the cache"}]')
    assert registry.read_table(table) == [{"name": "from the cache"}]  # the YAML was not parsed
    table.write_text("- {name: torch.bincount}\n")                   # new content: parsed again
    assert registry.read_table(table) == [{"name": "torch.bincount"}]
    odd = tmp_path / "odd.yaml"
    odd.write_text("{2.4: old, 2.5: new}\n")                         # keys JSON would turn into strings
    assert registry.read_table(odd) == {2.4: "old", 2.5: "new"}
    assert len(list((tmp_path / "home" / "tables").glob("*.json"))) == 2

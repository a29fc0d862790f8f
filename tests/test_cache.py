"""The content cache: warm runs agree with cold ones, and edits invalidate exactly what depends on them."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import invoke, write
from mlf_lint.engine.cache import CACHE_FILE
from mlf_lint.engine.config import Config
from mlf_lint.engine.factstore import STORE_FILE, FactStore, user_store_path
from mlf_lint.lint.facts import root_facts
from mlf_lint.lint.freshness import CodeFacts, store_stamp
from mlf_lint.lint.runner import Options, run


def _run(root: Path, **kwargs):
    return run(Options(paths=[root], config=Config(), root=root, base=root, **kwargs))


def _project(tmp_path: Path) -> Path:
    return write(tmp_path, {
        "setup.py": "",
        "environment.yml": "name: p\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pytorch=2.6.0\n",
        "utils/seed.py": "import torch\n\ndef seed_all(s):\n    torch.manual_seed(s)\n",
        "train.py": "import torch\nfrom utils.seed import seed_all\nseed_all(0)\nloss.backward()\n",
        "ops.py": "import torch\ny = torch.cumsum(x, dim=0)\n",
        "flags.py": "import torch\ntorch.backends.cudnn.benchmark = True\n",
    })


def test_warm_run_reuses_everything_and_agrees(tmp_path: Path) -> None:
    root = _project(tmp_path)
    cold = _run(root)
    assert cold.analysed == ["flags.py", "ops.py", "setup.py", "train.py", "utils/seed.py"]
    warm = _run(root)
    assert warm.analysed == []
    assert warm.findings == cold.findings


def test_editing_the_seed_helper_invalidates_only_files_that_depend_on_seeding(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert not any(f.code == "MLF110" for f in _run(root).findings)
    (root / "utils/seed.py").write_text("import torch\n\ndef seed_all(s):\n    pass\n", encoding="utf-8")
    result = _run(root)
    # seed.py changed; train.py consulted the seeding fact; ops.py and flags.py did not.
    assert result.analysed == ["train.py", "utils/seed.py"]
    assert [f.path for f in result.findings if f.code == "MLF110"] == ["train.py"]


def test_editing_a_pin_invalidates_only_version_dependent_files(tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = _run(root)
    assert [f.code for f in first.findings if f.path == "ops.py"] == ["MLF101"]
    env = root / "environment.yml"
    env.write_text(env.read_text().replace("pytorch=2.6.0", "pytorch=1.13.1"), encoding="utf-8")
    result = _run(root)
    assert result.analysed == ["ops.py"]
    assert [f.code for f in result.findings if f.path == "ops.py"] == ["MLF102"]


def test_corrupt_cache_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    root = _project(tmp_path)
    cold = _run(root)
    cache_file = root / ".mlf_lint_cache" / CACHE_FILE
    for garbage in (b"\x00\xff not json", b'{"stamp": "x"', b"[1, 2, 3]"):
        cache_file.write_bytes(garbage)
        again = _run(root)
        assert again.findings == cold.findings
        assert again.analysed == cold.analysed
    assert _run(root).analysed == []  # rebuilt and valid again


def test_tampered_entry_is_not_trusted(tmp_path: Path) -> None:
    import json

    root = _project(tmp_path)
    cold = _run(root)
    cache_file = root / ".mlf_lint_cache" / CACHE_FILE
    header, body = cache_file.read_text().split("\n")
    data = json.loads(body)
    data["files"]["flags.py"]["findings"] = "not a list"
    cache_file.write_text(header + "\n" + json.dumps(data))
    result = _run(root)
    assert result.analysed == cold.analysed  # the whole cache is dropped and rebuilt
    assert [f.code for f in result.findings if f.path == "flags.py"] == ["MLF120"]
    assert _run(root).analysed == []


def test_config_change_and_no_cache_flag(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _run(root)
    assert _run(root, use_cache=False).analysed == ["flags.py", "ops.py", "setup.py", "train.py", "utils/seed.py"]
    code, out, _ = invoke([str(root), "--ignore", "MLF120"])
    assert "MLF120" not in out


def test_clean_and_cache_dir(tmp_path: Path) -> None:
    root = _project(tmp_path)
    other = tmp_path / "elsewhere"
    invoke([str(root), "--cache-dir", str(other)])
    assert (other / CACHE_FILE).exists()
    invoke([str(root)])
    assert (root / ".mlf_lint_cache" / CACHE_FILE).exists()
    assert (root / ".mlf_lint_cache" / STORE_FILE).exists()
    # What an editor (the flake8 plugin, the server) left in the user cache goes too.
    root_facts(root.resolve(), code_facts=CodeFacts(root.resolve(), FactStore(user_store_path(), store_stamp(),
                                                                              root.resolve())))
    assert FactStore(user_store_path(), store_stamp(), root.resolve()).index()
    code, out, _ = invoke(["clean", str(root)])
    assert code == 0 and "removed" in out and "from" in out
    assert not (root / ".mlf_lint_cache" / CACHE_FILE).exists()
    assert not (root / ".mlf_lint_cache" / STORE_FILE).exists()
    assert not FactStore(user_store_path(), store_stamp(), root.resolve()).index()
    code, out, _ = invoke(["clean", str(root)])
    assert code == 0 and "no cache" in out


def test_files_that_could_not_be_analysed_are_known_cold_and_warm(tmp_path: Path) -> None:
    root = _project(tmp_path)
    write(root, {"broken.py": "import torch\ntorch.manual_seed(0)\ndef f(:\n",
                 "broken.ipynb": '{"cells": [ <<<<<<< HEAD',
                 "requirements.txt": "numpy>=>1\n"})
    cold = _run(root, target_versions={})
    warm = _run(root)
    assert warm.analysed == []
    failed = ["broken.ipynb", "broken.py", "requirements.txt"]
    assert [path for path, _ in cold.unanalysed] == failed and warm.unanalysed == cold.unanalysed
    # Also when the codes that report them are not selected: the file was not analysed all the same.
    quiet = run(Options(paths=[root], config=Config(ignore=["MLF9"]), root=root, base=root, use_cache=False))
    assert [path for path, _ in quiet.unanalysed] == failed
    assert not any(f.code.startswith("MLF9") for f in quiet.findings)


# --- the cache stays inside the project unless the command line says otherwise (issue 19, item 3) --


def _with_cache_dir(tmp_path: Path, value: str) -> Path:
    root = _project(tmp_path / "project")
    (root / ".mlf-lint.toml").write_text(f'cache-dir = "{value}"\n', encoding="utf-8")
    return root


def test_cache_dir_from_config_outside_the_project_is_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    outside = tmp_path / "x"
    outside.mkdir()
    (outside / "cache-v1.json").write_text('{"stamp": "an older mlf-lint"}', encoding="utf-8")
    (outside / "cache-v9.json").write_text("someone else's file", encoding="utf-8")
    before = sorted(p.name for p in outside.iterdir())
    root = _with_cache_dir(tmp_path, "../x")
    code, out, err = invoke([str(root)])
    assert code == 2
    assert "cache-dir '../x' is not a folder inside the project" in err and "--cache-dir" in err
    code, out, err = invoke(["clean", str(root)])
    assert code == 2 and "not a folder inside the project" in err
    assert sorted(p.name for p in outside.iterdir()) == before
    # flake8 on the project: no cache, no crash, nothing written outside.
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--select", "MLF", str(root / "flags.py")],
                            capture_output=True, text=True, timeout=300, cwd=root)
    assert "MLF120" in flake8.stdout and "Traceback" not in flake8.stderr
    assert sorted(p.name for p in outside.iterdir()) == before


@pytest.mark.parametrize("value", [".", "/tmp/mlf-lint-absolute-cache", "sub/../.."])
def test_config_cache_dir_must_be_a_folder_below_the_root(tmp_path: Path, value: str) -> None:
    root = _with_cache_dir(tmp_path, value)
    code, _, err = invoke([str(root)])
    assert code == 2 and "not a folder inside the project" in err
    assert not (root / ".gitignore").exists() and not (root / CACHE_FILE).exists()


def test_cache_dir_inside_the_project_from_config_works(tmp_path: Path) -> None:
    root = _with_cache_dir(tmp_path, "build/lint-cache")
    invoke([str(root)])
    assert (root / "build" / "lint-cache" / CACHE_FILE).is_file()


def test_cache_dir_on_the_command_line_may_be_anywhere(tmp_path: Path) -> None:
    root = _with_cache_dir(tmp_path, "../x")
    elsewhere = tmp_path / "named-on-the-command-line"
    code, _, _ = invoke([str(root), "--cache-dir", str(elsewhere)])
    assert code == 1 and (elsewhere / CACHE_FILE).is_file()


def test_only_the_caches_own_old_files_are_deleted(tmp_path: Path) -> None:
    root = _project(tmp_path)
    folder = root / ".mlf_lint_cache"
    folder.mkdir()
    (folder / "cache-v2.json").write_text('{"stamp": "0.1.0:abc", "files": {}}', encoding="utf-8")
    (folder / "cache-v7.json").write_text('["not ours"]', encoding="utf-8")
    (folder / "cache-vX.json").write_text('{"stamp": "x"}', encoding="utf-8")
    target = tmp_path / "precious.json"
    target.write_text('{"stamp": "looks like ours"}', encoding="utf-8")
    (folder / "cache-v1.json").symlink_to(target)
    _run(root)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(STORE_FILE)) == [
        ".gitignore", "cache-v1.json", CACHE_FILE, "cache-v7.json", "cache-vX.json"]
    assert target.read_text(encoding="utf-8") == '{"stamp": "looks like ours"}'


def test_fewer_collections_restores_the_host_setting() -> None:
    """The plugin runs inside flake8's process: the collector is set back as it was, and a host
    that turned collection off (threshold 0) or made it rarer keeps its own choice."""
    import gc

    from mlf_lint.engine.collector import YOUNG_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with fewer_collections():
            assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
        for host in ((0, 10, 10), (50_000, 5, 5)):
            gc.set_threshold(*host)
            with fewer_collections():
                assert gc.get_threshold() == host
            assert gc.get_threshold() == host
        gc.set_threshold(700, 10, 10)
        try:
            with fewer_collections():
                raise KeyError("boom")
        except KeyError:
            pass
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)

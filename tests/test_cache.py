"""The content cache: warm runs agree with cold ones, and edits invalidate exactly what depends on them."""
from __future__ import annotations

from pathlib import Path

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
    _run(root)
    cache_file = root / ".mlf_lint_cache" / CACHE_FILE
    data = json.loads(cache_file.read_text())
    data["files"]["flags.py"]["findings"] = "not a list"
    cache_file.write_text(json.dumps(data))
    result = _run(root)
    assert result.analysed == ["flags.py"]
    assert [f.code for f in result.findings if f.path == "flags.py"] == ["MLF120"]


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
    write(root, {"broken.py": "import torch\ndef f(:\n", "broken.ipynb": '{"cells": [ <<<<<<< HEAD',
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

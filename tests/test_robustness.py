"""Robustness: pathological but valid input never crashes a run (issue #19).

Deep expressions and exploit-shaped files go through the real CLI (in-process and as a subprocess),
every report format, the fixes, and flake8 as a subprocess. Each case reproduced the failure first.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Dict, List

import pytest

from helpers import codes, invoke, run_module, write

from mlf_lint.engine.cache import content_hash
from mlf_lint.engine.config import Config
from mlf_lint.lint.runner import Options, run
from mlf_lint.report import render

FORMATS = ("text", "json", "sarif", "github", "junit", "concise")

# Issue #19 item 5: CPython compiles the first; the parser itself gives up on the next two
# (RecursionError, MemoryError), and `json` on the notebook.
DEEP_MINUS = "import os\nimport torch\ntorch.manual_seed(0)\nX = " + "-" * 1500 + "1\n" \
             "files = os.listdir('.')[0]\n"
PLUS_CHAIN = "import torch\ntorch.manual_seed(0)\nY = " + "+".join(["1"] * 3500) + "\n"
NOT_CHAIN = "import torch\ntorch.manual_seed(0)\nZ = " + "not " * 60000 + "1\n"
DEEP_NOTEBOOK = '{"cells": ' + "[" * 100000 + "]" * 100000 + "}"
SIBLING = "import os\nx=1\n"   # F401 and E225 for flake8, nothing for mlf-lint


def _flake8(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8", *args], cwd=root, capture_output=True, text=True,
                          timeout=300)


def _no_crash(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr


@pytest.fixture()
def deep_project(tmp_path: Path) -> Path:
    write(tmp_path, {"setup.py": "", "sib.py": SIBLING, "deep.py": DEEP_MINUS, "plus.py": PLUS_CHAIN,
                     "nots.py": NOT_CHAIN})
    (tmp_path / "deep.ipynb").write_text(DEEP_NOTEBOOK, encoding="utf-8")
    return tmp_path


# -- item 5: deep expressions ------------------------------------------------------------------
def test_deep_files_are_findings_and_the_run_goes_on(deep_project: Path) -> None:
    proc = run_module([".", "--no-cache"], deep_project)
    _no_crash(proc)
    lines = proc.stdout.splitlines()
    # deep.py compiles in CPython: it is checked like any file (its listing is found) ...
    assert any(line.startswith("deep.py:5:9: MLF010") for line in lines), proc.stdout
    assert not any(line.startswith("deep.py") and "MLF90" in line for line in lines)
    # ... the two CPython cannot compile are MLF901, the notebook MLF903, each one line.
    for name in ("plus.py", "nots.py"):
        assert [line for line in lines if line.startswith(name)] == [
            f"{name}:1:1: MLF901 cannot parse this file: an expression is nested too deeply for Python's parser "
            "(CPython cannot compile it either); no rule was checked in it. Fix the syntax error (or exclude "
            "the file)."]
    assert [line.split(": ")[1][:6] for line in lines if line.startswith("deep.ipynb")] == ["MLF903"]


def test_deep_files_read_only_for_project_facts(deep_project: Path) -> None:
    # Checking the sibling reads every file of the project for its facts (seeding ...).
    proc = run_module(["sib.py"], deep_project)
    _no_crash(proc)
    assert proc.returncode == 0 and proc.stdout.startswith("All checks passed"), proc.stdout


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deep_files_in_parallel_workers(tmp_path: Path, jobs: str) -> None:
    # Above the parallel threshold the files are analysed in forked workers.
    files = {f"m{i}.py": "import torch\nx = torch.randn(3)\n" for i in range(60)}
    write(tmp_path, {"setup.py": "", **files, "deep.py": DEEP_MINUS, "plus.py": PLUS_CHAIN})
    code, out, err = invoke([str(tmp_path), "--no-cache", "-j", jobs])
    assert code == 1, err
    assert ("plus.py", "MLF901") in {(line.split(":")[0].rsplit("/", 1)[-1], c)
                                     for line, c in zip(out.splitlines(), codes(out))}


def test_plain_flake8_on_a_sibling_file_still_works(deep_project: Path) -> None:
    """Installing mlf-lint must not break `flake8 --select E,F` on other files of the project."""
    proc = _flake8(deep_project, "--select", "E,F", "sib.py")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.splitlines() == ["sib.py:1:1: F401 'os' imported but unused",
                                        "sib.py:2:2: E225 missing whitespace around operator"]
    proc = _flake8(deep_project, "--select", "MLF,E,F", "sib.py")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert not any("MLF" in line for line in proc.stdout.splitlines())


def test_plugin_checks_the_deep_file_itself(deep_project: Path) -> None:
    # Not through flake8: pyflakes itself recurses on this file. The plugin on its own does not.
    from mlf_lint.flake8_plugin import Plugin

    path = deep_project / "deep.py"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    found = list(Plugin(ast.parse("".join(lines)), str(path), lines).run())
    assert [(row, col, text.split()[0]) for row, col, text, _ in found] == [(5, 8, "MLF010")]


def test_plugin_never_raises(deep_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last resort: whatever goes wrong inside becomes one MLF902 finding, not a flake8 traceback."""
    from mlf_lint import flake8_plugin

    def broken(path: Path) -> None:
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(flake8_plugin, "_scan", broken)
    path = deep_project / "sib.py"
    found = list(flake8_plugin.Plugin(ast.parse(SIBLING), str(path), SIBLING.splitlines(True)).run())
    assert len(found) == 1
    row, col, text, _ = found[0]
    assert (row, col) == (1, 0) and text.startswith("MLF902 mlf-lint could not check this file: internal error "
                                                    "(RecursionError: maximum recursion depth exceeded)")


def test_fix_skips_a_file_too_deep_for_libcst(tmp_path: Path) -> None:
    # 400 signs: Python parses it and LibCST too, but LibCST's visitors then recurse too deep.
    deep = "-" * 400 + "1"
    # Fixes parse only the statement they rewrite: a deep expression elsewhere does not stop them.
    elsewhere = "import os\nfiles = os.listdir('.')[0]\nX = " + deep + "\n"
    write(tmp_path, {"setup.py": "", "a.py": elsewhere})
    proc = run_module([".", "--no-cache", "--fix"], tmp_path)
    _no_crash(proc)
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == elsewhere.replace("os.listdir('.')[0]",
                                                                                "sorted(os.listdir('.'))[0]")
    # The statement to rewrite is itself too deep: left as it is, with a message.
    inside = "import os\nfiles = (os.listdir('.')[0], " + deep + ")\n"
    write(tmp_path, {"a.py": inside})
    for flags in (["--diff"], ["--fix"], ["--format", "sarif"]):
        proc = run_module([".", "--no-cache", *flags], tmp_path)
        _no_crash(proc)
        if "--format" not in flags:
            assert "a.py: not fixed: an expression is nested too deeply for LibCST, the library the fixes use" \
                in proc.stderr
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == inside


# Every shape of deep expression, in every context a rule or a fact reads, through every format.
N = 1500
SHAPES: Dict[str, str] = {
    "neg": "-" * N + "1", "invert": "~" * N + "1", "not": "not " * N + "1", "attr": "x" + ".a" * N,
    "call_chain": "f" + "()" * N, "subscript": "x" + "[0]" * N, "nested_call": "f(" * N + ")" * N,
    "paren": "(" * 190 + "1" + ")" * 190, "tuple": "(" * 190 + "1," + ")," * 189 + ")",
    "list": "[" * 190 + "]" * 190, "dict": "{1:" * 190 + "1" + "}" * 190, "plus": "+".join(["1"] * N),
    "and": " and ".join(["x"] * N), "compare": " < ".join(["x"] * N), "strcat": " ".join(['"a"'] * N),
    "ifexp": "1 if x else " * N + "1", "lambda": "lambda: " * N + "1",
}
CONTEXTS: List[str] = [
    "X = {e}\n", "torch.manual_seed({e})\n", "os.environ['PYTHONHASHSEED'] = {e}\n",
    "torch.use_deterministic_algorithms({e})\n", "torch.backends.cudnn.deterministic = {e}\n",
    "F.interpolate(x, mode={e})\n", "torch.utils.data.DataLoader(d, num_workers={e})\n",
    "np.random.seed({e})\n", "xgb.XGBClassifier(random_state={e})\n", "random.shuffle({e})\n",
    "for i in {e}:\n    pass\n", "sorted(os.listdir({e}))\n", "tf.random.set_seed({e})\n",
    "files = os.listdir({e})[0]\n",  # MLF010, with a fix
]
HEAD = ("import os\nimport random\nimport numpy as np\nimport torch\nimport torch.nn.functional as F\n"
        "import xgboost as xgb\nimport tensorflow as tf\n")


def _compiles(source: str) -> bool:
    try:
        compile(source, "<fuzz>", "exec")
    except (SyntaxError, RecursionError, MemoryError):
        return False
    return True


def test_deep_expressions_in_every_context(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": ""})
    compiling = set()
    for name, expr in SHAPES.items():
        compiles = _compiles(f"X = {expr}\n")  # the context does not change how deep it is
        for index, context in enumerate(CONTEXTS):
            (tmp_path / f"{name}_{index}.py").write_text(HEAD + context.format(e=expr), encoding="utf-8")
            if compiles:
                compiling.add(f"{name}_{index}.py")
    config = Config(select=["ALL"])
    result = run(Options(paths=[tmp_path], config=config, root=tmp_path, base=tmp_path, use_cache=False, jobs=1))
    assert result.files_checked == len(SHAPES) * len(CONTEXTS) + 1
    failed = {f.path for f in result.findings if f.code.startswith("MLF90")}
    assert not failed & compiling, "a file CPython compiles is checked, not refused"
    for fmt in FORMATS:
        assert render(fmt, result)
    from mlf_lint.fix.session import attach_fixes, plan_fixes

    # LibCST takes a second or two to give up on each deep file: the fixes see a few shapes.
    few = replace(result, findings=[f for f in result.findings if f.path.split("_")[0] in ("neg", "paren", "compare")])
    assert any(f.fix is not None for f in attach_fixes(few).findings)
    assert plan_fixes(few, unsafe=True).files


def test_deep_project_files_are_mlf910(tmp_path: Path) -> None:
    deep = "[" * 100000 + "]" * 100000
    write(tmp_path, {".mlf-lint.toml": "", "a.py": SIBLING, "environment.yml": f"name: x\ndependencies: {deep}\n",
                     "MLproject": f"name: x\nentry_points: {deep}\n",
                     ".github/workflows/ci.yml": f"on: push\njobs: {deep}\n",
                     "pyproject.toml": f"[project]\nname = 'x'\ndependencies = {deep}\n"})
    proc = run_module([".", "--select", "MLF910"], tmp_path)
    _no_crash(proc)
    assert [line.split(": ")[0] + " " + line.split(": ")[1][:6] for line in proc.stdout.splitlines()[:-1]] == [
        ".github/workflows/ci.yml:2:1 MLF910", "MLproject:2:1 MLF910", "environment.yml:2:1 MLF910",
        "pyproject.toml:1:1 MLF910"]


# -- item 6: a file name that is not UTF-8 -----------------------------------------------------
BAD_NAME = b"bad\xff.py"


@pytest.fixture()
def badly_named(tmp_path: Path) -> Path:
    folder = os.fsencode(tmp_path)
    try:
        with open(os.path.join(folder, BAD_NAME), "wb") as stream:
            stream.write(b"import os\nfiles = os.listdir('.')[0]\n")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    os.makedirs(os.path.join(folder, b"sub\xfe"))
    with open(os.path.join(folder, b"sub\xfe", b"requirements.txt"), "wb") as stream:
        stream.write(b"torch\n")
    write(tmp_path, {"ok.py": SIBLING, "setup.py": ""})
    subprocess.run(["git", "init", "-q", "."], cwd=tmp_path, check=True)  # discovery asks git what it ignores
    return tmp_path


def test_a_file_name_that_is_not_utf8_is_checked_and_shown_printably(badly_named: Path) -> None:
    root = badly_named
    proc = run_module(["."], root)
    _no_crash(proc)
    assert proc.stdout.splitlines()[:2] == [
        "bad\\xff.py:2:9: MLF010 os.listdir() returns entries in file-system order, which differs between machines "
        "and file systems, and that order reaches the result here. Wrap it in sorted(...).",
        "sub\\xfe/requirements.txt:1:1: MLF501 'torch' in sub\\xfe/requirements.txt is not pinned: each install can "
        "pick a newer release and change results. Pin the exact version you tested (torch==X.Y.Z)."]
    assert run_module(["."], root).stdout == proc.stdout  # from the cache
    shown = {"json": '"bad\\\\xff.py"', "sarif": '"bad%FF.py"', "junit": 'file="bad\\xff.py"',
             "github": "file=bad\\xff.py,"}
    for fmt, name in shown.items():
        out = root / f"report.{fmt}"
        _no_crash(run_module([".", "--format", fmt, "-o", str(out)], root))
        assert name in out.read_text(encoding="utf-8"), fmt
    sarif = json.loads((root / "report.sarif").read_text(encoding="utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"bad%FF.py", "sub%FE/requirements.txt"}  # the file system's bytes, percent-encoded
    proc = run_module(["ok.py"], root)
    assert proc.returncode == 0 and proc.stdout.startswith("All checks passed"), proc.stdout + proc.stderr
    proc = _flake8(root, "--select", "E,F,MLF", "ok.py")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert [line.split()[1] for line in proc.stdout.splitlines()] == ["F401", "E225"]


def test_fix_and_noqa_reach_a_file_whose_name_is_not_utf8(badly_named: Path) -> None:
    path = os.path.join(os.fsencode(badly_named), BAD_NAME)
    proc = run_module([".", "--diff"], badly_named)
    assert "+++ b/bad\\xff.py" in proc.stdout and "sorted(os.listdir('.'))" in proc.stdout, proc.stderr
    _no_crash(run_module([".", "--fix"], badly_named))
    with open(path, "rb") as stream:
        assert stream.read() == b"import os\nfiles = sorted(os.listdir('.'))[0]\n"
    with open(path, "ab") as stream:
        stream.write(b"more = os.listdir('x')[0]\n")
    _no_crash(run_module([".", "--add-noqa"], badly_named))
    with open(path, "rb") as stream:
        assert stream.read().endswith(b"more = os.listdir('x')[0]  # noqa: MLF010\n")


# -- item 7: PEP 263 source encodings ----------------------------------------------------------
LATIN = '# -*- coding: latin-1 -*-\n# caf\xe9\nimport os\nfiles = os.listdir(".")[0]\nname = "\xe9t\xe9"\n'
BIG5 = '# -*- coding: big5 -*-\n# \u4e2d\u6587\nimport os\nfiles = os.listdir(".")[0]\n'
BOM_UTF8 = 'import os\nfiles = os.listdir(".")[0]  # caf\xe9\n'


@pytest.fixture()
def encoded(tmp_path: Path) -> Path:
    write(tmp_path, {"setup.py": ""})
    (tmp_path / "latin.py").write_bytes(LATIN.encode("latin-1"))
    (tmp_path / "big5.py").write_bytes(BIG5.encode("big5"))
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + BOM_UTF8.encode("utf-8"))
    return tmp_path


def test_pep263_files_are_checked_like_python_reads_them(encoded: Path) -> None:
    proc = run_module([".", "--no-cache", "--format", "concise"], encoded)
    cli = sorted(line.split(" ", 2)[0] + line.split(" ", 2)[1] for line in proc.stdout.splitlines())
    assert cli == ["big5.py:4:9:MLF010", "bom.py:2:9:MLF010", "latin.py:4:9:MLF010"], proc.stdout
    flake8 = _flake8(encoded, "--select", "MLF", "big5.py", "bom.py", "latin.py")
    assert sorted(line.split(" ", 2)[0] + line.split(" ", 2)[1] for line in flake8.stdout.splitlines()) == cli


def test_fixes_write_back_in_the_files_own_encoding(encoded: Path) -> None:
    _no_crash(run_module([".", "--fix"], encoded))
    fixed = 'files = sorted(os.listdir("."))[0]'
    assert (encoded / "latin.py").read_bytes() == LATIN.replace('files = os.listdir(".")[0]', fixed).encode("latin-1")
    assert (encoded / "big5.py").read_bytes() == BIG5.replace('files = os.listdir(".")[0]', fixed).encode("big5")
    assert (encoded / "bom.py").read_bytes() == b"\xef\xbb\xbf" + BOM_UTF8.replace(
        'files = os.listdir(".")[0]', fixed).encode("utf-8")


UNDECODABLE = [
    (b"import os\nx = '\xe9'\n",
     "not valid UTF-8 (byte 15) and no coding declaration (PEP 263) names another encoding; save it as UTF-8, "
     "declare its encoding, or exclude it"),
    (b"# -*- coding: klingon -*-\nimport os\n",
     "unknown encoding: klingon; fix its coding declaration (PEP 263) or exclude the file"),
    (b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nimport os\n",
     "it starts with a UTF-8 BOM but its coding declaration names another encoding; remove one of them (PEP 263)"),
    (b"# coding: ascii\nx = '\xe9'\n",
     "not valid ascii (byte 21), the encoding its coding declaration names; fix the declaration or the file, or "
     "exclude it"),
]


@pytest.mark.parametrize("data, message", UNDECODABLE)
def test_sources_python_cannot_decode_are_mlf902(tmp_path: Path, data: bytes, message: str) -> None:
    (tmp_path / "setup.py").write_text("", encoding="utf-8")
    (tmp_path / "a.py").write_bytes(data)
    with pytest.raises(SyntaxError):
        compile(data, "a.py", "exec")  # Python refuses them too
    code, out, _ = invoke([str(tmp_path / "a.py"), "--no-cache"])
    assert code == 1 and out.splitlines()[0].endswith(f"a.py:1:1: MLF902 cannot analyse this file: {message}")
    # flake8 decodes such a file as Latin-1 rather than refuse it; the plugin says what the CLI says.
    proc = _flake8(tmp_path, "--select", "MLF", "a.py")
    assert proc.stdout == f"a.py:1:1: MLF902 cannot analyse this file: {message}\n", proc.stdout + proc.stderr


# -- item 8: a damaged cache, a broken configuration -------------------------------------------
def _damage(body: dict, shape: str) -> None:
    """One way a cache body can be wrong while its stamp is right."""
    entry = next(entry for entry in body["files"].values() if entry["findings"])
    if shape == "findings-not-dicts":
        entry["findings"] = [5, "x"]
    elif shape == "finding-missing-keys":
        entry["findings"] = [{"path": "a.py"}]
    elif shape == "finding-wrong-types":
        entry["findings"] = [dict(entry["findings"][0], line="seven", message=None)]


CACHE_DAMAGE = ["findings-not-dicts", "finding-missing-keys", "finding-wrong-types"]
# What the fact store beside the cache file holds: each file's summary and each root's models.
STORE_DAMAGE = {
    "summaries-wrong-shape": ("UPDATE summaries SET data = ?", '{"direct": 5, "functions": [], "env": null}'),
    "summary-unknown-fact": ("UPDATE summaries SET data = ?",
                             '{"direct": [["no_such_fact", 1]], "functions": {}, "env": []}'),
    "summary-not-json": ("UPDATE summaries SET data = ?", "{"),
    "facts-wrong-types": ("UPDATE facts SET data = ?", '{"model": 5, "inputs": 5, "lines": 5}'),
    "facts-model-wrong-types": ("UPDATE facts SET data = ?",
                                '{"model": {"programs": 5, "library": 5}, "inputs": {}, "lines": {}}'),
    "index-wrong-digest": ("UPDATE files SET digest = ?", "0" * 32),
}


@pytest.fixture()
def cached_project(tmp_path: Path) -> Path:
    write(tmp_path, {"setup.py": "", "seed.py": "import torch\n\ndef seed_all(s):\n    torch.manual_seed(s)\n",
                     "train.py": "import os\nimport torch\nfrom seed import seed_all\nseed_all(0)\n"
                                 "files = os.listdir('.')[0]\ntorch.backends.cudnn.benchmark = True\n"})
    return tmp_path


@pytest.mark.parametrize("shape", CACHE_DAMAGE)
def test_a_damaged_cache_with_the_right_stamp_is_rebuilt(cached_project: Path, shape: str) -> None:
    from mlf_lint.engine.cache import CACHE_DIR, CACHE_FILE

    root = cached_project
    cold = run_module(["."], root)
    assert cold.returncode == 1, cold.stderr
    cache = root / CACHE_DIR / CACHE_FILE
    header, body = cache.read_bytes().split(b"\n")
    data = json.loads(body)
    _damage(data, shape)
    cache.write_bytes(header + b"\n" + json.dumps(data).encode())  # the stamp is still right
    for _ in range(2):  # rebuilt, then read back
        again = run_module(["."], root)
        assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, ""), shape
    header, body = cache.read_bytes().split(b"\n")
    assert json.loads(header)["digest"] == content_hash(body)  # rebuilt whole


@pytest.mark.parametrize("shape", sorted(STORE_DAMAGE))
def test_a_damaged_fact_store_with_the_right_stamp_gives_the_same_findings(cached_project: Path, shape: str) -> None:
    import sqlite3

    from mlf_lint.engine.cache import CACHE_DIR, CACHE_FILE
    from mlf_lint.engine.factstore import STORE_FILE

    root = cached_project
    cold = run_module(["."], root)
    assert cold.returncode == 1, cold.stderr
    (root / CACHE_DIR / CACHE_FILE).unlink()  # the findings are computed again, from the stored facts
    query, value = STORE_DAMAGE[shape]
    with sqlite3.connect(str(root / CACHE_DIR / STORE_FILE)) as db:
        assert db.execute(query, (value,)).rowcount > 0, shape
    for _ in range(2):  # recomputed, then read back
        again = run_module(["."], root)
        assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, ""), shape


@pytest.mark.parametrize("content", [
    b"", b"\x00\xff", b'{"stamp": "', b"[" * 100000 + b"]" * 100000,
    b'{"stamp": "0.1.0:x", "digest": "0"}\n{"files": {}}', b"\n\n\n",
])
def test_a_cache_file_of_any_shape_is_rebuilt(cached_project: Path, content: bytes) -> None:
    from mlf_lint.engine.cache import CACHE_DIR, CACHE_FILE

    cold = run_module(["."], cached_project)
    (cached_project / CACHE_DIR / CACHE_FILE).write_bytes(content)
    again = run_module(["."], cached_project)
    assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, "")


def _unreadable(path: Path) -> None:
    """A config file reading fails on, even for root (which ignores permission bits)."""
    if os.geteuid() != 0:
        path.write_text("[tool.mlf-lint]\n", encoding="utf-8")
        path.chmod(0)
    elif Path("/proc/self/mem").exists():
        path.symlink_to("/proc/self/mem")  # a regular file whose first page is not mapped: EIO
    else:
        pytest.skip("no way to make a file unreadable for root here")


BROKEN_CONFIGS = {
    "invalid-toml": ("pyproject.toml", "[tool.mlf-lint\nselect = ['MLF1']\n",
                     "pyproject.toml:1: not valid TOML: Expected ']' at the end of a table declaration (column 15)"),
    "tool-not-a-table": ("pyproject.toml", "tool = 5\n",
                         "pyproject.toml: tool: expected a table ([tool.mlf-lint]), got int"),
    "section-not-a-table": ("pyproject.toml", "[tool]\nmlf-lint = 5\n",
                            "pyproject.toml: [tool.mlf-lint] must be a table, got int"),
    "own-file-tool-5": (".mlf-lint.toml", "tool = 5\n",
                        ".mlf-lint.toml: tool: expected a table ([tool.mlf-lint]), got int"),
    "unknown-key": ("pyproject.toml", "[tool.mlf-lint]\nbogus = 1\n", "pyproject.toml [tool.mlf-lint]: unknown key "
                    "'bogus' (known: select, ignore, extend-select, extend-ignore, exclude, extend-exclude, "
                    "target-version, per-file-ignores, respect-gitignore, cache-dir, jobs)"),
    "ini-not-utf8": ("setup.cfg", "[mlf-lint]\nselect = MLF1 \udcff\n", "setup.cfg: not UTF-8 (byte 25); save it as "
                     "UTF-8"),
    "unreadable": ("pyproject.toml", None, "pyproject.toml: cannot be read ("),
    "nested-too-deeply": ("pyproject.toml", "[project]\ndependencies = " + "[" * 100000 + "]" * 100000 + "\n",
                          "pyproject.toml: cannot be read: nested too deeply for Python's TOML reader"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_CONFIGS))
def test_a_broken_config_stops_the_cli_and_is_one_finding_per_file_in_flake8(tmp_path: Path, case: str) -> None:
    name, text, message = BROKEN_CONFIGS[case]
    write(tmp_path, {"a.py": "import os\nfiles = os.listdir('.')[0]\n", "b.py": SIBLING})
    if text is None:
        _unreadable(tmp_path / name)
    else:
        (tmp_path / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    cli = run_module(["."], tmp_path)
    assert cli.returncode == 2 and cli.stdout == "", cli.stdout + cli.stderr
    assert cli.stderr.startswith(f"mlf-lint: error: {message}") and cli.stderr.count("\n") == 1, cli.stderr
    flake8 = _flake8(tmp_path, "--select", "MLF,E,F", "a.py", "b.py")
    assert flake8.returncode == 1 and "Traceback" not in flake8.stderr, flake8.stderr
    expected = (f"MLF906 mlf-lint's configuration cannot be read, so no MLF rule was checked in the project at .: "
                f"{message}")
    mlf = [line for line in flake8.stdout.splitlines() if " MLF" in line]
    assert [line.split(":", 3)[:3] for line in mlf] == [["a.py", "1", "1"], ["b.py", "1", "1"]], flake8.stdout
    assert all(line.split(": ", 1)[1].startswith(expected) for line in mlf), mlf
    assert any(" F401 " in line for line in flake8.stdout.splitlines())  # flake8's own checks still run
    plain = _flake8(tmp_path, "--select", "E,F", "a.py", "b.py")
    assert plain.returncode == 1 and " MLF" not in plain.stdout and "Traceback" not in plain.stderr


# -- item 11: -j ---------------------------------------------------------------------------------
def test_jobs_are_capped_at_the_cpu_count_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from mlf_lint.lint import runner

    started: List[int] = []

    class Recording(ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kwargs: object) -> None:
            started.append(max_workers)
            super().__init__(max_workers, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(runner, "ProcessPoolExecutor", Recording)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    files = {f"m{i}.py": "import os\nfiles = os.listdir('.')[0]\n" for i in range(runner.PARALLEL_THRESHOLD + 2)}
    write(tmp_path, {"setup.py": "", **files})
    code, out, err = invoke([str(tmp_path), "--no-cache", "-j", "300"])
    assert code == 1 and out.count("MLF010") == len(files)
    assert started == [2]
    assert err == "mlf-lint: note: 300 parallel processes requested, but this machine has 2 CPUs: using 2\n"
    code, _, err = invoke([str(tmp_path), "--no-cache", "-j", "2"])
    assert code == 1 and err == "" and started == [2, 2]


@pytest.mark.parametrize("args, config, message", [
    (["-j", "0"], None, "Invalid value for '-j' / '--jobs': 0 is not in the range x>=1."),
    (["-j", "-4"], None, "Invalid value for '-j' / '--jobs': -4 is not in the range x>=1."),
    ([], "jobs = 0", "pyproject.toml [tool.mlf-lint]: jobs: expected a whole number of processes, at least 1, got 0"),
    ([], "jobs = -1", "pyproject.toml [tool.mlf-lint]: jobs: expected a whole number of processes, at least 1, "
                      "got -1"),
])
def test_jobs_below_one_are_refused(tmp_path: Path, args: List[str], config: str, message: str) -> None:
    write(tmp_path, {"a.py": "import os\n"})
    if config:
        (tmp_path / "pyproject.toml").write_text(f"[tool.mlf-lint]\n{config}\n", encoding="utf-8")
    proc = run_module([".", *args], tmp_path)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


# -- newcomer friction ---------------------------------------------------------------------------
@pytest.mark.parametrize("word, hint", [
    ("rulez", "did you mean `mlf-lint rule` or `mlf-lint rules`?"),
    ("crate", "did you mean `mlf-lint create`?"),
    ("cleen", "did you mean `mlf-lint clean`?"),
])
def test_a_mistyped_command_gets_the_nearest_one(tmp_path: Path, word: str, hint: str) -> None:
    proc = run_module([word], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"mlf-lint: error: {word}: no such file or directory, nor a command; {hint}\n"


def test_a_missing_path_that_is_no_command_name_gets_no_hint(tmp_path: Path) -> None:
    for name in ("data_loader", "src/rulez", "rules.py"):
        proc = run_module([name], tmp_path)
        assert proc.returncode == 2 and proc.stderr == f"mlf-lint: error: {name}: no such file or directory\n"


def test_a_named_file_mlf_lint_does_not_check_is_said_so(tmp_path: Path) -> None:
    write(tmp_path, {"notes.txt": "hello\n", "a.py": "import os\n"})
    proc = run_module(["notes.txt"], tmp_path)
    assert proc.returncode == 0 and proc.stdout == "All checks passed (0 files checked).\n"
    assert proc.stderr == ("mlf-lint: note: notes.txt is not a file mlf-lint checks; it checks Python files (.py, "
                           ".pyi), notebooks (.ipynb) and project files (requirements*.txt, environment.yml, "
                           "pyproject.toml, setup.cfg, Dockerfile, MLproject, python_env.yaml, CI workflows, lock "
                           "files)\n")
    # pre-commit hands over every text file it matched: the others are still checked, the status is theirs.
    proc = run_module(["notes.txt", "a.py"], tmp_path)
    assert proc.returncode == 0 and proc.stdout == "All checks passed (1 file checked).\n"
    assert proc.stderr.startswith("mlf-lint: note: notes.txt is not a file mlf-lint checks")


def test_the_summary_counts_in_the_singular_and_offers_fix(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": "", "a.py": "import os\nfiles = os.listdir('.')[0]\n"})
    code, out, _ = invoke([str(tmp_path / "a.py"), "--no-cache"])
    assert code == 1 and out.splitlines()[-2:] == ["Found 1 finding (1 warning) in 1 file checked.",
                                                   "[*] 1 fixable with `--fix`."]
    write(tmp_path, {"b.py": "import numpy as np\nfrom sklearn.model_selection import train_test_split\n"
                             "a, b = train_test_split(np.arange(10))\nfiles = __import__('os').listdir('.')\n"})
    code, out, _ = invoke([str(tmp_path / "b.py"), "--no-cache"])
    assert out.splitlines()[-1] == "[*] 1 fixable with `--fix --unsafe-fixes` (the fixes change results: review them)."
    code, out, _ = invoke([str(tmp_path), "--no-cache"])
    assert out.splitlines()[-1] == "[*] 1 fixable with `--fix` (1 more with `--fix --unsafe-fixes`)."
    # The counts are the fixes `--fix` really makes.
    proc = run_module([".", "--diff"], tmp_path)
    assert proc.stderr.endswith("would fix 1 finding in 1 file (1 more may have an unsafe fix: --unsafe-fixes)\n")
    proc = run_module([".", "--diff", "--unsafe-fixes"], tmp_path)
    assert proc.stderr.endswith("would fix 2 findings in 2 files\n"), proc.stderr
    code, out, _ = invoke([str(tmp_path / "setup.py"), "--no-cache"])
    assert out == "All checks passed (1 file checked).\n"


def test_clean_says_exactly_what_it_removed(tmp_path: Path) -> None:
    from mlf_lint.engine.cache import CACHE_DIR, CACHE_FILE
    from mlf_lint.engine.factstore import STORE_FILE

    write(tmp_path, {"setup.py": "", "a.py": "import os\nfiles = os.listdir('.')[0]\n"})
    assert run_module(["."], tmp_path).returncode == 1
    folder = (tmp_path / CACHE_DIR).resolve()
    (folder / ".cache-x1.tmp").write_text("left by a killed run", encoding="utf-8")
    proc = run_module(["clean"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout == f"removed {folder} (.cache-x1.tmp, .gitignore, {CACHE_FILE}, {STORE_FILE})\n"
    assert not folder.exists()
    assert run_module(["clean"], tmp_path).stdout == f"no cache at {folder}\n"
    # A --cache-dir the user keeps other files in: the cache's files go, the folder and the rest stay.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("keep me", encoding="utf-8")
    assert run_module([".", "--cache-dir", str(mine)], tmp_path).returncode == 1
    proc = run_module(["clean", "--cache-dir", str(mine)], tmp_path)
    assert proc.stdout == (f"removed .gitignore, {CACHE_FILE}, {STORE_FILE} from {mine} "
                           "(the folder holds other files: kept)\n")
    assert sorted(p.name for p in mine.iterdir()) == ["notes.md"]

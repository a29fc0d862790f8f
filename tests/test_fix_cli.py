"""The fix flags of ``mlf-lint check``, through click's CliRunner and a real subprocess."""
from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path


from click_compat import cli_runner

from mlf_lint.cli.check import check

SOURCE = ("import torch\n"
          "import numpy as np\n"
          "torch.backends.cudnn.benchmark = True\n"
          "rng = np.random.default_rng()\n"
          "x = rng.random()\n")


def invoke(tmp_path: Path, *args: str):
    runner = cli_runner()
    return runner.invoke(check, [*args, "--no-cache", str(tmp_path / "train.py")], catch_exceptions=False)


def write(tmp_path: Path, text: str = SOURCE) -> Path:
    path = tmp_path / "train.py"
    path.write_text(text, encoding="utf-8")
    return path


def test_fix_applies_safe_fixes_and_reports_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = invoke(tmp_path, "--fix", "--show-fixes")
    assert path.read_text() == SOURCE.replace("benchmark = True", "benchmark = False")
    assert "MLF003" in result.stdout and "MLF120" not in result.stdout
    assert result.exit_code == 1  # MLF003 remains (its fix is unsafe)
    assert "fixed train.py:3:1 MLF120" in result.stderr


def test_unsafe_fixes_and_second_run_is_a_no_op(tmp_path: Path) -> None:
    path = write(tmp_path)
    first = invoke(tmp_path, "--fix", "--unsafe-fixes")
    after = path.read_text()
    assert "default_rng(0)" in after and "benchmark = False" in after
    assert first.exit_code == 0
    second = invoke(tmp_path, "--fix", "--unsafe-fixes")
    assert path.read_text() == after and "fixed 0 findings" in second.stderr


def test_diff_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = invoke(tmp_path, "--diff")
    assert path.read_text() == SOURCE
    assert result.exit_code == 1
    assert "-torch.backends.cudnn.benchmark = True" in result.stdout
    assert "+torch.backends.cudnn.benchmark = False" in result.stdout
    assert "default_rng(0)" not in result.stdout
    write(tmp_path, "import torch\ntorch.backends.cudnn.benchmark = False\n")
    assert invoke(tmp_path, "--diff").exit_code == 0


def test_fix_only_reports_nothing(tmp_path: Path) -> None:
    write(tmp_path)
    result = invoke(tmp_path, "--fix-only")
    assert result.exit_code == 0 and result.stdout == ""


def test_json_output_carries_the_fix(tmp_path: Path) -> None:
    write(tmp_path)
    rows = json.loads(invoke(tmp_path, "--format", "json").stdout)
    by_code = {row["code"]: row for row in rows}
    assert by_code["MLF120"]["fix"]["applicability"] == "safe"
    assert by_code["MLF120"]["fix"]["edits"][0]["content"] == "torch.backends.cudnn.benchmark = False\n"
    assert by_code["MLF003"]["fix"]["applicability"] == "unsafe"


def test_encoding_bom_and_crlf_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    original = codecs.BOM_UTF8 + SOURCE.replace("\n", "\r\n").replace("import numpy", "# é\r\nimport numpy").encode()
    path.write_bytes(original)
    invoke(tmp_path, "--fix")
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data == original.replace(b"benchmark = True", b"benchmark = False")


def test_add_noqa(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE.replace("x = rng.random()", "x = 1  # noqa: MLF130"))
    result = invoke(tmp_path, "--add-noqa")
    assert result.exit_code == 0
    text = path.read_text()
    assert "torch.backends.cudnn.benchmark = True  # noqa: MLF120\n" in text
    assert "rng = np.random.default_rng()  # noqa: MLF003\n" in text
    assert invoke(tmp_path).exit_code == 0  # every finding is suppressed now


def test_subprocess_fix(tmp_path: Path) -> None:
    path = write(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "mlf_lint", "check", "--fix", "--no-cache", str(path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "benchmark = False" in path.read_text()

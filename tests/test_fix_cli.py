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


# --- links, hard links, modes and read-only files (issue 19, item 4) ---------------------------

FIXED = SOURCE.replace("benchmark = True", "benchmark = False")


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "setup.py").write_text("", encoding="utf-8")
    return project


def fix(path: Path):  # type: ignore[no-untyped-def]
    return cli_runner().invoke(check, ["--fix", "--no-cache", str(path)], catch_exceptions=False)


def _linked_source(folder: Path, link: Path) -> Path:
    """``train.py`` written in ``folder``, and ``link`` pointing at it."""
    folder.mkdir()
    real = write(folder)
    link.symlink_to(real)
    return real


def test_fix_writes_a_links_target_and_keeps_the_link(tmp_path: Path) -> None:
    project = _project(tmp_path)
    link = project / "train_link.py"
    real = _linked_source(project / "impl", link)
    (project / ".mlf-lint.toml").write_text('exclude = ["impl"]\n', encoding="utf-8")  # reached by the link only
    result = fix(project)
    assert "fixed 1 finding" in result.stderr
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text(encoding="utf-8") == FIXED


def test_fix_never_follows_a_link_out_of_the_project(tmp_path: Path) -> None:
    project = _project(tmp_path)
    link = project / "train.py"
    real = _linked_source(tmp_path / "outside", link)
    result = fix(project)
    assert real.read_text(encoding="utf-8") == SOURCE and link.is_symlink()
    assert "outside" in result.stderr and "not fixed" in result.stderr and "fixed 0 findings" in result.stderr


def test_fix_keeps_hard_links_and_the_mode(tmp_path: Path) -> None:
    project = _project(tmp_path)
    path = write(project)
    path.chmod(0o750)
    twin = project / "same_file_other_name.py.txt"
    twin.hardlink_to(path) if hasattr(twin, "hardlink_to") else path.link_to(twin)
    fix(path)
    assert path.read_text(encoding="utf-8") == FIXED
    assert twin.read_text(encoding="utf-8") == FIXED
    assert path.stat().st_ino == twin.stat().st_ino and path.stat().st_nlink == 2
    assert path.stat().st_mode & 0o7777 == 0o750


def test_fix_skips_read_only_files_with_a_message(tmp_path: Path) -> None:
    project = _project(tmp_path)
    path = write(project)
    path.chmod(0o444)
    result = fix(path)
    assert path.read_text(encoding="utf-8") == SOURCE
    assert path.stat().st_mode & 0o7777 == 0o444
    assert "train.py: read-only, not fixed" in result.stderr
    assert "fixed 0 findings" in result.stderr and result.exit_code == 1


def test_a_failed_in_place_write_puts_the_file_back(tmp_path: Path, monkeypatch) -> None:  # type: ignore
    from mlf_lint.fix import textio

    project = _project(tmp_path)
    path = write(project)
    twin = project / "twin.txt"
    twin.hardlink_to(path) if hasattr(twin, "hardlink_to") else path.link_to(twin)
    real_fsync = textio.os.fsync
    calls = []

    def full_disk(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(textio.os, "fsync", full_disk)
    result = fix(path)
    assert "cannot write (No space left on device)" in result.stderr
    assert path.read_text(encoding="utf-8") == SOURCE == (project / "twin.txt").read_text(encoding="utf-8")

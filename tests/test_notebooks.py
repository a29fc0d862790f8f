"""Notebooks: code cells checked as one module, findings mapped back to (cell, line)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import List

from click_compat import cli_runner

from mlf_lint.cli import cli
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.lint.notebook import check_notebook, python_lines
from mlf_lint.engine.registry import all_rules

EXAMPLE = Path(__file__).parent / "fixtures" / "notebooks" / "example.ipynb"
ALL = set(all_rules())


def _notebook(tmp_path: Path, *sources: str, name: str = "nb.ipynb") -> Path:
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": src.splitlines(keepends=True)} for src in sources]
    path = tmp_path / name
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _json_findings(args: List[str]) -> list:
    result = cli_runner().invoke(cli, ["check", *args, "--no-cache", "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_cli_reports_two_cells_and_leaves_the_clean_cell_alone() -> None:
    result = cli_runner().invoke(cli, ["check", str(EXAMPLE), "--no-cache"])
    assert result.exit_code == 1, result.output
    found = {(f["cell"], f["location"]["row"], f["code"]) for f in _json_findings([str(EXAMPLE)])}
    # cell 2: random.seed() (its import is in cell 1); cell 5: train_test_split without random_state.
    # Cell 3 is a %%bash cell whose text mentions random.seed(); cell 4 is clean.
    assert found == {(2, 1, "MLF001"), (5, 2, "MLF020")}


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "mlf_lint", "check", str(EXAMPLE), "--no-cache"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "cell 2:1:1: MLF001" in proc.stdout
    assert "cell 5:2:19: MLF020" in proc.stdout


def test_invalid_json_is_one_finding_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": [ <<<<<<< HEAD')
    (tmp_path / "train.py").write_text("import random\nrandom.seed()\n")
    found = {(Path(f["filename"]).name, f["code"]) for f in _json_findings([str(tmp_path)])}
    assert found == {("broken.ipynb", "MLF903"), ("train.py", "MLF001")}


def test_json_that_is_not_a_notebook() -> None:
    findings, _ = check_notebook("x.ipynb", "[1, 2]", ProjectFacts(), ALL)
    assert [f.code for f in findings] == ["MLF903"]
    assert "no list of cells" in findings[0].message


def test_a_broken_cell_does_not_hide_the_others(tmp_path: Path) -> None:
    text = _notebook(tmp_path, "import numpy as np\n", "def f(:\n    pass\n",
                     "rng = np.random.default_rng()\n").read_text()
    findings, _ = check_notebook("nb.ipynb", text, ProjectFacts(), ALL)
    assert [(f.cell, f.line, f.code) for f in findings] == [(2, 1, "MLF901"), (3, 1, "MLF003")]


def test_magics_shell_escapes_and_help_keep_lines_in_place() -> None:
    source = "%time x = 1\n!ls\nfiles = !ls data\nnp.random?\nfor i in r:\n    !echo $i\ny = 2"
    assert python_lines(source) == ["pass", "pass", "files = None", "pass", "for i in r:", "    pass", "y = 2"]
    assert python_lines("%%writefile a.py\nimport random\nrandom.seed()") == ["", "", ""]


def test_noqa_in_a_cell_and_columns_within_the_cell(tmp_path: Path) -> None:
    text = _notebook(tmp_path, "import random\n", "x = 1\nrandom.seed()  # noqa: MLF001\n",
                     "if True:\n    random.seed(None)\n").read_text()
    findings, _ = check_notebook("nb.ipynb", text, ProjectFacts(), ALL)
    assert [(f.cell, f.line, f.col, f.end_line) for f in findings] == [(3, 2, 4, 2)]


def test_disabled_codes_are_not_reported() -> None:
    findings, _ = check_notebook("x.ipynb", "{bad", ProjectFacts(), {"MLF001"})
    assert findings == []


def test_nbformat3_worksheets() -> None:
    nb = {"nbformat": 3, "worksheets": [{"cells": [
        {"cell_type": "code", "input": ["import random\n", "random.seed()"]}]}]}
    findings, _ = check_notebook("old.ipynb", json.dumps(nb), ProjectFacts(), ALL)
    assert [(f.cell, f.line, f.code) for f in findings] == [(1, 2, "MLF001")]


def test_a_notebook_that_seeds_itself_counts_as_seeded(tmp_path: Path) -> None:
    seeded = _notebook(tmp_path, "import tensorflow as tf\ntf.keras.utils.set_random_seed(0)\n"
                       "tf.config.experimental.enable_op_determinism()\n", "model.fit(x, y, epochs=2)\n",
                       name="seeded.ipynb").read_text()
    unseeded = _notebook(tmp_path, "import tensorflow as tf\n", "model.fit(x, y, epochs=2)\n",
                         name="unseeded.ipynb").read_text()
    assert check_notebook("seeded.ipynb", seeded, ProjectFacts(), ALL)[0] == []
    codes = [(f.cell, f.code) for f in check_notebook("unseeded.ipynb", unseeded, ProjectFacts(), ALL)[0]]
    assert codes == [(2, "MLF201"), (2, "MLF202")]


def test_percent_continuing_an_expression_is_python(tmp_path: Path) -> None:
    text = _notebook(tmp_path, "import random\nx = (10\n% 3)\nrandom.seed()\n").read_text()
    findings, _ = check_notebook("nb.ipynb", text, ProjectFacts(), ALL)
    assert [(f.cell, f.line, f.code) for f in findings] == [(1, 4, "MLF001")]


NB3_CELL = "import torch\ntorch.backends.cudnn.benchmark = True\n"


def _nbformat3(path: Path) -> Path:
    """An nbformat-3 notebook: cells inside worksheets, code under ``input``."""
    nb = {"metadata": {}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# title\n"]},
        {"cell_type": "code", "collapsed": False, "input": NB3_CELL.splitlines(keepends=True),
         "language": "python", "metadata": {}, "outputs": []}]}]}
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    return path


def test_sarif_places_an_nbformat3_finding_at_its_line_and_hashes_that_line(tmp_path: Path) -> None:
    import hashlib

    path = _nbformat3(tmp_path / "old.ipynb")
    result = cli_runner().invoke(cli, ["check", str(path), "--no-cache", "--format", "sarif"])
    assert result.exit_code == 1, result.output
    [res] = json.loads(result.stdout)["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    json_line = path.read_text(encoding="utf-8").splitlines()[region["startLine"] - 1]
    assert region["startLine"] > 1
    assert "torch.backends.cudnn.benchmark = True" in json_line[region["startColumn"] - 1:region["endColumn"] - 1]
    # Fingerprinted by the cell's line (stable when the message wording changes), not by the message.
    line = "torch.backends.cudnn.benchmark = True"
    digest = hashlib.sha256(f"MLF120\0{line}".encode()).hexdigest()[:16]
    assert res["partialFingerprints"]["primaryLocationLineHash"] == f"{digest}:1"


def _fixable_notebook(text_of) -> str:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": ["import torch\n", "torch.backends.cudnn.benchmark = True\n"]}],
          "metadata": {"language": "python", "note": "caf\u00e9"}, "nbformat": 4, "nbformat_minor": 5}
    return text_of(nb)


def _fix(path: Path) -> str:
    result = cli_runner().invoke(cli, ["check", str(path), "--no-cache", "--fix"])
    assert result.exit_code == 0, result.output
    return path.read_bytes().decode("utf-8")


def test_fix_keeps_a_crlf_notebook_crlf(tmp_path: Path) -> None:
    original = _fixable_notebook(lambda nb: json.dumps(nb, indent=1, ensure_ascii=False) + "\n").replace("\n", "\r\n")
    path = tmp_path / "crlf.ipynb"
    path.write_bytes(original.encode("utf-8"))
    fixed = _fix(path)
    assert fixed != original and "benchmark = False" in fixed
    assert fixed.count("\r\n") == original.count("\r\n") and "\n" not in fixed.replace("\r\n", "")


def test_fix_keeps_a_compact_notebook_compact_and_its_escapes(tmp_path: Path) -> None:
    original = _fixable_notebook(lambda nb: json.dumps(nb, separators=(",", ":")))
    path = tmp_path / "compact.ipynb"
    path.write_text(original, encoding="utf-8")
    fixed = _fix(path)
    assert "\n" not in fixed and '"cells":[{' in fixed and "\\u00e9" in fixed
    assert fixed == original.replace("benchmark = True", "benchmark = False")


def test_fix_keeps_a_two_space_notebook_as_it_was(tmp_path: Path) -> None:
    original = _fixable_notebook(lambda nb: json.dumps(nb, indent=2, ensure_ascii=False) + "\n")
    path = tmp_path / "two.ipynb"
    path.write_text(original, encoding="utf-8")
    assert _fix(path) == original.replace("benchmark = True", "benchmark = False")


def test_fix_reaches_nbformat3_cells(tmp_path: Path) -> None:
    path = _nbformat3(tmp_path / "old.ipynb")
    original = path.read_text(encoding="utf-8")
    assert _fix(path) == original.replace("benchmark = True", "benchmark = False")

"""IPython lines continued with a backslash (`!wget \\` then `    -O file url`) are one shell command:
every line of it is blanked, so the cell parses and its rules run (the realcorpus audit found 24
valid cells reported as MLF901 and left unchecked)."""
from __future__ import annotations

from mlf_lint.lint.notebook import python_lines


def test_continued_shell_escape_is_blanked_whole() -> None:
    cell = "!wget --no-check-certificate \\\n    -O /tmp/x.csv https://example.org/x.csv\nimport numpy as np"
    assert python_lines(cell) == ["pass", "", "import numpy as np"]


def test_continued_magic_and_assignment() -> None:
    cell = "files = !ls \\\n  data\n%pip install \\\n  torch==2.1 \\\n  numpy\nx = (1 +\n     2)"
    assert python_lines(cell) == ["files = None", "", "pass", "", "", "x = (1 +", "     2)"]


def test_python_backslash_continuation_is_python() -> None:
    cell = "total = 1 + \\\n    2\n!echo done"
    assert python_lines(cell) == ["total = 1 + \\", "    2", "pass"]


def test_fixes_leave_a_continued_magic_whole() -> None:
    from mlf_lint.fix.notebook import _mask, _unmask

    cell = "!wget \\\n    -O x.csv url\nimport glob\nfiles = glob.glob('*.csv')\n"
    masked, magics = _mask(cell)
    assert masked.splitlines()[:2] == ["#mlf-lint-magic:0", "#mlf-lint-magic:1"]
    assert _unmask(masked, magics) == cell

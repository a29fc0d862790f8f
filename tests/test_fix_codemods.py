"""Codemod fixtures (TorchFix style): ``tests/fixtures/fix/NAME.in.py`` is analysed by the real
rules, fixed, and must equal ``NAME.out.py``; fixing the output again must change nothing.
Fixtures whose name contains ``unsafe`` are fixed with unsafe fixes too."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from mlf_lint.lint.check import check_source
from mlf_lint.engine.finding import Finding
from mlf_lint.lint.summaries import combine, summarize
from mlf_lint.fix.apply import fix_source
from mlf_lint.fix.notebook import NotebookFixer

FIXTURES = Path(__file__).parent / "fixtures" / "fix"
CASES = sorted(FIXTURES.glob("*.in.py"))


def findings_of(name: str, source: str) -> List[Finding]:
    facts = combine({name: summarize(source)}, {name: source})
    # enabled=None: every rule, including those whose rules.yaml entry is still being written
    found, _ = check_source(name, source, facts, None)
    return found


def fixed(name: str, source: str, unsafe: bool) -> str:
    outcome = fix_source(source, findings_of(name, source), unsafe=unsafe, path=name)
    assert not outcome.messages, outcome.messages
    return outcome.source


@pytest.mark.parametrize("case", CASES, ids=[c.name.split(".")[0] for c in CASES])
def test_fixture(case: Path) -> None:
    unsafe = "unsafe" in case.name
    source = case.read_text(encoding="utf-8")
    expected = case.with_name(case.name.replace(".in.", ".out.")).read_text(encoding="utf-8")
    result = fixed(case.name, source, unsafe)
    assert result == expected
    assert fixed(case.name, result, unsafe) == result  # a second run is a no-op


def test_every_fixer_has_a_fixture() -> None:
    from mlf_lint.fix.registry import all_fixers

    covered = set()
    for case in CASES:
        source = case.read_text(encoding="utf-8")
        covered |= {f.code for f in findings_of(case.name, source)}
    assert set(all_fixers()) <= covered


def test_crlf_and_comments_are_kept() -> None:
    source = "import torch\r\n# why\r\ntorch.backends.cudnn.benchmark = True  # note\r\n"
    result = fixed("crlf.py", source, unsafe=False)
    assert result == "import torch\r\n# why\r\ntorch.backends.cudnn.benchmark = False  # note\r\n"


def test_conflicting_fixes_on_one_node_keep_the_first() -> None:
    from mlf_lint.fix.apply import SourceFixer

    source = "import numpy as np\nrng = np.random.default_rng()\n"
    finding = findings_of("c.py", source)[0]
    fixer = SourceFixer(source, "c.py")
    first = fixer.candidates([finding])[0]
    # the same node asked twice for different seeds: the second one does not commute
    from dataclasses import replace

    from mlf_lint.fix.edits import set_argument

    node = next(iter(first.plan))
    other = replace(first, plan={node: set_argument("seed", 0, "1")})
    outcome = fixer.apply([first, other])
    assert outcome.source == "import numpy as np\nrng = np.random.default_rng(0)\n"
    assert len(outcome.messages) == 1 and "conflicts with the MLF003 fix" in outcome.messages[0]


def test_fix_that_would_not_parse_is_dropped() -> None:
    from mlf_lint.fix.apply import SourceFixer

    source = "import numpy as np\nrng = np.random.default_rng()\n"
    finding = findings_of("c.py", source)[0]
    fixer = SourceFixer(source, "c.py")
    candidate = fixer.candidates([finding])[0]
    node = next(iter(candidate.plan))
    import libcst as cst

    duplicate_keyword = [cst.Arg(cst.Name("x"), keyword=cst.Name("a")), cst.Arg(cst.Name("y"), keyword=cst.Name("a"))]
    broken = {node: lambda n: n.with_changes(args=duplicate_keyword)}
    outcome = fixer.apply([type(candidate)(finding, candidate.fixer, broken, candidate.fix)])
    assert outcome.source == source and not outcome.applied
    assert "would not parse" in outcome.messages[0]


def test_fix_object_describes_the_edit() -> None:
    from mlf_lint.fix.apply import SourceFixer

    source = "import torch\n\ntorch.set_deterministic(True)\nx = 1\n"
    findings = findings_of("d.py", source)
    [candidate] = SourceFixer(source, "d.py").candidates(findings)
    fix = candidate.fix
    assert (fix.safe, fix.line, fix.col, fix.end_line, fix.end_col) == (True, 3, 0, 4, 0)
    assert fix.replacement == "torch.use_deterministic_algorithms(True)\n"


def test_notebook_fixture() -> None:
    text = (FIXTURES / "notebook.in.ipynb").read_text(encoding="utf-8")
    expected = (FIXTURES / "notebook.out.ipynb").read_text(encoding="utf-8")
    findings = [
        Finding("nb.ipynb", 3, 0, "MLF120", "m", 3, 30, cell=1),
        Finding("nb.ipynb", 3, 0, "MLF142", "m", 3, 21, cell=2),
        Finding("nb.ipynb", 4, 0, "MLF124", "m", 4, 29, cell=2),
    ]
    fixer = NotebookFixer(text, "nb.ipynb")
    outcome = fixer.apply(fixer.candidates(findings))
    assert not outcome.messages
    assert outcome.source == expected
    assert [c.finding.code for c in outcome.applied] == ["MLF120", "MLF142", "MLF124"]


def test_notebook_findings_from_the_analysis() -> None:
    notebook = pytest.importorskip("mlf_lint.lint.notebook")
    from mlf_lint.engine.facts import ProjectFacts

    text = (FIXTURES / "notebook.in.ipynb").read_text(encoding="utf-8")
    findings, _ = notebook.check_notebook("nb.ipynb", text, ProjectFacts(), None)
    fixer = NotebookFixer(text, "nb.ipynb")
    outcome = fixer.apply(fixer.candidates(findings))
    assert outcome.source == (FIXTURES / "notebook.out.ipynb").read_text(encoding="utf-8")

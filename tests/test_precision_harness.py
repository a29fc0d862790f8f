"""The precision harness (benchmarks/precision/): matching findings to labels and the tally, on
synthetic data; and one real run of the script over a two-file repository (no corpus needed)."""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import List, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "precision" / "precision.py"


def _load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("precision_harness", ROOT / "benchmarks" / "precision" / "harness.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


h = _load_harness()
HEADER = "\t".join(h.COLUMNS)


def finding(line: int, text: str = "x = glob()", code: str = "MLF010", path: str = "a.py", subject: str = "",
            cell: Optional[int] = None, col: int = 1, repo: str = "o+r") -> object:
    return h.Finding(repo, code, h.Location(path, line, cell, col), h.line_hash(text), subject, "message")


def label(line: int, verdict: str = "TRUE", text: str = "x = glob()", code: str = "MLF010", path: str = "a.py",
          subject: str = "", cell: Optional[int] = None, by_hand: bool = True, commit: str = "c1",
          repo: str = "o+r") -> object:
    return h.Label(repo, commit, code, h.Location(path, line, cell, 1), h.line_hash(text), subject, verdict,
                   by_hand, "why")


def run_match(findings: List[object], labels: List[object]):
    return h.match(findings, labels, {"o+r": "c1"})


def test_location_round_trips_with_cell_and_column() -> None:
    for text in ("a/b.py:12", "a/b.py:12:5", "nb.ipynb:cell3:7:1", "dir:x/Dockerfile:23:1"):
        assert str(h.Location.parse(text)) == text
    parsed = h.Location.parse("nb.ipynb:cell3:7:1")
    assert (parsed.path, parsed.cell, parsed.line, parsed.col) == ("nb.ipynb", 3, 7, 1)
    with pytest.raises(ValueError):
        h.Location.parse("a.py")


def test_line_hash_ignores_indentation_and_blank_lines_have_none() -> None:
    assert h.line_hash("    x = f( 1 )") == h.line_hash("x = f( 1 )")
    assert h.line_hash("x = f(1)") != h.line_hash("x = f(2)")
    assert h.line_hash("   ") == ""


def test_subject_is_the_first_quoted_word() -> None:
    assert h.subject_of("'numpy' in requirements.txt is not pinned ('x')") == "numpy"
    assert h.subject_of("glob.glob() returns entries") == ""


def test_exact_shifted_and_position_matches() -> None:
    findings = [finding(10), finding(23, text="y = glob()"), finding(40, text="z = listdir()")]
    labels = [label(10), label(20, text="y = glob()", verdict="FALSE"), label(40, text="z = sorted(listdir())")]
    matched, gone = run_match(findings, labels)
    assert [(m.how, m.label.verdict) for m in matched] == [
        ("exact", "TRUE"), ("shifted", "FALSE"), ("position", "TRUE")]
    assert gone == []


def test_a_far_move_or_another_line_is_not_a_match() -> None:
    matched, gone = run_match([finding(10 + h.MAX_SHIFT + 1), finding(50, text="other")], [label(10)])
    assert [m.label for m in matched] == [None, None]
    assert len(gone) == 1


def test_code_path_cell_and_repo_must_agree() -> None:
    labels = [label(5, code="MLF011"), label(5, path="b.py"), label(5, cell=2), label(5, repo="o+other")]
    matched, gone = run_match([finding(5, cell=1)], labels)
    assert matched[0].label is None and len(gone) == 4


def test_several_findings_on_one_line_are_told_apart_by_subject() -> None:
    line = "RUN pip install onnx  # cmake from apt-get"
    findings = [finding(23, line, "MLF501", "Dockerfile", subject=word) for word in ("apt-get", "onnx", "cmake")]
    labels = [label(23, verdict, line, "MLF501", "Dockerfile", subject=word)
              for word, verdict in (("cmake", "FALSE"), ("onnx", "TRUE"), ("apt-get", "FALSE"))]
    matched, _ = run_match(findings, labels)
    assert [(m.finding.subject, m.label.verdict) for m in matched] == [
        ("apt-get", "FALSE"), ("onnx", "TRUE"), ("cmake", "FALSE")]


def test_nearest_label_wins_and_a_current_commit_label_is_preferred() -> None:
    labels = [label(30, verdict="FALSE"), label(12, verdict="DEBATABLE", commit="old"), label(12, verdict="TRUE")]
    matched, gone = run_match([finding(12)], labels)
    assert matched[0].label.verdict == "TRUE"
    assert sorted(g.verdict for g in gone) == ["DEBATABLE", "FALSE"]


def test_tally_counts_verdicts_unlabelled_extrapolated_and_gone() -> None:
    findings = [finding(1, "a"), finding(2, "b"), finding(3, "c"), finding(4, "d"), finding(5, "e", code="MLF501")]
    labels = [label(1, "TRUE", "a"), label(2, "FALSE", "b", by_hand=False), label(3, "DEBATABLE", "c"),
              label(9, "TRUE", "gone"), label(8, "FALSE", "gone2", code="MLF501")]
    matched, gone = run_match(findings, labels)
    tallies = h.tally(matched, gone)
    first = tallies["MLF010"]
    assert (first.findings, first.true, first.false, first.debatable, first.unlabelled, first.extrapolated) == (
        4, 1, 1, 1, 1, 1)
    assert first.gone == {"TRUE": 1, "FALSE": 0, "DEBATABLE": 0}
    assert first.precision == 0.5 and first.hand_precision == 1.0
    assert tallies["MLF501"].precision is None and tallies["MLF501"].gone["FALSE"] == 1
    assert list(tallies) == ["MLF010", "MLF501", "all"]
    assert tallies["all"].findings == 5 and tallies["all"].gone == {"TRUE": 1, "FALSE": 1, "DEBATABLE": 0}


@pytest.mark.parametrize("row, message", [
    ("o+r\tc\tMLF010\ta.py:1\th\t\tMAYBE\tyes\twhy", "verdict 'MAYBE'"),
    ("o+r\tc\tMLF010\ta.py:1\th\t\tTRUE\tperhaps\twhy", "checked_by_hand must be yes or no"),
    ("o+r\tc\tMLF010\ta.py\th\t\tTRUE\tyes\twhy", "location 'a.py' is not PATH[:cellN]:LINE[:COL]"),
    ("o+r\tc\tMLF010\ta.py:1\tTRUE", "5 columns, expected 9"),
])
def test_a_bad_verdict_row_names_file_and_line(row: str, message: str) -> None:
    with pytest.raises(h.LabelError, match="^" + re.escape(f"v.tsv:3: {message}")):
        h.read_labels(f"{HEADER}\no+r\tc\tMLF010\ta.py:1\th\t\tTRUE\tyes\tok\n{row}\n", "v.tsv")
    with pytest.raises(h.LabelError, match=r"^v\.tsv:1: the header"):
        h.read_labels("repo\tcode\n", "v.tsv")


def test_the_shipped_verdict_file_reads_and_names_only_listed_repositories() -> None:
    here = ROOT / "benchmarks" / "precision"
    labels = h.read_labels((here / "verdicts.tsv").read_text(encoding="utf-8"), "verdicts.tsv")
    listed = {line.split("\t")[0] for line in (here / "repos.tsv").read_text(encoding="utf-8").splitlines()[1:]}
    assert labels and {lab.repo for lab in labels} <= listed
    assert all(lab.reason.strip() for lab in labels)


def _git_repo(folder: Path, prep: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prep.py").write_text(prep, encoding="utf-8")
    (folder / "requirements.txt").write_text("numpy\npandas\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run(["git", "-C", str(folder), "add", "."], check=True)
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                   check=True)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600)


def test_the_script_lints_a_repository_and_tolerates_a_shift(tmp_path: Path) -> None:
    prep = 'import glob\n\nfiles = glob.glob("data/*.csv")\nfirst = files[0]\nprint(first)\n'
    _git_repo(tmp_path / "corpus" / "me+demo", "# a\n# b\n" + prep)   # the code moved 2 lines down
    commit = subprocess.run(["git", "-C", str(tmp_path / "corpus" / "me+demo"), "rev-parse", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "repos.tsv").write_text(f"repo\tcommit\tnote\nme+demo\t{commit}\tsynthetic\n", encoding="utf-8")
    glob_hash = h.line_hash('files = glob.glob("data/*.csv")')
    rows = [f"me+demo\told\tMLF010\tprep.py:3:9\t{glob_hash}\t\tTRUE\tyes\torder reaches files[0]",
            f"me+demo\told\tMLF501\trequirements.txt:1:1\t{h.line_hash('numpy')}\tnumpy\tTRUE\tno\tunpinned",
            "me+demo\told\tMLF020\tprep.py:9:1\tdeadbeef0000\t\tTRUE\tyes\ta finding that went away"]
    (tmp_path / "v.tsv").write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    common = ["--corpus", str(tmp_path / "corpus"), "--repos-file", str(tmp_path / "repos.tsv"),
              "--verdicts", str(tmp_path / "v.tsv")]

    proc = _run(*common, "--format", "json", "--show", "gone-true", "--save", str(tmp_path / "saved"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["repos"][0]["findings"] == 3 and report["repos"][0]["error"] == ""
    assert report["codes"]["MLF010"]["TRUE"] == 1 and report["codes"]["MLF501"]["unlabelled"] == 1
    assert report["codes"]["MLF501"]["extrapolated"] == 1
    assert report["codes"]["all"]["gone"]["TRUE"] == 1
    assert [(e["code"], e["matched"]) for e in report["listing"]] == [("MLF020", "gone")]

    stubs = _run(*common, "--load", str(tmp_path / "saved"), "--show", "unlabelled", "--format", "tsv")
    assert stubs.returncode == 0, stubs.stderr
    assert stubs.stdout.split("\t")[:4] == ["me+demo", commit, "MLF501", "requirements.txt:2:1"]
    assert "\tpandas\tTODO\tyes\t" in stubs.stdout

    text = _run(*common, "--load", str(tmp_path / "saved"), "--code", "MLF010")
    assert text.returncode == 0, text.stderr
    rows = text.stdout.splitlines()
    table = rows[next(i for i, row in enumerate(rows) if row.startswith("code ")):]
    assert [row.split()[0] for row in table[1:]] == ["MLF010", "all"]
    assert table[1].split()[1:4] == ["1", "1", "0"]   # findings, TRUE, FALSE


def test_the_script_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "v.tsv").write_text(HEADER + "\nonly\tthree\tcells\n", encoding="utf-8")
    proc = _run("--verdicts", str(tmp_path / "v.tsv"))
    assert proc.returncode == 2 and proc.stderr.strip() == "precision: v.tsv:2: 3 columns, expected 9"
    proc = _run("--corpus", str(tmp_path), "--repo", "no-such-repo")
    assert proc.returncode == 2 and "no repository matches no-such-repo" in proc.stderr
    proc = _run("--corpus", str(tmp_path), "--repo", "yolov5", "--load", str(tmp_path))
    assert proc.returncode == 2 and "not in" in proc.stderr
    proc = _run("--checkout", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("is not an mlf-lint checkout (no mlf_lint/__init__.py)")

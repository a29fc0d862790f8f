"""Precision of mlf-lint on real training code: lint the corpus, match findings to labels, tally.

    python benchmarks/precision/precision.py                       # every cloned repository
    python benchmarks/precision/precision.py --repo yolov5 --code MLF10
    python benchmarks/precision/precision.py --show unlabelled     # what nobody has judged yet
    python benchmarks/precision/precision.py --show unlabelled --format tsv >> new-rows.tsv
    python benchmarks/precision/precision.py --format json

Each repository is linted as a user would, `mlf-lint <repo> --format json --exit-zero` on the clone
with its `.git`, by this checkout of mlf-lint (or --checkout DIR), with --no-cache: the result cache
is keyed by the tool's version, not its code, so a changed rule would read stale results.
The corpus comes from `corpus.sh` (repositories and commits in repos.tsv).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (  # noqa: E402  (a script beside its module, not an installed package)
    Finding, Label, LabelError, Location, Matched, Tally, code_selected, line_hash, match, read_labels,
    subject_of, tally,
)

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent.parent
DEFAULT_CORPUS = Path(os.environ.get("MLF_PRECISION_CORPUS", Path.home() / ".cache" / "mlf-lint-precision"))
SHOW = ("unlabelled", "false", "true", "debatable", "position", "gone", "gone-true")
LINT_TIMEOUT = 1800


@dataclass
class RepoRun:
    repo: str
    directory: Path
    commit: str = ""
    findings: int = 0
    seconds: float = 0.0
    error: str = ""


class Sources:
    """Lines of the corpus files, read once; a notebook's lines per code cell (numbered as mlf-lint
    numbers them: code cells only, 1-based). Read here rather than through mlf_lint's notebook
    module so the harness depends on no internal module and can measure any checkout (--checkout)."""

    def __init__(self) -> None:
        self._files: Dict[Path, Optional[List[List[str]]]] = {}

    def line(self, root: Path, location: Location) -> str:
        path = root / location.path
        if path not in self._files:
            self._files[path] = self._read(path)
        blocks = self._files[path]
        if blocks is None:
            return ""
        block = blocks[(location.cell or 1) - 1] if location.cell and location.cell <= len(blocks) else blocks[0]
        return block[location.line - 1] if 0 < location.line <= len(block) else ""

    @staticmethod
    def _read(path: Path) -> Optional[List[List[str]]]:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        if path.suffix != ".ipynb":
            return [text.splitlines()]
        try:
            notebook = json.loads(text)
        except ValueError:
            return [text.splitlines()]
        cells = notebook.get("cells") if isinstance(notebook, dict) else None
        if not isinstance(cells, list):
            return [[]]
        sources = [cell.get("source", "") for cell in cells
                   if isinstance(cell, dict) and cell.get("cell_type") == "code"]
        return [("".join(source) if isinstance(source, list) else str(source)).splitlines()
                for source in sources] or [[]]


def read_repos(path: Path) -> List[Tuple[str, str]]:
    repos = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split("\t")
        if line.strip() and not line.startswith("#"):
            repos.append((cells[0], cells[1] if len(cells) > 1 else ""))
    return repos


def repo_selected(repo: str, wanted: Sequence[str]) -> bool:
    if not wanted:
        return True
    name = repo.split("+", 1)[-1].lower()
    return any(w.replace("/", "+").lower() in (repo.lower(), name) for w in wanted)


def git_head(directory: Path) -> str:
    proc = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def lint(run: RepoRun, checkout: Path, jobs: Optional[int]) -> Optional[list]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "mlf_lint", str(run.directory), "--format", "json", "--exit-zero", "--no-cache"]
    if jobs:
        command += ["--jobs", str(jobs)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, cwd=run.directory, env=env, capture_output=True, text=True,
                              timeout=LINT_TIMEOUT)
    except subprocess.TimeoutExpired:
        run.error = f"mlf-lint ran over {LINT_TIMEOUT} s"
        return None
    run.seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        run.error = f"mlf-lint exited {proc.returncode}: {tail}"
        return None
    return parse_report(proc.stdout, run)


def parse_report(text: str, run: RepoRun) -> Optional[list]:
    try:
        report = json.loads(text)
    except ValueError as error:
        run.error = f"the JSON report does not parse ({error})"
        return None
    if not isinstance(report, list):
        run.error = "the JSON report is not a list of findings"
        return None
    return report


def to_finding(item: dict, run: RepoRun, sources: Sources) -> Finding:
    filename = item.get("filename") or item.get("path") or ""
    try:
        path = Path(filename).resolve().relative_to(run.directory.resolve()).as_posix()
    except ValueError:
        path = item.get("path") or filename
    where = item.get("location") or {}
    location = Location(path, int(where.get("row") or 0), item.get("cell"), where.get("column"))
    message = item.get("message", "")
    return Finding(run.repo, item.get("code", "?"), location,
                   line_hash(sources.line(run.directory, location)), subject_of(message), message)


def percent(value: Optional[float]) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def table(tallies: Dict[str, Tally], markdown: bool = False) -> str:
    head = ("code", "findings", "TRUE", "FALSE", "DEBAT", "unlab", "extrap", "gone T/F/D", "precision", "hand-checked")
    rows = [head]
    for code, t in tallies.items():
        gone = "{TRUE}/{FALSE}/{DEBATABLE}".format(**t.gone)
        rows.append((code, str(t.findings), str(t.true), str(t.false), str(t.debatable), str(t.unlabelled),
                     str(t.extrapolated), gone, percent(t.precision), percent(t.hand_precision)))
    if markdown:
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "| --- |" + " ---: |" * (len(head) - 1))
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                               enumerate(zip(row, widths))) for row in rows)


def listing(kind: str, matched: List[Matched], gone: List[Label]) -> List[Tuple[Optional[Matched], Optional[Label]]]:
    if kind == "unlabelled":
        return [(m, None) for m in matched if m.label is None]
    if kind == "position":
        return [(m, m.label) for m in matched if m.how == "position"]
    if kind in ("gone", "gone-true"):
        return [(None, label) for label in gone if kind == "gone" or label.verdict == "TRUE"]
    verdict = kind.upper()
    return [(m, m.label) for m in matched if m.label and m.label.verdict == verdict]


def stub_row(item: Matched, commit: str) -> str:
    finding = item.finding
    label = Label(finding.repo, commit, finding.code, finding.location, finding.line_hash, finding.subject,
                  "TODO", True, "")
    return label.to_row()


def show_text(entries, runs: Dict[str, RepoRun], sources: Sources) -> List[str]:
    out = []
    for item, label in entries:
        where = item.finding if item else label
        run = runs[where.repo]
        text = sources.line(run.directory, where.location).strip()
        out.append(f"{where.repo} {where.code} {where.location}")
        if item:
            out.append(f"    message: {item.finding.message}")
        out.append(f"    line:    {text[:160]}")
        if label:
            moved = f", matched {item.how}" if item and item.how != "exact" else ""
            hand = "" if label.by_hand else ", extrapolated"
            out.append(f"    label:   {label.verdict} (verdicts.tsv:{label.row}{hand}{moved}) {label.reason}")
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="folder holding the clones, <owner>+<name> each (default: $MLF_PRECISION_CORPUS "
                        "or ~/.cache/mlf-lint-precision)")
    parser.add_argument("--repo", action="append", default=[], help="only this repository (owner/name, owner+name "
                        "or name); repeatable")
    parser.add_argument("--code", action="append", default=[], help="only codes starting with this; repeatable")
    parser.add_argument("--show", choices=SHOW, help="list these findings (or labels) with message and location")
    parser.add_argument("--format", choices=("text", "markdown", "json", "tsv"), default="text",
                        help="markdown: the table for a note; tsv: the --show listing as verdict-file rows "
                        "(verdict TODO for unlabelled ones)")
    parser.add_argument("--verdicts", type=Path, default=HERE / "verdicts.tsv")
    parser.add_argument("--repos-file", type=Path, default=HERE / "repos.tsv")
    parser.add_argument("--checkout", type=Path, default=CHECKOUT, help="the mlf-lint checkout to run "
                        "(default: the one holding this script)")
    parser.add_argument("--save", type=Path, help="also write each repository's JSON report into this folder")
    parser.add_argument("--load", type=Path, help="read the JSON reports from this folder (from --save) "
                        "instead of linting")
    parser.add_argument("--jobs", type=int, help="passed to mlf-lint --jobs")
    args = parser.parse_args(argv)
    if args.format == "tsv" and not args.show:
        parser.error("--format tsv lists findings: give --show too")

    if not args.load and not (args.checkout / "mlf_lint" / "__init__.py").is_file():
        print(f"precision: {args.checkout} is not an mlf-lint checkout (no mlf_lint/__init__.py)", file=sys.stderr)
        return 2
    try:
        labels = read_labels(args.verdicts.read_text(encoding="utf-8"), args.verdicts.name)
        repos = read_repos(args.repos_file)
    except (OSError, LabelError) as error:
        print(f"precision: {error}", file=sys.stderr)
        return 2
    runs: Dict[str, RepoRun] = {}
    findings: List[Finding] = []
    sources = Sources()
    for repo, label_commit in repos:
        if not repo_selected(repo, args.repo):
            continue
        run = RepoRun(repo, args.corpus / repo)
        if not run.directory.is_dir():
            print(f"precision: {repo} is not in {args.corpus} (run benchmarks/precision/corpus.sh); skipped",
                  file=sys.stderr)
            continue
        run.commit = git_head(run.directory)
        if label_commit and run.commit != label_commit:
            print(f"precision: {repo} is at {run.commit[:12] or 'no commit'}, repos.tsv names {label_commit[:12]}: "
                  "labels match by line text", file=sys.stderr)
        if args.load:
            try:
                report = parse_report((args.load / f"{repo}.json").read_text(encoding="utf-8"), run)
            except OSError as error:
                run.error, report = f"cannot read the saved report ({error.strerror})", None
        else:
            report = lint(run, args.checkout, args.jobs)
        runs[repo] = run
        if report is None:
            print(f"precision: {repo}: {run.error}; left out", file=sys.stderr)
            continue
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{repo}.json").write_text(json.dumps(report), encoding="utf-8")
        repo_findings = [to_finding(item, run, sources) for item in report]
        run.findings = len(repo_findings)
        findings += [f for f in repo_findings if code_selected(f.code, args.code)]
    if args.repo and not runs:
        print(f"precision: no repository matches {', '.join(args.repo)} in {args.repos_file.name}", file=sys.stderr)
        return 2

    linted = {repo for repo, run in runs.items() if not run.error}
    labels = [label for label in labels if label.repo in linted and code_selected(label.code, args.code)]
    matched, gone = match(findings, labels, {repo: run.commit for repo, run in runs.items()})
    tallies = tally(matched, gone)
    entries = listing(args.show, matched, gone) if args.show else []
    status = 2 if any(run.error for run in runs.values()) else 0
    measured = "saved reports" if args.load else f"{args.checkout} @ {git_head(args.checkout)[:12] or 'no commit'}"

    if args.format == "tsv":
        for item, label in entries:
            print(stub_row(item, runs[item.finding.repo].commit) if label is None and item else label.to_row())
        return status
    if args.format == "json":
        print(json.dumps({
            "checkout": measured,
            "repos": [{"repo": r.repo, "commit": r.commit, "findings": r.findings, "seconds": round(r.seconds, 2),
                       "error": r.error} for r in runs.values()],
            "codes": {code: t.as_dict() for code, t in tallies.items()},
            "listing": [{"repo": (item.finding if item else label).repo,
                         "code": (item.finding if item else label).code,
                         "location": str((item.finding if item else label).location),
                         "message": item.finding.message if item else None,
                         "verdict": label.verdict if label else None,
                         "checked_by_hand": label.by_hand if label else None,
                         "reason": label.reason if label else None,
                         "matched": item.how if item else "gone"} for item, label in entries],
        }, indent=2))
        return status
    print(f"mlf-lint from {measured}")
    for run in runs.values():
        mine = tally([m for m in matched if m.finding.repo == run.repo],
                     [label for label in gone if label.repo == run.repo])["all"]
        timing = " (loaded)" if args.load else f" in {run.seconds:.1f} s"
        state = run.error or (f"{run.findings} findings{timing}; {mine.true} TRUE, {mine.false} FALSE, "
                              f"{mine.debatable} DEBATABLE, {mine.unlabelled} unlabelled, "
                              f"{sum(mine.gone.values())} gone; precision {percent(mine.precision)}")
        print(f"{'- ' if args.format == 'markdown' else ''}{run.repo} @ {run.commit[:12]}: {state}")
    print()
    print(table(tallies, markdown=args.format == "markdown"))
    moved = sum(1 for m in matched if m.how == "position")
    if moved:
        print(f"\n{moved} finding(s) matched by position only (the line's text changed): --show position")
    if entries:
        print()
        print("\n".join(show_text(entries, runs, sources)))
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:   # the reader stopped (| head): not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)

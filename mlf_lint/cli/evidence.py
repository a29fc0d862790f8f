"""``mlf-lint verify`` and ``mlf-lint fix-artifact-paths``: reproducibility evidence commands."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple

import click

from mlf_lint.cli.errors import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, fail, finish

from mlf_lint.evidence.exclusions import Exclusions
from mlf_lint.evidence.verify import RunFinished, RunStarted, VerifyOptions, VerifyOutcome, VerifyUsageError
from mlf_lint.evidence.verify import verify as run_verify
from mlf_lint.evidence.verify_report import render_json, render_text


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Tuple[Optional[RunStarted], Optional[RunFinished]]]:
    """Rich progress on stderr, only when stderr is a terminal (never in CI logs or pipes)."""
    from rich.console import Console

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield None, None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("verify", total=None)

        def started(number: int, total: int) -> None:
            progress.update(task, description=f"run {number}/{total}", total=total, completed=number - 1)

        def finished(number: int, seconds: float) -> None:
            progress.update(task, completed=number)

        yield started, finished


@click.command(name="verify")
@click.option(
    "--runs", "-n", type=int, default=2, show_default=True, help="How many times to run the command."
)
@click.option(
    "--artifact",
    "-a",
    "artifacts",
    multiple=True,
    metavar="PATH",
    help="A file or folder the command writes (repeatable). Removed before each run.",
)
@click.option(
    "--mlflow", is_flag=True, help="Compare the metrics, params, tags and artifacts of the MLflow run(s)."
)
@click.option(
    "--tracking-uri",
    metavar="URI",
    help="A shared file: store to read runs from (default: a fresh temporary store per run).",
)
@click.option(
    "--ignore-pattern", multiple=True, metavar="GLOB", help="Artifact paths to leave out (repeatable)."
)
@click.option(
    "--ignore-metric", multiple=True, metavar="GLOB", help="Metric names to leave out (repeatable)."
)
@click.option("--ignore-param", multiple=True, metavar="GLOB", help="Param names to leave out (repeatable).")
@click.option("--ignore-tag", multiple=True, metavar="GLOB", help="Tag names to leave out (repeatable).")
@click.option("--timeout", type=float, metavar="SECONDS", help="Give up on a run after this long (exit 2).")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--no-progress", is_flag=True, help="No progress display even on a terminal.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def verify_command(
    runs: int,
    artifacts: Tuple[str, ...],
    mlflow: bool,
    tracking_uri: Optional[str],
    ignore_pattern: Tuple[str, ...],
    ignore_metric: Tuple[str, ...],
    ignore_param: Tuple[str, ...],
    ignore_tag: Tuple[str, ...],
    timeout: Optional[float],
    output_format: str,
    no_progress: bool,
    command: Tuple[str, ...],
) -> None:
    """Run COMMAND several times and check that it produces bit-identical output.

    \b
    mlf-lint verify --artifact model.pt -- python train.py --epochs 1
    mlf-lint verify --runs 3 --mlflow -- python train.py

    Exit 0 identical, 1 different, 2 the command failed or the options cannot work.
    """
    exclusions = Exclusions.with_extra(ignore_pattern, ignore_metric, ignore_param, ignore_tag)
    options = VerifyOptions(
        command=list(command),
        runs=runs,
        artifacts=artifacts,
        mlflow=mlflow,
        tracking_uri=tracking_uri,
        exclusions=exclusions,
        timeout=timeout,
        cwd=Path.cwd(),
    )
    try:
        with _progress(not no_progress) as (started, finished):
            outcome: VerifyOutcome = run_verify(options, started, finished)
    except VerifyUsageError as error:
        fail(str(error), command="verify", tag="")
    except KeyboardInterrupt:
        # Handled here: click would turn it into "Aborted!" and exit 1, which reads like "different".
        fail("interrupted; temporary folders removed", command="verify", tag="", code=EXIT_INTERRUPTED)
    if output_format == "json":
        click.echo(render_json(outcome, command, runs, exclusions))
    else:
        text = render_text(outcome, command, runs)
        click.echo(text, err=outcome.exit_code == 2)
    finish(outcome.exit_code)


verify = verify_command


@click.command(name="fix-artifact-paths")
@click.argument("path", type=click.Path(path_type=Path), default="mlruns", required=False)
@click.option("--dry-run", is_flag=True, help="Print the changes; write nothing.")
def fix_artifact_paths(path: Path, dry_run: bool) -> None:
    """Point the artifact locations of a copied mlruns/ store (default ./mlruns) at this machine.

    Only file: locations change; remote ones (s3:, http:, ...) are reported and left alone.
    Exit 0 done, 1 some meta.yaml could not be parsed or written, 2 PATH is not a store.
    """
    from mlf_lint.evidence.artifact_paths import StoreNotFound, apply_fixes, find_store_root, plan_fixes

    try:
        root = find_store_root(path)
    except StoreNotFound as error:
        fail(str(error), command="fix-artifact-paths", tag="")
    plan = plan_fixes(root)
    verb = "would change" if dry_run else "changed"
    failures = [] if dry_run else apply_fixes(plan)
    failed_files = {meta_file for meta_file, _ in failures}
    for change in plan.changes:
        if change.meta_file in failed_files:
            continue
        click.echo(f"{verb} {_show(change.meta_file, root)}: {change.key}: {change.old} -> {change.new}")
    for item in plan.left_alone:
        click.echo(f"left alone ({item.reason}) {_show(item.meta_file, root)}: {item.key}: {item.value}")
    for meta_file, reason in plan.broken:
        click.echo(f"error: {_show(meta_file, root)}: cannot parse, not changed: {reason}", err=True)
    for meta_file, reason in failures:
        click.echo(f"error: {_show(meta_file, root)}: not written: {reason}", err=True)
    changed = len({change.meta_file for change in plan.changes} - failed_files)
    click.echo(
        f"{root}: {plan.files_scanned} meta.yaml file(s), {changed} {verb}, "
        f"{plan.already_correct} location(s) already correct, {len(plan.left_alone)} left alone, "
        f"{len(plan.broken) + len(failures)} error(s)"
    )
    finish(EXIT_FINDINGS if plan.broken or failures else EXIT_OK)


def _show(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


__all__: Sequence[str] = ("verify", "fix_artifact_paths")

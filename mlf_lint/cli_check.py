"""``mlf-lint check``: lint code and project files."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import List, NoReturn, Optional, Tuple

import click

from mlf_lint.engine.config import Config, ConfigError, check_codes, load_config
from mlf_lint.project_checks.versions import parse_target_versions
from mlf_lint.fix.cli import FixFlags, fix_options, handle_fix_flags
from mlf_lint.report import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def fail(message: str) -> NoReturn:
    click.echo(f"mlf-lint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _codes(values: Tuple[str, ...], flag: str) -> List[str]:
    codes = [c.strip() for v in values for c in v.split(",") if c.strip()]
    check_codes(codes, flag)
    return codes


def _common_root(paths: List[Path]) -> Path:
    from mlf_lint.engine.project import find_root

    return find_root(paths[0])


def _base(paths: List[Path]) -> Path:
    cwd = Path.cwd().resolve()
    if all(p == cwd or cwd in p.parents for p in paths):
        return cwd
    return _common_root(paths)


class _Progress:
    """A rich progress bar on stderr, shown only on a terminal and only once a run passes a second."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        # Tests (and impatient users) can lower the one-second threshold.
        self.delay = float(os.environ.get("MLF_LINT_PROGRESS_DELAY", "1.0"))
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.start < self.delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self.bar = Progress("checking", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("check", total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", multiple=True, help="Codes or prefixes to enable (replaces the default set).")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable in addition (e.g. MLF103).")
@click.option("--ignore", multiple=True, help="Codes or prefixes to disable.")
@click.option("--extend-ignore", multiple=True, hidden=True)
@click.option("--exclude", multiple=True, help="Glob patterns of paths to skip (replaces the config's).")
@click.option("--extend-exclude", multiple=True, help="Glob patterns to skip in addition.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True,
              help="Output format.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print how many findings each code has.")
@click.option("--target-version", multiple=True, metavar="LIB=VER",
              help="Assume this library version (e.g. torch=2.4) instead of the pinned one.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Cache folder (default: .mlf_lint_cache at the project root).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Parallel processes (default: CPU count).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read settings from this TOML file instead of discovering one.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@click.option("--no-default-path", is_flag=True,
              help="With no PATH, check nothing (not the current folder): for hooks that pass the files (pre-commit).")
@fix_options  # --fix, --unsafe-fixes, --diff, --fix-only, --show-fixes, --add-noqa (mlf_lint.fix.cli)
def check(paths: Tuple[Path, ...], select, extend_select, ignore, extend_ignore, exclude, extend_exclude,
          fmt: str, output_file: Optional[Path], exit_zero: bool, statistics: bool, target_version,
          no_cache: bool, cache_dir: Optional[Path], jobs: Optional[int], config_file: Optional[Path],
          color: Optional[bool], no_default_path: bool, **fix_flags: bool) -> None:
    """Check Python code, notebooks and project files for reproducibility problems.

    Exit status: 0 no findings, 1 findings, 2 usage, config or internal error.
    """
    if not paths and no_default_path:
        paths = ()  # an empty run: a report with no findings, exit 0
    elif not paths:
        paths = (Path("."),)
    try:
        _check(paths, select, extend_select, ignore, extend_ignore, exclude, extend_exclude, fmt,
               output_file, exit_zero, statistics, target_version, no_cache, cache_dir, jobs,
               config_file, color, FixFlags.from_kwargs(fix_flags))
    except ConfigError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - the user gets one line, never a traceback
        if os.environ.get("MLF_LINT_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set MLF_LINT_DEBUG=1 for the traceback "
             "and please report it)")


def _check(paths, select, extend_select, ignore, extend_ignore, exclude, extend_exclude, fmt, output_file,
           exit_zero, statistics, target_version, no_cache, cache_dir, jobs, config_file, color,
           fix_flags: FixFlags = FixFlags()) -> None:
    from mlf_lint.engine.runner import Options, run
    from mlf_lint.report import render
    from mlf_lint.report.text import statistics as stats_table

    targets = [Path(p) for p in paths]
    for target in targets:
        if not target.exists():
            fail(f"{target}: no such file or directory")
    targets = [t.resolve() for t in targets]
    root = _common_root(targets or [Path.cwd()])
    config: Config = load_config(root, config_file)
    if select:
        config.select = _codes(select, "--select")
    if extend_select:
        config.extend_select = [*config.extend_select, *_codes(extend_select, "--extend-select")]
    if ignore:
        config.ignore = [*config.ignore, *_codes(ignore, "--ignore")]
    if extend_ignore:
        config.extend_ignore = [*config.extend_ignore, *_codes(extend_ignore, "--extend-ignore")]
    if exclude:
        config.exclude = list(exclude)
    if extend_exclude:
        config.extend_exclude = [*config.extend_exclude, *extend_exclude]
    versions = parse_target_versions([*config.target_version, *target_version])
    progress = _Progress() if sys.stderr.isatty() and fmt == "text" else None
    options = Options(paths=targets, config=config, root=root, base=_base(targets),
                      target_versions=versions, use_cache=not no_cache, cache_dir=cache_dir,
                      jobs=jobs, progress=progress)
    try:
        result = run(options)
    finally:
        if progress is not None:
            progress.close()
    # Fix flags (mlf_lint.fix): may rewrite files and re-run, or finish the command itself.
    result = handle_fix_flags(result, fix_flags, fmt, lambda: run(replace(options, progress=None)))
    use_color = color if color is not None else (output_file is None and sys.stdout.isatty()
                                                 and "NO_COLOR" not in os.environ)
    report = render(fmt, result, color=bool(use_color) and fmt == "text")
    if output_file is not None:
        try:
            output_file.write_text(report, encoding="utf-8")
        except OSError as exc:
            fail(f"{output_file}: cannot write the report ({exc.strerror})")
    elif use_color and fmt == "text":
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(report, end="")
    else:
        click.echo(report, nl=False)
    if statistics:
        click.echo(stats_table(result), nl=False, err=output_file is None and fmt != "text")
    if result.findings and not exit_zero:
        sys.exit(1)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Cache folder (default: .mlf_lint_cache at the project root).")
def clean(path: Optional[Path], cache_dir: Optional[Path]) -> None:
    """Remove the result cache of the project at PATH (default: the current folder)."""
    from mlf_lint.engine.cache import clean as clean_cache
    from mlf_lint.engine.project import find_root

    root = find_root((path or Path(".")).resolve())
    try:
        config = load_config(root)
    except ConfigError as exc:
        fail(str(exc))
    folder = cache_dir or Path(config.cache_dir or ".mlf_lint_cache")
    if not folder.is_absolute():
        folder = root / folder
    removed = clean_cache(folder)
    click.echo(f"removed {folder}" if removed else f"no cache at {folder}")

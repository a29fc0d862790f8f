"""``mlf-lint check``: lint code and project files (and ``mlf-lint clean``, its cache)."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import click

from mlf_lint.cli.errors import EXIT_FINDINGS, fail, finish, internal_error
from mlf_lint.cli.fix_flags import FixFlags, fix_options, handle_fix_flags
from mlf_lint.engine.cache import CACHE_DIR
from mlf_lint.engine.config import Config, ConfigError, check_codes, load_config
from mlf_lint.engine.paths import printable
from mlf_lint.project_checks.versions import parse_target_versions
from mlf_lint.report import FORMATS


@dataclass(frozen=True)
class CheckOptions:
    """What ``mlf-lint check`` was asked to do, as click hands the options over."""

    paths: Tuple[Path, ...] = ()
    select: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    extend_ignore: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()
    extend_exclude: Tuple[str, ...] = ()
    fmt: str = "text"
    output_file: Optional[Path] = None
    exit_zero: bool = False
    statistics: bool = False
    target_version: Tuple[str, ...] = ()
    no_cache: bool = False
    cache_dir: Optional[Path] = None
    jobs: Optional[int] = None
    config_file: Optional[Path] = None
    color: Optional[bool] = None
    no_default_path: bool = False
    fix: FixFlags = FixFlags()

    @classmethod
    def from_params(cls, params: Dict[str, Any]) -> "CheckOptions":
        """The command's keyword arguments: its own options, and the fix flags (see fix_flags)."""
        own = {f.name for f in fields(cls)} - {"fix"}
        values = {name: value for name, value in params.items() if name in own}
        rest = {name: value for name, value in params.items() if name not in own}
        return cls(**values, fix=FixFlags.from_kwargs(rest))


def _codes(values: Tuple[str, ...], flag: str) -> List[str]:
    codes = [c.strip() for v in values for c in v.split(",") if c.strip()]
    check_codes(codes, flag)
    return codes


def _common_root(paths: List[Path]) -> Path:
    """The project root of every path: the root of the folder they all lie in."""
    from mlf_lint.lint.discovery import find_root

    return find_root(Path(os.path.commonpath([str(p) for p in paths])))


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
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the caches of findings and facts (a run from scratch).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help=f"Cache folder (default: {CACHE_DIR} at the project root).")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Parallel processes, at least 1 (default and most: the CPU count).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read settings from this TOML file instead of discovering one.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@click.option("--no-default-path", is_flag=True,
              help="With no PATH, check nothing (not the current folder): for hooks that pass the files (pre-commit).")
@fix_options  # --fix, --unsafe-fixes, --diff, --fix-only, --show-fixes, --add-noqa, --pin (fix_flags)
def check(**params: Any) -> None:
    """Check Python code, notebooks and project files for reproducibility problems.

    Exit status: 0 no findings, 1 findings, 2 usage, config or internal error.
    """
    try:
        run_check(CheckOptions.from_params(params))
    except ConfigError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - the user gets one line, never a traceback
        internal_error(exc)


def _configured(options: CheckOptions, root: Path) -> Config:
    """The root's config (or --config's) with the command-line selections applied."""
    config: Config = load_config(root, options.config_file)
    if options.select:
        config.select = _codes(options.select, "--select")
    if options.extend_select:
        config.extend_select = [*config.extend_select, *_codes(options.extend_select, "--extend-select")]
    if options.ignore:
        config.ignore = [*config.ignore, *_codes(options.ignore, "--ignore")]
    if options.extend_ignore:
        config.extend_ignore = [*config.extend_ignore, *_codes(options.extend_ignore, "--extend-ignore")]
    if options.exclude:
        config.exclude = list(options.exclude)
    if options.extend_exclude:
        config.extend_exclude = [*config.extend_exclude, *options.extend_exclude]
    return config


def _command_hint(target: Path) -> str:
    """``mlf-lint rulez``: a bare word close to a command name was a command, not a path."""
    import difflib

    from mlf_lint.cli.commands import LAZY_COMMANDS

    word = str(target)
    if "/" in word or "\\" in word or "." in word:
        return ""
    close = difflib.get_close_matches(word.lower(), LAZY_COMMANDS, n=2, cutoff=0.6)
    return (", nor a command; did you mean " + " or ".join(f"`mlf-lint {name}`" for name in sorted(close)) + "?"
            if close else "")


# What `mlf-lint` reads, for a file it was named but does not check (project_checks.kind_of decides).
CHECKED_KINDS = ("Python files (.py, .pyi), notebooks (.ipynb) and project files (requirements*.txt, "
                 "environment.yml, pyproject.toml, setup.cfg, Dockerfile, MLproject, python_env.yaml, CI "
                 "workflows, lock files)")


def _note_unchecked(targets: List[Path]) -> None:
    """Files named on the command line that no check reads (pre-commit hands over every text file:
    a note, not an error)."""
    from mlf_lint import project_checks
    from mlf_lint.lint.discovery import is_code

    skipped = [t for t in targets if t.is_file() and not is_code(t) and not project_checks.is_project_file(t)]
    if skipped:
        names = ", ".join(str(p.name) for p in skipped[:3]) + (f" and {len(skipped) - 3} more" if len(skipped) > 3
                                                               else "")
        verb = "is not a file" if len(skipped) == 1 else "are not files"
        click.echo(printable(f"mlf-lint: note: {names} {verb} mlf-lint checks; it checks {CHECKED_KINDS}"),
                   err=True)


def _note_capped_jobs(requested: Optional[int]) -> None:
    from mlf_lint.lint.runner import worker_count

    used = worker_count(requested)
    if requested is not None and requested > used:
        click.echo(f"mlf-lint: note: {requested} parallel processes requested, but this machine has {used} "
                   f"CPU{'s' if used != 1 else ''}: using {used}", err=True)


def run_check(options: CheckOptions) -> None:
    from mlf_lint.lint.runner import Options, run
    from mlf_lint.report import render
    from mlf_lint.report.text import statistics as stats_table

    fmt, output_file = options.fmt, options.output_file
    # No PATH means the current folder, except for a hook that passes the files (an empty run then).
    default = () if options.no_default_path else (Path("."),)
    targets = [Path(p) for p in (options.paths or default)]
    for target in targets:
        if not target.exists():
            fail(f"{target}: no such file or directory{_command_hint(target)}")
    targets = [t.resolve() for t in targets]
    _note_unchecked(targets)
    root = _common_root(targets or [Path.cwd()])
    config = _configured(options, root)
    versions = parse_target_versions([*config.target_version, *options.target_version])
    _note_capped_jobs(options.jobs or config.jobs)
    progress = _Progress() if sys.stderr.isatty() and fmt == "text" else None
    run_options = Options(paths=targets, config=config, root=root, base=_base(targets),
                          target_versions=versions, use_cache=not options.no_cache, cache_dir=options.cache_dir,
                          jobs=options.jobs, progress=progress)
    try:
        result = run(run_options)
    finally:
        if progress is not None:
            progress.close()
    # Fix flags: may rewrite files and re-run, or finish the command itself.
    result = handle_fix_flags(result, options.fix, fmt, lambda: run(replace(run_options, progress=None)))
    use_color = options.color
    if use_color is None:
        use_color = output_file is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
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
    if options.statistics:
        click.echo(stats_table(result), nl=False, err=output_file is None and fmt != "text")
    if result.findings and not options.exit_zero:
        finish(EXIT_FINDINGS)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help=f"Cache folder (default: {CACHE_DIR} at the project root).")
def clean(path: Optional[Path], cache_dir: Optional[Path]) -> None:
    """Remove the caches of the project at PATH (default: the current folder): the cache folder's
    own files (results and facts), the folder once nothing else is in it, and what the user cache
    keeps of the project (editors, the flake8 plugin)."""
    from mlf_lint.engine import factstore
    from mlf_lint.engine.cache import cache_folder, clean as clean_cache
    from mlf_lint.lint.discovery import find_root
    from mlf_lint.lint.freshness import store_stamp

    root = find_root((path or Path(".")).resolve())
    try:
        folder = cache_folder(root, load_config(root).cache_dir, cache_dir)
    except ConfigError as exc:
        fail(str(exc))
    stored = factstore.clean(folder / factstore.STORE_FILE)  # first, so the folder can go too
    removed, folder_gone = clean_cache(folder)
    removed = sorted([factstore.STORE_FILE] * stored + removed)
    if folder_gone:
        click.echo(f"removed {folder} ({', '.join(removed) or 'empty'})")
    elif removed:
        click.echo(f"removed {', '.join(removed)} from {folder} (the folder holds other files: kept)")
    else:
        click.echo(f"no cache at {folder}")
    user = factstore.user_store_path()
    if user.exists() and factstore.FactStore(user, store_stamp(), root).forget():
        click.echo(f"removed the facts of {root} from {user}")

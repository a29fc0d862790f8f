"""``mlf-lint audit -- python train.py ARGS``: trace a training run and report what will not repeat."""
from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import IO, List, Optional, Tuple

import click

from mlf_lint.cli.check import _codes
from mlf_lint.cli.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, fail, finish, internal_error

FORMATS = ("text", "json", "sarif")


class _TextSink(io.RawIOBase):
    """Bytes from the program, written to a text stream that has no ``buffer`` (click's test runner)."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.stream.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        self.stream.flush()


def _binary(stream: IO[str]) -> IO[bytes]:
    return getattr(stream, "buffer", None) or _TextSink(stream)  # type: ignore[return-value]


@click.command(context_settings={"help_option_names": ["-h", "--help"], "ignore_unknown_options": True,
                                 "allow_interspersed_args": False})
@click.option("-m", "--module", metavar="MODULE", help="Run `python -m MODULE` with this interpreter (ARGS after --).")
@click.option("--max-steps", type=click.IntRange(min=1), metavar="N",
              help="Stop the program after N optimizer steps (each process counts its own).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop the program after this long; the findings so far are reported.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The project findings point into (default: the project around the current folder).")
@click.option("--select", multiple=True, help="Codes or prefixes to enable (replaces the default set).")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable in addition (e.g. MLF103).")
@click.option("--ignore", multiple=True, help="Codes or prefixes to disable.")
@click.option("--no-static", is_flag=True, help="Skip the cross-check with the static analysis.")
@click.option("--records", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the tracer's raw records (JSON lines, one file per process) in this folder.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read settings from this TOML file instead of discovering one.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def audit(module: Optional[str], max_steps: Optional[int], timeout: Optional[float], fmt: str,
          output_file: Optional[Path], root: Optional[Path], select: Tuple[str, ...], extend_select: Tuple[str, ...],
          ignore: Tuple[str, ...], no_static: bool, records: Optional[Path], exit_zero: bool,
          config_file: Optional[Path], command: Tuple[str, ...]) -> None:
    """Run a training program under a tracer and report, for a GPU, what it executed that will not
    repeat: operators without a deterministic CUDA kernel (or needing deterministic mode), draws
    before the seed, cuDNN and cuBLAS settings; each at the line of your code that reached it.

    \b
    mlf-lint audit -- python train.py --epochs 1
    mlf-lint audit --max-steps 20 --format sarif -o audit.sarif -- python -m pkg.train
    mlf-lint audit -m pkg.train -- --epochs 1

    Exit status: 0 no findings, 1 findings, 2 the program failed, the tracer did not start, or a
    usage or configuration error.
    """
    from mlf_lint.audit.program import AuditUsageError, program_command
    from mlf_lint.engine.config import ConfigError

    try:
        argv = program_command(command, module)
        code = _audit(argv, max_steps, timeout, fmt, output_file, root, select, extend_select, ignore, no_static,
                      records, config_file)
    except (AuditUsageError, ConfigError, ValueError) as exc:
        fail(str(exc), command="audit")
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - the user gets one line, never a traceback
        internal_error(exc, command="audit")
    finish(EXIT_OK if code == EXIT_FINDINGS and exit_zero else code)


def _audit(argv: List[str], max_steps, timeout, fmt, output_file, root, select, extend_select, ignore, no_static,
           records, config_file) -> int:
    from mlf_lint.audit.crosscheck import compare
    from mlf_lint.audit.report import render_json, render_sarif, render_text
    from mlf_lint.audit.session import AuditOptions, audit as run_audit
    from mlf_lint.engine.config import load_config
    from mlf_lint.lint.discovery import find_root

    cwd = Path.cwd()
    project = (root or find_root(cwd)).resolve()
    config = load_config(project, config_file)
    if select:
        config.select = _codes(select, "--select")
    if extend_select:
        config.extend_select = [*config.extend_select, *_codes(extend_select, "--extend-select")]
    if ignore:
        config.ignore = [*config.ignore, *_codes(ignore, "--ignore")]
    if records is not None and records.exists() and any(records.iterdir()):
        fail(f"{records}: the records folder must be new or empty", command="audit")
    enabled = config.enabled_codes()
    # The report goes to standard output in a machine format: the program's own output to stderr.
    program_out = sys.stdout if (output_file is not None or fmt == "text") else sys.stderr
    options = AuditOptions(command=argv, root=project, cwd=cwd, max_steps=max_steps, timeout=timeout,
                           records=records.resolve() if records is not None else None)
    result = run_audit(options, _binary(program_out), _binary(sys.stderr), enabled, config.ignored_for)
    cross = None
    if not no_static and result.tracer_started:
        static = _static_findings(project, config, result.trace.torch_version)
        cross = compare(static, result.findings, result.executed, result.operators_at)
    if fmt == "json":
        report = render_json(result, cross, project)
    elif fmt == "sarif":
        report = render_sarif(result, project, sorted(enabled))
    else:
        report = render_text(result, cross)
    if output_file is not None:
        try:
            output_file.write_text(report, encoding="utf-8")
        except OSError as exc:
            fail(f"{output_file}: cannot write the report ({exc.strerror})", command="audit")
        if fmt != "text":
            click.echo(render_text(result, cross), nl=False, err=True)
    else:
        click.echo(report, nl=False)
    if result.program.failed or not result.tracer_started:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.findings else EXIT_OK


def _static_findings(root: Path, config, torch_version: Optional[str]) -> list:
    from mlf_lint.lint.runner import Options, run
    from mlf_lint.project_checks.versions import parse_target_versions

    versions = parse_target_versions(list(config.target_version))
    if torch_version:
        versions["torch"] = torch_version.split("+", 1)[0]
    return run(Options(paths=[root], config=config, root=root, base=root, target_versions=versions,
                       use_cache=False)).findings

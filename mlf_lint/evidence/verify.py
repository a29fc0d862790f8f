"""Run a command several times in fresh processes and compare what each run produced.

Runs share the working tree: before each run the named artifact paths are removed (so a run that
writes nothing cannot pass off the previous run's output as its own), and after it they are copied
into a private temporary folder. Nothing is restored afterwards: the working tree keeps the last
run's output, as if the command had been run by hand. The temporary folder is removed in every
case, including Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set

from mlf_lint.engine.processes import kill_group, signals_deferred, terminate_as_interrupt
from mlf_lint.evidence.difference import Difference
from mlf_lint.evidence.exclusions import Exclusions
from mlf_lint.evidence.mlflow_store import (
    MlflowRun,
    StoreError,
    compare_runs,
    find_run_dirs,
    local_path,
    read_runs,
)
from mlf_lint.evidence.tree_diff import compare_trees, list_files

IDENTICAL, DIFFERENT, COMMAND_FAILED = "identical", "different", "command-failed"
_OUTPUT_TAIL_LINES = 20


class VerifyUsageError(Exception):
    """Options that cannot work (bad artifact path, unreadable tracking store...): exit 2."""


@dataclass
class VerifyOptions:
    command: Sequence[str]
    runs: int = 2
    artifacts: Sequence[str] = ()
    mlflow: bool = False
    tracking_uri: Optional[str] = None  # a shared file: store instead of one temporary store per run
    exclusions: Exclusions = field(default_factory=Exclusions)
    timeout: Optional[float] = None  # seconds per run
    cwd: Path = field(default_factory=Path.cwd)


@dataclass
class VerifyOutcome:
    status: str  # IDENTICAL, DIFFERENT or COMMAND_FAILED
    runs_completed: int
    durations: List[float] = field(default_factory=list)
    differences: List[Difference] = field(default_factory=list)
    compared: Dict[str, int] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    failure: str = ""  # COMMAND_FAILED: which run and how
    failure_output: str = ""  # COMMAND_FAILED: the last lines the command printed

    @property
    def exit_code(self) -> int:
        return {IDENTICAL: 0, DIFFERENT: 1}.get(self.status, 2)


# Progress hooks: called with (run number, total runs) before a run, (run number, seconds) after.
RunStarted = Callable[[int, int], None]
RunFinished = Callable[[int, float], None]


def _resolve_artifacts(options: VerifyOptions) -> List[str]:
    """Artifact paths relative to the working tree; refuse any that removing would be dangerous."""
    root = options.cwd.resolve()
    resolved: List[str] = []
    for raw in options.artifacts:
        path = (options.cwd / raw).resolve()
        if path == root or root not in path.parents:
            raise VerifyUsageError(
                f"--artifact {raw}: must name a file or folder inside the working directory {root} "
                "(verify removes it before each run)"
            )
        if path.is_dir() and (path / ".git").exists():
            raise VerifyUsageError(
                f"--artifact {raw}: is a git checkout; verify would remove it before each run"
            )
        resolved.append(path.relative_to(root).as_posix())
    return sorted(set(resolved))


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _snapshot(root: Path, artifacts: List[str], target: Path) -> None:
    for rel in artifacts:
        source = root / rel
        destination = target / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, destination, symlinks=True)
        elif source.is_symlink() or source.exists():
            shutil.copy2(source, destination, follow_symlinks=False)


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-_OUTPUT_TAIL_LINES:])


def _tracking_store(options: VerifyOptions, run_folder: Path) -> Path:
    if options.tracking_uri is None:
        return run_folder / "mlruns"
    path = local_path(options.tracking_uri)
    if path is None:
        raise VerifyUsageError(
            f"--tracking-uri {options.tracking_uri}: verify reads runs from files; give a file: store"
        )
    return path if path.is_absolute() else options.cwd / path


def _environment(options: VerifyOptions, store: Path) -> Dict[str, str]:
    env = dict(os.environ)
    if options.mlflow:
        env["MLFLOW_TRACKING_URI"] = store.resolve().as_uri()
        # MLflow 3 refuses the file store unless asked; verify needs it to read runs without a server.
        env.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return env


def _run_once(options: VerifyOptions, env: Dict[str, str], log: Path) -> Optional[str]:
    """Run the command once; return None on success or why it failed.

    Whatever way the run ends (exit, timeout, Ctrl-C), processes it left behind are killed, so
    nothing from one run can still be writing while the next run starts or after verify returns.
    """
    process: Optional[subprocess.Popen] = None
    with log.open("wb") as output:
        try:
            with signals_deferred():
                process = subprocess.Popen(
                    list(options.command),
                    cwd=options.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            returncode = process.wait(timeout=options.timeout)
        except FileNotFoundError:
            return f"command not found: {options.command[0]}"
        except PermissionError:
            return f"command is not executable: {options.command[0]}"
        except subprocess.TimeoutExpired:
            return f"timed out after {options.timeout:g} s"
        finally:
            if process is not None:
                kill_group(process)
    if returncode != 0:
        return f"exited with status {returncode}"
    return None


def verify(
    options: VerifyOptions,
    on_start: Optional[RunStarted] = None,
    on_finish: Optional[RunFinished] = None,
) -> VerifyOutcome:
    if options.runs < 2:
        raise VerifyUsageError(f"--runs {options.runs}: need at least 2 runs to compare")
    if not options.command:
        raise VerifyUsageError("no command given: mlf-lint verify [OPTIONS] -- COMMAND...")
    if not options.artifacts and not options.mlflow:
        raise VerifyUsageError("nothing to compare: name outputs with --artifact PATH and/or pass --mlflow")
    root = options.cwd.resolve()
    artifacts = _resolve_artifacts(options)
    outcome = VerifyOutcome(status=IDENTICAL, runs_completed=0)
    with terminate_as_interrupt():
        workspace = Path(tempfile.mkdtemp(prefix="mlf-lint-verify-"))
        return _verify_runs(options, root, artifacts, outcome, workspace, on_start, on_finish)


def _verify_runs(options: VerifyOptions, root: Path, artifacts: List[str], outcome: VerifyOutcome,
                 workspace: Path, on_start: Optional[RunStarted], on_finish: Optional[RunFinished]
                 ) -> VerifyOutcome:
    try:
        artifact_files: List[Dict[str, Path]] = []
        mlflow_runs: List[List[MlflowRun]] = []
        for number in range(1, options.runs + 1):
            if on_start:
                on_start(number, options.runs)
            run_folder = workspace / f"run-{number}"
            run_folder.mkdir()
            for rel in artifacts:
                _remove(root / rel)
            store = _tracking_store(options, run_folder)
            runs_before: Set[Path] = find_run_dirs(store)
            started = time.monotonic()
            failure = _run_once(options, _environment(options, store), run_folder / "output.log")
            outcome.durations.append(round(time.monotonic() - started, 3))
            if on_finish:
                on_finish(number, outcome.durations[-1])
            if failure:
                outcome.status = COMMAND_FAILED
                outcome.failure = f"run {number} of {options.runs}: {failure}"
                outcome.failure_output = _tail(run_folder / "output.log")
                return outcome
            outcome.runs_completed = number
            _snapshot(root, artifacts, run_folder / "artifacts")
            files: Dict[str, Path] = {}
            for top in artifacts:
                files.update(list_files(run_folder / "artifacts" / top, options.exclusions, top))
            artifact_files.append(files)
            if options.mlflow:
                try:
                    mlflow_runs.append(read_runs(find_run_dirs(store) - runs_before, options.exclusions))
                except StoreError as error:
                    raise VerifyUsageError(f"run {number}: cannot read the MLflow run: {error}") from error
        _check_something_was_produced(outcome, artifacts, artifact_files, mlflow_runs, options)
        if artifacts:
            outcome.compared["artifacts"] = len(artifact_files[0])
        for other in range(1, options.runs):
            outcome.differences += compare_trees(artifact_files[0], artifact_files[other], 1, other + 1)
            if options.mlflow:
                differences, compared = compare_runs(
                    mlflow_runs[0], mlflow_runs[other], 1, other + 1, options.exclusions
                )
                outcome.differences += differences
                outcome.compared.update(compared)
        if outcome.differences:
            outcome.status = DIFFERENT
        return outcome
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def _check_something_was_produced(
    outcome: VerifyOutcome,
    artifacts: List[str],
    artifact_files: List[Dict[str, Path]],
    mlflow_runs: List[List[MlflowRun]],
    options: VerifyOptions,
) -> None:
    """An artifact no run produced is almost always a typo; comparing nothing would say 'identical'."""
    for rel in artifacts:
        if not any(rel == name or name.startswith(rel + "/") for files in artifact_files for name in files):
            raise VerifyUsageError(f"--artifact {rel}: no run produced it (or every file in it is ignored)")
    if options.mlflow and not any(mlflow_runs):
        raise VerifyUsageError("--mlflow: the command logged no MLflow run (does it call mlflow.start_run?)")
    for runs in mlflow_runs[:1]:
        for run in runs:
            if run.artifacts is None:
                outcome.notes.append(
                    f"MLflow run {run.label}: artifacts are not stored locally, not compared"
                )

"""Run the audited program with the agent injected at start-up.

The agent's folder goes first on ``PYTHONPATH``: its ``sitecustomize`` starts the tracer in every
Python process of the run (the program, forked and spawned DataLoader workers, ``torchrun``
children), and the environment variable ``MLF_LINT_AUDIT`` names the folder for its records.
The program's output passes through; the tail of its standard error is kept for the report.
"""
from __future__ import annotations

import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Deque, Dict, List, Optional, Sequence

from mlf_lint.engine.processes import kill_group, signals_deferred, terminate_as_interrupt

AGENT_DIR = Path(__file__).resolve().parent / "agent"
ENV = "MLF_LINT_AUDIT"
STDERR_TAIL_LINES = 30
KILL_GRACE_SECONDS = 10.0


class AuditUsageError(Exception):
    """The program cannot be run as given (no command, not found): exit 2 with this message."""


@dataclass
class ProgramRun:
    command: List[str]
    returncode: Optional[int]
    seconds: float
    timed_out: bool = False
    stderr_tail: List[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return not self.timed_out and self.returncode not in (0, None)


def program_command(command: Sequence[str], module: Optional[str] = None, python: str = sys.executable) -> List[str]:
    """The command to start: ``python train.py ARGS`` as given; ``train.py ARGS`` or ``-m MODULE``
    run with this interpreter, as ``coverage run`` does."""
    args = list(command)
    if module:
        return [python, "-m", module, *args]
    if not args:
        raise AuditUsageError("no program to run: give `-- python train.py ARGS` or `-m MODULE -- ARGS`")
    first = args[0]
    if first.endswith(".py") and shutil.which(first) is None:
        if not Path(first).is_file():
            raise AuditUsageError(f"{first}: no such file")
        return [python, *args]
    if shutil.which(first) is None and not Path(first).is_file():
        raise AuditUsageError(f"{first}: command not found")
    return args


def write_config(folder: Path, config: Dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")


def environment(folder: Path, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ if base is None else base)
    paths = [str(AGENT_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env[ENV] = str(folder)
    return env


def run_program(command: List[str], folder: Path, cwd: Path, timeout: Optional[float],
                out: IO[bytes], err: IO[bytes]) -> ProgramRun:
    """Run to the end, or to ``timeout`` seconds: then SIGTERM, which lets the agent write its last
    counts, and SIGKILL after a grace period. However it ends (also Ctrl-C, or SIGTERM to mlf-lint),
    whatever the program left running is killed, so nothing writes records while they are read."""
    start = time.monotonic()
    tail: Deque[bytes] = collections.deque(maxlen=STDERR_TAIL_LINES)
    timed_out = False
    with terminate_as_interrupt():
        try:
            with signals_deferred():
                proc = subprocess.Popen(command, cwd=cwd, env=environment(folder), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise AuditUsageError(f"{command[0]}: cannot start ({exc.strerror or exc})") from None
        pumps = [threading.Thread(target=_pump, args=(proc.stdout, out, None), daemon=True),
                 threading.Thread(target=_pump, args=(proc.stderr, err, tail), daemon=True)]
        for pump in pumps:
            pump.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc, signal.SIGTERM, wait=False)
            try:
                proc.wait(timeout=KILL_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        finally:
            kill_group(proc)
        for pump in pumps:
            pump.join(timeout=5)
    lines = [line.decode("utf-8", "replace").rstrip("\n") for line in tail]
    return ProgramRun(command=list(command), returncode=proc.returncode, seconds=time.monotonic() - start,
                      timed_out=timed_out, stderr_tail=lines)


def _pump(source: IO[bytes], sink: IO[bytes], tail: Optional[Deque[bytes]]) -> None:
    for line in iter(source.readline, b""):
        if tail is not None:
            tail.append(line)
        try:
            sink.write(line)
            sink.flush()
        except (OSError, ValueError):
            pass
    source.close()

"""Commands mlf-lint runs for the user (``verify``, ``audit``): started in a session of their own,
so that they and everything they start can be stopped together, and never outlive mlf-lint."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from typing import Iterator


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while the command starts, so that no interrupt can land between
    the process existing and mlf-lint knowing its id (it would then outlive mlf-lint)."""
    can_block = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    held = {signal.SIGINT, signal.SIGTERM}
    if can_block:
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        if can_block:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


_KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def kill_group(process: subprocess.Popen, sig: int = _KILL, wait: bool = True) -> None:
    """Signal the command and everything it started (SIGKILL unless told otherwise): it runs in its
    own session, so its process group holds its children and grandchildren (data loader workers, a
    shell's jobs) too."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass  # the whole group has already exited
    else:  # pragma: no cover - no process groups (Windows)
        process.kill()
    if wait:
        process.wait()


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``timeout``, a CI runner cancelling the job) ends mlf-lint the way Ctrl-C does: the
    command's process group is killed and the temporary folders removed on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)

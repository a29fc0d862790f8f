"""Read what the agent recorded (``records/<pid>.jsonl``, one file per process) into a trace.

The files are written while the program runs, so a crash can leave a last line cut short: such
a line is skipped, everything before it is kept.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

# The agent's flag bits (see _mlf_lint_audit_agent.AuditMode)
DETERMINISTIC, WARN_ONLY, CUDNN_DETERMINISTIC, CUDNN_BENCHMARK = 1, 2, 4, 8


@dataclass(frozen=True)
class Frame:
    filename: str
    line: int
    function: str
    col: int = -1
    # A torch.nn layer's forward: (class name, id of the site where the layer was built)
    module: Optional[Tuple[str, Optional[int]]] = None


@dataclass
class OpRecord:
    op: str                       # "name" or "name.overload"
    site: int
    phase: str                    # forward | backward
    forward: Optional[str]        # backward: the forward operator whose node ran
    span: Optional[str]           # the traced Python function it ran in
    flags: int
    dtype: str
    device: str
    grad: bool
    draw: int                     # 0 none, 1 from a seeded global generator, 2 before seeding
    args: Dict[str, Any]
    step: int                     # optimizer step it first ran in (1-based)
    seq: int                      # order in the file
    count: int = 1

    @property
    def deterministic_mode(self) -> bool:
        return bool(self.flags & DETERMINISTIC)


@dataclass
class Event:
    """A seeding call, a Python-level draw, an unseeded generator, a first matmul/convolution, a
    DataLoader worker start: the record as written, plus its order in the file."""

    kind: str
    data: Dict[str, Any]
    seq: int
    count: int = 1

    @property
    def site(self) -> Optional[int]:
        return self.data.get("site")

    @property
    def step(self) -> int:
        return int(self.data.get("step") or 1)


@dataclass
class Process:
    pid: int
    ppid: int = 0
    origin: str = "start"          # start | fork
    argv: List[str] = field(default_factory=list)
    stdlib: str = ""
    prefixes: List[str] = field(default_factory=list)
    torch: Dict[str, Any] = field(default_factory=dict)   # version, cuda, file, sys_path
    sites: Dict[int, List[Frame]] = field(default_factory=dict)
    ops: List[OpRecord] = field(default_factory=list)
    events: List[Event] = field(default_factory=list)
    steps: int = 0
    stopped: Optional[str] = None  # "max-steps" when the agent ended the program
    exited: bool = False           # the agent's exit record was written
    errors: List[str] = field(default_factory=list)
    bad_lines: int = 0

    @property
    def is_worker(self) -> bool:
        return any(e.kind == "worker" for e in self.events)

    def of_kind(self, kind: str) -> List[Event]:
        return [e for e in self.events if e.kind == kind]


@dataclass
class Trace:
    processes: List[Process]

    @property
    def main(self) -> Optional[Process]:
        """The program's own process: the first started (not forked) process that is no worker."""
        started = [p for p in self.processes if p.origin == "start" and not p.is_worker]
        return started[0] if started else (self.processes[0] if self.processes else None)

    @property
    def torch_version(self) -> Optional[str]:
        for process in self.processes:
            if process.torch.get("version"):
                return str(process.torch["version"])
        return None

    @property
    def steps(self) -> int:
        return max((p.steps for p in self.processes), default=0)

    @property
    def stopped(self) -> Optional[str]:
        return next((p.stopped for p in self.processes if p.stopped), None)


def _frame(raw: List[Any]) -> Frame:
    module = None
    if len(raw) > 4 and raw[4]:
        module = (str(raw[4][0]), raw[4][1])
    return Frame(str(raw[0]), int(raw[1] or 0), str(raw[2]), int(raw[3]) if len(raw) > 3 else -1, module)


def read_process(path: Path) -> Process:
    process = Process(pid=int(path.stem) if path.stem.isdigit() else 0)
    by_id: Dict[int, Any] = {}
    text = path.read_text(encoding="utf-8", errors="replace")
    for seq, line in enumerate(text.splitlines()):
        try:
            record = json.loads(line)
            _apply(process, record, seq, by_id)
        except (ValueError, KeyError, TypeError, IndexError):
            process.bad_lines += 1
    return process


def _apply(process: Process, record: Dict[str, Any], seq: int, by_id: Dict[int, Any]) -> None:
    kind = record["t"]
    if kind == "proc":
        process.pid, process.ppid = int(record["pid"]), int(record.get("ppid") or 0)
        process.origin = record.get("origin", "start")
        process.argv = list(record.get("argv") or [])
        process.stdlib = record.get("stdlib") or ""
        process.prefixes = list(record.get("prefixes") or [])
    elif kind == "torch":
        process.torch = dict(record)
    elif kind == "site":
        process.sites[int(record["id"])] = [_frame(f) for f in record["frames"]]
    elif kind == "op":
        op = OpRecord(op=record["op"], site=int(record["site"]), phase=record["phase"], forward=record.get("forward"),
                      span=record.get("span"), flags=int(record.get("flags") or 0), dtype=record.get("dtype") or "",
                      device=record.get("device") or "cpu", grad=bool(record.get("grad")),
                      draw=int(record.get("draw") or 0), args={k: _plain(v) for k, v in record.get("args") or ()},
                      step=int(record.get("step") or 1), seq=seq)
        process.ops.append(op)
        by_id[int(record["id"])] = op
    elif kind == "pydraw":
        event = Event(kind, record, seq)
        process.events.append(event)
        by_id[int(record["id"])] = event
    elif kind == "counts":
        for ident, count in record["c"].items():
            target = by_id.get(int(ident))
            if target is not None:
                target.count = max(target.count, int(count))
    elif kind == "step":
        process.steps = max(process.steps, int(record["n"]))
    elif kind == "stop":
        process.stopped = record.get("reason") or "stopped"
    elif kind == "exit":
        process.exited = True
        process.steps = max(process.steps, int(record.get("steps") or 0))
    elif kind == "error":
        process.errors.append(f"{record.get('where')}: {record.get('error')}")
    else:  # seed, rngnew, first, worker
        process.events.append(Event(kind, record, seq))


def _plain(value: Any) -> Any:
    """JSON lists back to tuples, so recorded arguments compare like the agent's values."""
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    return value


def read_trace(folder: Path) -> Trace:
    files = sorted(folder.glob("*.jsonl"), key=lambda p: (len(p.stem), p.stem)) if folder.is_dir() else []
    processes = [read_process(path) for path in files]
    # The program first, then the processes it started, in the order they appeared.
    processes.sort(key=lambda p: (p.origin != "start" or p.is_worker, p.pid))
    return Trace(processes)

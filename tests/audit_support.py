"""Hand-written agent records for the audit's unit tests: a process file as the tracer writes it."""
from __future__ import annotations

import json
import sysconfig
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

LIB = "/opt/env/lib/python3/site-packages"
TORCH = f"{LIB}/torch"


class ProcessFile:
    """Builds ``records/<pid>.jsonl``: sites from (file, line, function) frames, innermost first."""

    def __init__(self, folder: Path, pid: int = 100, torch: str = "2.13.0", origin: str = "start") -> None:
        self.path = folder / f"{pid}.jsonl"
        folder.mkdir(parents=True, exist_ok=True)
        self.lines: List[Dict[str, Any]] = [
            {"t": "proc", "pid": pid, "ppid": 1, "origin": origin, "argv": ["train.py"],
             "stdlib": sysconfig.get_path("stdlib"), "prefixes": []},
            {"t": "torch", "version": torch, "cuda": None, "file": f"{TORCH}/__init__.py", "sys_path": [LIB]},
        ]
        self.sites = 0
        self.ids = 0

    def site(self, *frames: Sequence[Any]) -> int:
        sid = self.sites
        self.sites += 1
        self.lines.append({"t": "site", "id": sid, "frames": [[*f, *([-1] if len(f) == 3 else [])] for f in frames]})
        return sid

    def op(self, op: str, site: int, phase: str = "forward", flags: int = 0, dtype: str = "float32",
           device: str = "cpu", draw: int = 0, args: Optional[Dict[str, Any]] = None, count: int = 1,
           span: Optional[str] = None, forward: Optional[str] = None) -> "ProcessFile":
        ident = self.ids
        self.ids += 1
        self.lines.append({"t": "op", "id": ident, "op": op, "site": site, "phase": phase, "forward": forward,
                           "span": span, "flags": flags, "dtype": dtype, "device": device, "grad": True,
                           "draw": draw, "args": [[k, v] for k, v in (args or {}).items()], "step": 1})
        if count != 1:
            self.lines.append({"t": "counts", "step": 1, "c": {str(ident): count}})
        return self

    def event(self, **record: Any) -> "ProcessFile":
        if record.get("t") == "pydraw":
            record["id"] = self.ids
            self.ids += 1
        self.lines.append(record)
        return self

    def write(self, tail: str = "") -> Path:
        self.path.write_text("".join(json.dumps(line) + "\n" for line in self.lines) + tail, encoding="utf-8")
        return self.path

"""One audit: run the program under the agent, read its records, judge them, apply suppressions."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterable, List, Optional, Sequence, Set

from mlf_lint.audit.judge import Judge, RuntimeFinding
from mlf_lint.audit.program import AGENT_DIR, ProgramRun, run_program, write_config
from mlf_lint.audit.records import Trace, read_trace
from mlf_lint.engine.noqa import file_is_exempt, line_suppressions
from mlf_lint.rules.pytorch.aten import load_aten_index

# ATen operators whose first run records the cuBLAS / cuDNN set-up (CompositeImplicit callers
# such as linear, matmul and conv2d reach these).
FIRST_USE = {**{op: "matmul" for op in ("mm", "addmm", "bmm", "baddbmm", "addbmm", "mv", "addmv", "dot", "vdot",
                                        "addr", "_addmm_activation", "_scaled_mm")},
             "convolution": "conv", "_convolution": "conv"}
ENV_AT_FIRST_USE = ("CUBLAS_WORKSPACE_CONFIG", "CUDA_LAUNCH_BLOCKING", "PYTHONHASHSEED")


@dataclass
class AuditOptions:
    command: List[str]
    root: Path
    cwd: Path
    max_steps: Optional[int] = None
    timeout: Optional[float] = None
    records: Optional[Path] = None     # keep the raw records here (default: a temporary folder)


@dataclass
class AuditResult:
    program: ProgramRun
    trace: Trace
    findings: List[RuntimeFinding]             # reported: enabled and not suppressed
    suppressed: List[RuntimeFinding] = field(default_factory=list)
    executed: Set[tuple] = field(default_factory=set)
    root: Path = field(default_factory=Path.cwd)
    operators_at: dict = field(default_factory=dict)

    @property
    def tracer_started(self) -> bool:
        return bool(self.trace.processes)


def agent_config(options: AuditOptions) -> dict:
    index = load_aten_index()
    return {"max_steps": options.max_steps, "root": str(options.root.resolve()), "detail_ops": index.operators,
            "traced": index.traced, "first_ops": FIRST_USE, "env": list(ENV_AT_FIRST_USE)}


def audit(options: AuditOptions, out: IO[bytes], err: IO[bytes], enabled: Set[str],
          ignored_for: Callable[[str], Iterable[str]] = lambda path: ()) -> AuditResult:
    if options.records is not None:
        return _audit_in(options.records, options, out, err, enabled, ignored_for)
    with tempfile.TemporaryDirectory(prefix="mlf-lint-audit-") as folder:
        return _audit_in(Path(folder), options, out, err, enabled, ignored_for)


def _audit_in(folder: Path, options: AuditOptions, out: IO[bytes], err: IO[bytes], enabled: Set[str],
              ignored_for: Callable[[str], Iterable[str]]) -> AuditResult:
    write_config(folder, agent_config(options))
    program = run_program(options.command, folder, options.cwd, options.timeout, out, err)
    trace = read_trace(folder / "records")
    judgement = Judge(trace, load_aten_index(), options.root, AGENT_DIR).run()
    kept, suppressed = _suppress(judgement.findings, options.root, enabled, ignored_for)
    return AuditResult(program, trace, kept, suppressed, judgement.executed, options.root.resolve(),
                       judgement.operators_at)


def _suppress(findings: Sequence[RuntimeFinding], root: Path, enabled: Set[str],
              ignored_for: Callable[[str], Iterable[str]]):
    """Codes the configuration turns off, per-file ignores, and ``# noqa`` on the reported line or
    on the line that built the layer (where a static finding would have been silenced)."""
    kept: List[RuntimeFinding] = []
    suppressed: List[RuntimeFinding] = []
    sources = _Sources(root)
    for finding in findings:
        if finding.code not in enabled:
            continue
        places = [p for p in (finding.place, finding.built_at) if p is not None]
        silenced = any(sources.suppresses(p.path, p.line, finding.code) for p in places)
        if finding.place is not None:
            silenced = silenced or any(finding.code.startswith(c.upper()) for c in ignored_for(finding.place.path))
        (suppressed if silenced else kept).append(finding)
    return kept, suppressed


class _Sources:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict = {}

    def suppresses(self, path: str, line: int, code: str) -> bool:
        if path not in self.cache:
            try:
                text = (self.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self.cache[path] = (file_is_exempt(text), line_suppressions(text.splitlines()))
        exempt, lines = self.cache[path]
        if exempt:
            return True
        codes = lines.get(line)
        if codes is None:
            return False
        return "*" in codes or any(code.startswith(c) for c in codes)

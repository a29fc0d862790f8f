"""``mlf-lint audit`` output: text (with a summary table), JSON and SARIF.

Findings are the same ``Finding`` objects ``check`` reports, so the SARIF and JSON writers of
``mlf_lint.report`` serve both; the audit adds what only a run knows (counts, the step a finding
first happened in, the chain of frames, the program's exit status) as properties.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

from mlf_lint.audit.crosscheck import CrossCheck
from mlf_lint.audit.judge import RuntimeFinding
from mlf_lint.audit.records import CUDNN_BENCHMARK, CUDNN_DETERMINISTIC, DETERMINISTIC, Trace
from mlf_lint.audit.session import AuditResult
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.registry import all_rules
from mlf_lint.engine.result import RunResult

FORMATS = ("text", "json", "sarif")
WORKER_KEYS = ("worker_id", "num_workers", "origin", "init_fn", "base_seed", "dataset")
AUTOMATION_ID = "mlf-lint-audit/"   # a category of its own: uploading it does not replace `check`'s alerts


def _sorted(findings: List[RuntimeFinding]) -> List[RuntimeFinding]:
    return sorted(findings, key=lambda f: f.to_finding().sort_key())


def program_line(result: AuditResult) -> str:
    run, trace = result.program, result.trace
    command = " ".join(run.command)
    steps = f"{trace.steps} optimizer step{'s' if trace.steps != 1 else ''}"
    if trace.stopped == "max-steps":
        status = f"stopped by --max-steps after {steps}"
    elif run.timed_out:
        status = f"stopped by --timeout after {run.seconds:.0f} s and {steps}"
    elif run.returncode == 0:
        status = f"exit status 0 after {steps}"
    else:
        status = f"FAILED with exit status {run.returncode} after {steps}; the findings are those gathered until then"
    ops = [op for p in trace.processes for op in p.ops]
    total = sum(op.count for op in ops)
    distinct = len({op.op for op in ops})
    workers = sum(1 for p in trace.processes if p.is_worker)
    procs = f"{len(trace.processes)} process{'es' if len(trace.processes) != 1 else ''} traced"
    if workers:
        procs += f" ({workers} DataLoader worker{'s' if workers != 1 else ''})"
    return (f"Program: {command}: {status} ({run.seconds:.1f} s); {procs}; {total} ATen operator calls "
            f"({distinct} distinct); torch {trace.torch_version or 'not imported'}.")


def summary_rows(findings: List[RuntimeFinding]) -> List[Dict[str, Any]]:
    rows: Dict[str, Dict[str, Any]] = {}
    for f in findings:
        row = rows.setdefault(f.code, {"code": f.code, "findings": 0, "count": 0, "first_step": f.first_step,
                                       "subjects": []})
        row["findings"] += 1
        row["count"] += f.count
        row["first_step"] = min(row["first_step"], f.first_step)
        if f.subject not in row["subjects"]:
            row["subjects"].append(f.subject)
    return [rows[c] for c in sorted(rows)]


def render_text(result: AuditResult, cross: Optional[CrossCheck]) -> str:
    rules = all_rules()
    out: List[str] = []
    for f in _sorted(result.findings):
        finding = f.to_finding()
        where = f"{finding.path}:{finding.line}:{finding.col + 1}" if f.place else "(outside the project)"
        out.append(f"{where}: {f.code} {finding.message}")
    if result.findings:
        out += ["", "Observed at run time:", f"  {'code':7} {'findings':>8} {'calls':>8} {'step':>5}  what"]
        for row in summary_rows(result.findings):
            name = rules[row["code"]].name if row["code"] in rules else ""
            subjects = ", ".join(row["subjects"][:3]) + (" …" if len(row["subjects"]) > 3 else "")
            out.append(f"  {row['code']:7} {row['findings']:>8} {row['count']:>8} {row['first_step']:>5}  "
                       f"{name}: {subjects}")
    if cross is not None and not cross.empty:
        out += ["", "Cross-check with the static analysis:"]
        out.append(f"  confirmed by the run ({len(cross.confirmed)}):")
        out += [f"    {s.path}:{s.line}:{s.col + 1}: {s.code}" for s, _ in cross.confirmed]
        out.append(f"  line ran, condition not observed ({len(cross.not_observed)}):")
        out += [f"    {s.path}:{s.line}:{s.col + 1}: {s.code} ({why})" for s, why in cross.not_observed]
        out.append(f"  seen only at run time ({len(cross.runtime_only)}):")
        out += [f"    {_where(r)}: {r.code} {r.chain[-1] if r.chain else r.subject}" for r in cross.runtime_only]
        out.append(f"  static findings on lines the run never reached: {len(cross.not_reached)}")
    out += ["", program_line(result)]
    if result.program.failed and result.program.stderr_tail:
        out.append("Last lines of its standard error:")
        out += [f"  | {line}" for line in result.program.stderr_tail[-12:]]
    if not result.tracer_started:
        out.append("The tracer recorded nothing: the program did not start Python with this environment "
                   "(python -I / -E, or a different program?).")
    errors = sorted({e for p in result.trace.processes for e in p.errors})
    if errors:
        out.append("Tracer problems (the run went on): " + "; ".join(errors[:5]))
    count = len(result.findings)
    severities = Counter(f.severity for f in result.findings)
    parts = ", ".join(f"{severities[s]} {s}{'s' if severities[s] != 1 else ''}"
                      for s in ("error", "warning", "note") if severities[s])
    suppressed = f"; {len(result.suppressed)} suppressed by noqa or config" if result.suppressed else ""
    out.append(f"Found {count} runtime finding{'s' if count != 1 else ''}" + (f" ({parts})" if parts else "")
               + f"{suppressed}." if count else f"No runtime findings{suppressed}.")
    return "\n".join(out) + "\n"


def _where(f: RuntimeFinding) -> str:
    return f"{f.place.path}:{f.place.line}:{f.place.col + 1}" if f.place else "(outside the project)"


def _runtime(f: RuntimeFinding) -> Dict[str, Any]:
    return {"count": f.count, "first_step": f.first_step, "chain": list(f.chain), "kind": f.kind,
            "subject": f.subject, "process": f.process,
            "built_at": {"path": f.built_at.path, "line": f.built_at.line} if f.built_at else None}


def render_json(result: AuditResult, cross: Optional[CrossCheck], root: Path) -> str:
    from mlf_lint.report.json_format import finding_json

    def runtime_json(f: RuntimeFinding) -> Dict[str, Any]:
        if f.place is None:
            data: Dict[str, Any] = {"code": f.code, "message": f.full_message(), "severity": f.severity, "path": None}
        else:
            data = finding_json(f.to_finding(), root)
        data["runtime"] = _runtime(f)
        return data

    def static_json(f: Finding) -> Dict[str, Any]:
        return {"code": f.code, "path": f.path, "line": f.line, "column": f.col + 1, "message": f.message}

    run, trace = result.program, result.trace
    doc: Dict[str, Any] = {
        "program": {"command": run.command, "exit_status": run.returncode, "failed": run.failed,
                    "seconds": round(run.seconds, 3), "timed_out": run.timed_out, "stopped": trace.stopped,
                    "steps": trace.steps, "stderr_tail": run.stderr_tail if run.failed else [],
                    "tracer_started": result.tracer_started},
        "torch": trace.torch_version,
        "findings": [runtime_json(f) for f in _sorted(result.findings)],
        "suppressed": len(result.suppressed),
        "summary": summary_rows(result.findings),
        "operators": operator_table(trace),
        "seeding": _events(result, "seed", ("rng", "fn", "value")),
        "first_use": _first_use(result),
        "workers": [{"pid": p.pid, **{k: e.data.get(k) for k in WORKER_KEYS}}
                    for p in trace.processes for e in p.of_kind("worker")],
        "tracer_errors": sorted({e for p in trace.processes for e in p.errors}),
    }
    if cross is not None:
        doc["crosscheck"] = {
            "confirmed": [{"static": static_json(s), "runtime": runtime_json(r)} for s, r in cross.confirmed],
            "not_observed": [{"static": static_json(s), "why": why} for s, why in cross.not_observed],
            "runtime_only": [runtime_json(r) for r in cross.runtime_only],
            "not_reached": [static_json(s) for s in cross.not_reached],
        }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def operator_table(trace: Trace) -> List[Dict[str, Any]]:
    """Every ATen operator the run executed: calls, phases, devices, dtypes, deterministic mode."""
    table: Dict[str, Dict[str, Any]] = {}
    for process in trace.processes:
        for op in process.ops:
            row = table.setdefault(op.op, {"op": f"aten::{op.op}", "calls": 0, "phases": set(), "devices": set(),
                                           "dtypes": set(), "deterministic_mode": set(), "first_step": op.step})
            row["calls"] += op.count
            row["phases"].add(op.phase)
            row["devices"].add(op.device)
            if op.dtype:
                row["dtypes"].add(op.dtype)
            row["deterministic_mode"].add(bool(op.flags & DETERMINISTIC))
            row["first_step"] = min(row["first_step"], op.step)
    return [{k: sorted(v) if isinstance(v, set) else v for k, v in table[name].items()} for name in sorted(table)]


def _events(result: AuditResult, kind: str, keys: tuple) -> List[Dict[str, Any]]:
    from mlf_lint.audit.frames import FrameKinds, locate
    from mlf_lint.audit.program import AGENT_DIR

    rows = []
    root = result.root
    for process in result.trace.processes:
        kinds = FrameKinds(root, process, AGENT_DIR)
        for event in process.of_kind(kind):
            place = locate(process.sites.get(event.site or -1, ()), kinds, process.sites).place
            rows.append({**{k: event.data.get(k) for k in keys}, "pid": process.pid, "step": event.step,
                         "at": f"{place.path}:{place.line}" if place else None})
    return rows


def _first_use(result: AuditResult) -> List[Dict[str, Any]]:
    rows = _events(result, "first", ("kind", "op", "device", "env", "flags"))
    for row in rows:
        flags = int(row.pop("flags") or 0)
        row.update(deterministic_mode=bool(flags & DETERMINISTIC),
                   cudnn_deterministic=bool(flags & CUDNN_DETERMINISTIC), cudnn_benchmark=bool(flags & CUDNN_BENCHMARK))
    return rows


def render_sarif(result: AuditResult, root: Path, enabled: List[str]) -> str:
    """SARIF 2.1.0 built by the same writer as ``check``'s, with a category of its own, the run's
    properties on each result, and the program's failure as a tool notification."""
    import sarif_om as om

    from mlf_lint.report import sarif

    placed = [f for f in _sorted(result.findings) if f.place is not None]
    run_result = RunResult(root=root, findings=[f.to_finding() for f in placed], files_checked=0,
                           enabled_codes=enabled)
    log = sarif.build_log(run_result, all_rules())
    run = log.runs[0]
    run.automation_details = om.RunAutomationDetails(id=AUTOMATION_ID)
    for sarif_result, finding in zip(run.results, placed):
        sarif_result.properties = {"observedAtRunTime": True, **_runtime(finding)}
    invocation = run.invocations[0]
    program = result.program
    invocation.execution_successful = not program.failed and result.tracer_started
    invocation.exit_code = program.returncode
    notes = list(invocation.tool_execution_notifications or [])
    if program.failed:
        tail = " | ".join(program.stderr_tail[-5:])
        notes.append(om.Notification(level="error", message=om.Message(
            text=f"The audited program exited with status {program.returncode}; the results are those gathered "
                 f"until then. Its last lines of standard error: {tail or '(none)'}.")))
    outside = [f for f in result.findings if f.place is None]
    if outside:
        notes.append(om.Notification(level="warning", message=om.Message(
            text=f"{len(outside)} runtime findings had no frame in the project and are listed in the text and JSON "
                 f"output only.")))
    invocation.tool_execution_notifications = notes or None
    return json.dumps(sarif.to_json(log), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

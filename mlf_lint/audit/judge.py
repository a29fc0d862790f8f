"""Judge a recorded run with the same tables and codes as the static rules.

Each executed ATen operator is looked up in ``rules/pytorch/ops.yaml`` by its ATen name and judged
for the installed torch and for a CUDA device, with the flags that were in force when it ran;
draws from a global generator before it was seeded, seeding calls and the cuDNN/cuBLAS setup at
the first convolution and matmul are judged as the static rules judge their code.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from mlf_lint.audit.frames import FrameKinds, Located, Place, locate
from mlf_lint.audit.records import CUDNN_BENCHMARK, CUDNN_DETERMINISTIC, DETERMINISTIC, WARN_ONLY, Event, OpRecord
from mlf_lint.audit.records import Process, Trace
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.versions import Version, in_range
from mlf_lint.rules.pytorch.aten import AtenEntry, AtenIndex

UNSEEDED_DRAW = "MLF150"
RUNTIME_NOTE = "Observed at run time"
_RNG_NAMES = {"torch": "torch's default generator", "cuda": "torch's CUDA generator",
              "numpy": "NumPy's global generator (np.random)", "random": "Python's global `random` generator"}
_SEED_HINT = {"torch": "torch.manual_seed(seed)", "cuda": "torch.manual_seed(seed)",
              "numpy": "np.random.seed(seed)", "random": "random.seed(seed)"}
# Where the CPU runs one kernel and a CUDA device another for the same Python call
# (aten/src/ATen/native/Dropout.cpp, is_fused_kernel_acceptable: the fused kernel only on CUDA,
# XPU, lazy and privateuse1 tensors).
CUDA_INSTEAD = {("F.dropout", "bernoulli_.float"): "aten::native_dropout"}
# The cuBLAS check of deterministic mode exists in torch 1.8 to 2.9 (MLF401's versions).
CUBLAS_CHECKED = ">=1.8,<2.10"
CUBLAS_VALUES = (":4096:8", ":16:8")


@dataclass
class RuntimeFinding:
    code: str
    severity: str
    message: str
    place: Optional[Place]
    chain: Tuple[str, ...]
    kind: str                          # operator | draw | seed | environment
    subject: str                       # the operator, function or setting it is about
    count: int = 1
    first_step: int = 1
    built_at: Optional[Place] = None
    user_lines: Tuple[Tuple[str, int], ...] = ()
    process: str = "main"              # main | worker | child
    rng: str = ""                      # draws: which generator
    never_seeded: bool = False

    def key(self) -> tuple:
        return (self.code, self.place, self.chain, self.subject, self.kind)

    def to_finding(self) -> Finding:
        place = self.place or Place("", 1, 0)
        return Finding(path=place.path, line=place.line, col=place.col, code=self.code,
                       message=self.full_message(), severity=self.severity)

    def full_message(self) -> str:
        times = f"{self.count}×" if self.count != 1 else "once"
        where = " → ".join(self.chain) if self.chain else "(no frame in the project)"
        built = f"; built at {self.built_at.path}:{self.built_at.line}" if self.built_at else ""
        worker = " in a DataLoader worker" if self.process == "worker" else ""
        return (f"{self.message} {RUNTIME_NOTE}{worker}: {times}, first in step {self.first_step}, "
                f"via {where}{built}.")


@dataclass
class Judgement:
    findings: List[RuntimeFinding] = field(default_factory=list)
    executed: set = field(default_factory=set)      # (path, line) of every project frame that ran
    # (path, line) -> ATen operators run there, or by a layer built there
    operators_at: Dict[Tuple[str, int], set] = field(default_factory=dict)


class Judge:
    def __init__(self, trace: Trace, index: AtenIndex, root: Path, agent_dir: Path) -> None:
        self.trace = trace
        self.index = index
        self.root = root
        self.agent_dir = agent_dir
        version = trace.torch_version
        self.version = Version.parse(version) if version else None

    def run(self) -> Judgement:
        out = Judgement()
        for process in self.trace.processes:
            kinds = FrameKinds(self.root, process, self.agent_dir)
            located: Dict[int, Located] = {}

            def where(site: Optional[int]) -> Located:
                if site not in located:
                    located[site] = locate(process.sites.get(site, ()), kinds, process.sites)  # type: ignore[arg-type]
                return located[site]

            for sid in process.sites:
                out.executed.update(where(sid).user_lines)
            for op in process.ops:
                spot = where(op.site)
                for place in (spot.place, spot.built_at):
                    if place is not None:
                        out.operators_at.setdefault((place.path, place.line), set()).add(op.op)
            role = "worker" if process.is_worker else ("main" if process is self.trace.main else "child")
            found = [*self._operators(process, where), *self._draws(process, where), *self._seeds(process, where),
                     *self._environment(process, where)]
            out.findings.extend(replace(f, process=role) for f in found)
        out.findings = _merge(out.findings)
        return out

    # -- operators ------------------------------------------------------------------------------
    def _operators(self, process: Process, where) -> Iterable[RuntimeFinding]:
        # Operators judged by the same entry at the same call site, with the same flags.
        groups: Dict[tuple, List[Tuple[OpRecord, AtenEntry]]] = {}
        for op in sorted(process.ops, key=lambda o: o.seq):
            entry = self._entry_for(op)
            if entry is not None:
                groups.setdefault((op.site, entry.order, op.flags), []).append((op, entry))
        for members in groups.values():
            entry = members[0][1]
            named = [op for op, _ in members if _named(entry, op.op)]
            if named:
                for op in named:
                    yield from self._operator(entry, op, where(op.site), f"aten::{op.op.split('.')[0]}", op.count)
            else:  # only a traced call's operators ran (SDPA's unfused CPU path): one finding for the call
                op = members[0][0]
                calls = min(o.count for o, _ in members)
                yield from self._operator(entry, op, where(op.site), _short(op.span or ""), calls)

    def _operator(self, entry: AtenEntry, op: OpRecord, located: Located, subject: str,
                  count: int) -> Iterable[RuntimeFinding]:
        verdict = self._verdict(entry, op)
        if verdict is None:
            return
        severity, text = verdict
        yield RuntimeFinding(
            code=entry.entry.code, severity=severity, message=self._op_message(entry, op, located, subject, text),
            place=located.place, chain=(*located.chain, subject + (" (backward)" if op.phase == "backward" else "")),
            kind="operator", subject=subject, count=count, first_step=op.step,
            built_at=located.built_at, user_lines=located.user_lines)

    def _entry_for(self, op: OpRecord) -> Optional[AtenEntry]:
        span = op.span if op.phase == "backward" else None
        result_dtype = op.dtype
        requested = op.args.get("dtype")
        if isinstance(requested, str) and requested.startswith("dtype:"):
            result_dtype = requested[len("dtype:"):]
        for entry in self.index.candidates(op.op, span):
            if entry.entry.backward_only and op.phase != "backward" and not _named(entry, op.op):
                continue
            if entry.entry.torch and (self.version is None or not in_range(self.version, entry.entry.torch)):
                continue
            if not entry.matches(op.args, op.dtype, result_dtype):
                continue
            return entry
        return None

    @staticmethod
    def _verdict(entry: AtenEntry, op: OpRecord) -> Optional[Tuple[str, str]]:
        """(severity, wording) for an operator under the flags it ran with, or None when fine."""
        e = entry.entry
        mode, warn_only = bool(op.flags & DETERMINISTIC), bool(op.flags & WARN_ONLY)
        on_gpu = "on the GPU this run used" if op.device == "cuda" else "on a GPU"
        where = "on any device" if e.device == "any" else on_gpu
        if e.kind == "fixable":
            fixed = mode and not (warn_only and not entry.warn_only_fixes)
            if fixed or (e.fixed_by_cudnn and op.flags & CUDNN_DETERMINISTIC):
                return None
            return "warning", f"is non-deterministic {where}: {e.what}. Deterministic mode fixes it: {e.instead}."
        if mode and not warn_only:
            return "error", (f"raises RuntimeError {where} under torch.use_deterministic_algorithms(True), which "
                             f"this run turns on: {e.what}. Instead: {e.instead}.")
        return "warning", (f"has no deterministic implementation {where}: {e.what}, so results can differ run to "
                           f"run, and under deterministic mode it raises RuntimeError. Instead: {e.instead}.")

    @staticmethod
    def _op_message(entry: AtenEntry, op: OpRecord, located: Located, subject: str, text: str) -> str:
        api = located.api or (_short(op.span) if op.span else "")
        if not subject.startswith("aten::"):
            lead = f"The backward of {subject} ran (on the CPU as unfused operators) and"
        elif op.phase == "backward":
            lead = f"{subject} (the backward of {api or 'aten::' + (op.forward or '?').split('.')[0]})"
        else:
            lead = f"{subject} (called by {api})" if api else subject
        instead = f" On a GPU PyTorch runs {entry.cuda_runs} instead." if entry.cuda_runs else ""
        return f"{lead} {text}{instead}"

    # -- draws before seeding -------------------------------------------------------------------
    def _draws(self, process: Process, where) -> Iterable[RuntimeFinding]:
        seeds = [e for e in process.of_kind("seed") if e.data.get("value") != "random"]
        for op in process.ops:
            if op.draw != 2:
                continue
            rng = "torch" if op.device == "cpu" else "cuda"
            located = where(op.site)
            cuda_op = CUDA_INSTEAD.get((located.api, op.op))
            subject = f"aten::{op.op.split('.')[0]}" + (f" (on a GPU {cuda_op})" if cuda_op else "")
            finding = self._draw(rng, located, subject, located.api_outer or subject, op.seq, seeds, where, op.count,
                                 op.step)
            if finding is not None:
                yield finding
        for event in process.of_kind("pydraw"):
            rng = event.data["rng"]
            located = where(event.site)
            finding = self._draw(rng, located, event.data["fn"], event.data["fn"], event.seq, seeds, where,
                                 event.count, event.step)
            if finding is not None:
                yield finding

    def _draw(self, rng: str, located: Located, subject: str, caller: str, seq: int, seeds: List[Event], where,
              count: int, step: int) -> Optional[RuntimeFinding]:
        if located.place is None or located.during_import:
            return None  # a library's own bookkeeping, not a draw the program's results depend on
        later = next((e for e in seeds if e.seq > seq and e.data.get("rng") in _SEEDS_OF[rng]), None)
        if later is not None:
            seeded_at = where(later.site).place
            at = f" at {seeded_at.path}:{seeded_at.line}" if seeded_at else ""
            when = f"the run seeds it only later, with {later.data.get('fn')}{at}"
        else:
            when = "the run never seeds it"
        # One finding per place, generator and API called: a layer's weight and bias draws are one.
        chain = (*located.frames_chain, *([located.api_outer] if located.api_outer else []), subject)
        message = (f"{caller} draws from {_RNG_NAMES[rng]} before it is seeded ({when}), so every run gets "
                   f"different numbers. Seed it first: {_SEED_HINT[rng]} at the start of the program.")
        return RuntimeFinding(code=UNSEEDED_DRAW, severity="warning", message=message, place=located.place,
                              chain=chain, kind="draw", subject=f"{rng}:{caller}", count=count, first_step=step,
                              built_at=located.built_at, user_lines=located.user_lines, rng=rng,
                              never_seeded=later is None)

    # -- seeding calls --------------------------------------------------------------------------
    def _seeds(self, process: Process, where) -> Iterable[RuntimeFinding]:
        events = process.of_kind("seed")
        for event in events:
            fn, value = event.data.get("fn", ""), event.data.get("value")
            if value == "random":
                yield from _at("MLF111", "error", f"{fn}() seeds {_RNG_NAMES['torch']} with a non-deterministic random "
                               "number, so no two runs agree. Use torch.manual_seed(seed).",
                               where(event.site), fn, event)
            elif value is None and fn in ("random.seed", "numpy.random.seed"):
                rng = "random" if fn == "random.seed" else "numpy"
                yield from _at("MLF001", "warning", f"{fn}() without a seed reseeds {_RNG_NAMES[rng]} from the "
                               f"operating system's entropy, so every run differs. Pass a seed: {fn}(seed).",
                               where(event.site), fn, event)
        labels = {e.data.get("fn") for e in events}
        if "torch.cuda.manual_seed" in labels and not labels & {"torch.manual_seed", "torch.cuda.manual_seed_all"}:
            event = next(e for e in events if e.data.get("fn") == "torch.cuda.manual_seed")
            yield from _at("MLF113", "warning", "torch.cuda.manual_seed seeds the current GPU only; the run never "
                           "calls torch.manual_seed, so the CPU generator and other GPUs stay unseeded. Use "
                           "torch.manual_seed(seed).", where(event.site), "torch.cuda.manual_seed", event)
        for event in process.of_kind("rngnew"):
            located = where(event.site)
            if len(located.chain) == 1:  # the project itself builds the generator (MLF003's meaning)
                yield from _at("MLF003", "warning", "np.random.default_rng() without a seed draws its seed from the "
                               "operating system, so every run differs. Pass a seed: np.random.default_rng(seed).",
                               located, "numpy.random.default_rng", event)

    # -- cuDNN / cuBLAS at the first convolution and matmul ---------------------------------------
    def _environment(self, process: Process, where) -> Iterable[RuntimeFinding]:
        for event in process.of_kind("first"):
            flags = int(event.data.get("flags") or 0)
            on = "on the GPU this run used" if event.data.get("device") == "cuda" else "on a GPU"
            located, op = where(event.site), f"aten::{event.data.get('op')}"
            if event.data.get("kind") == "conv" and flags & CUDNN_BENCHMARK:
                if flags & CUDNN_DETERMINISTIC:
                    yield from _at("MLF122", "error", "torch.backends.cudnn.deterministic and cudnn.benchmark were "
                                   "both True at the first convolution: with benchmark on, cuDNN still picks "
                                   f"algorithms by timing {on}, so the run is not deterministic. Set "
                                   "torch.backends.cudnn.benchmark = False.", located, op, event, "cudnn.benchmark")
                else:
                    yield from _at("MLF120", "warning", "torch.backends.cudnn.benchmark was True at the first "
                                   f"convolution: {on} cuDNN picks convolution algorithms by timing, which can differ "
                                   "between runs. Set torch.backends.cudnn.benchmark = False.", located, op, event,
                                   "cudnn.benchmark")
            checked = self.version is not None and in_range(self.version, CUBLAS_CHECKED)
            if event.data.get("kind") == "matmul" and flags & DETERMINISTIC and checked:
                value = (event.data.get("env") or {}).get("CUBLAS_WORKSPACE_CONFIG")
                if value is None:
                    yield from _at("MLF401", "error", "Deterministic mode was on at the first matmul and "
                                   f"CUBLAS_WORKSPACE_CONFIG was not set: with torch {self.version} a CUDA matmul "
                                   "raises RuntimeError here (CUDA >= 10.2). Set CUBLAS_WORKSPACE_CONFIG=:4096:8 "
                                   "before the process starts.", located, op, event, "CUBLAS_WORKSPACE_CONFIG")
                elif value.strip() not in CUBLAS_VALUES:
                    yield from _at("MLF402", "error", f"CUBLAS_WORKSPACE_CONFIG was '{value}' at the first matmul "
                                   "under deterministic mode; PyTorch accepts only :4096:8 or :16:8, so a CUDA matmul "
                                   "raises RuntimeError. Use :4096:8.", located, op, event, "CUBLAS_WORKSPACE_CONFIG")


def _at(code: str, severity: str, message: str, located: Located, tail: str, event: Event,
        subject: Optional[str] = None) -> Iterable[RuntimeFinding]:
    """A finding about a call or a setting, at the project line that reached it (none without one)."""
    if located.place is None:
        return
    chain = located.chain if located.chain[-1:] == (tail,) else (*located.chain, tail)
    yield RuntimeFinding(code, severity, message, located.place, chain, "seed" if subject is None else "environment",
                         subject or tail, first_step=event.step, user_lines=located.user_lines)


_SEEDS_OF = {"torch": ("torch",), "cuda": ("torch", "cuda"), "numpy": ("numpy",), "random": ("random",)}


def _short(function: str) -> str:
    return function.replace("torch.nn.functional.", "F.")


def _named(entry: AtenEntry, operator: str) -> bool:
    """The entry names this operator itself (a backward operator is the backward by its name)."""
    return operator.split(".", 1)[0] in {name.split(".", 1)[0] for name in entry.aten}


def _merge(findings: List[RuntimeFinding]) -> List[RuntimeFinding]:
    """One finding per code, place, chain and subject: counts add up, the earliest step stays."""
    merged: Dict[tuple, RuntimeFinding] = {}
    for f in findings:
        key = f.key()
        if key in merged:
            kept = merged[key]
            kept.count += f.count
            kept.first_step = min(kept.first_step, f.first_step)
            kept.never_seeded = kept.never_seeded and f.never_seeded
            if f.severity == "error":
                kept.severity, kept.message = f.severity, f.message
        else:
            merged[key] = replace(f)
    return sorted(merged.values(), key=lambda f: (f.place.path if f.place else "~", f.place.line if f.place else 0,
                                                  f.code, f.chain))

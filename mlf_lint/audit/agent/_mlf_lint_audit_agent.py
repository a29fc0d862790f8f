"""The mlf-lint audit agent: records what one process of the audited program executes.

Started by this folder's ``sitecustomize`` in every Python process of the run (the program, its
DataLoader workers, anything it spawns). Standard library only: the program's interpreter need not
have mlf-lint installed. It records facts and judges nothing; ``mlf_lint.audit`` reads the records
afterwards and judges them with the op tables.

What it records, into ``<folder>/records/<pid>.jsonl`` (one JSON object a line, written as it
happens, so a crashing program leaves everything up to the crash):

- every ATen operation PyTorch dispatches, forward and backward (a TorchDispatchMode), aggregated
  by operator, call site (the Python stack), phase, flags in force, dtype, device and
  ``requires_grad``; backward operators are attributed to the forward call that created their
  autograd node;
- seeding calls (torch, torch.cuda, NumPy's and Python's global generators) and draws from those
  generators before they were seeded;
- the environment (CUBLAS_WORKSPACE_CONFIG, cuDNN flags) at the first matmul and convolution;
- DataLoader worker starts, optimizer steps, and a stop after ``max_steps`` steps.

Nothing here may break the program: every hook swallows its own errors and records them once.
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import signal
import sys
import sysconfig
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

ENV = "MLF_LINT_AUDIT"
TAG = "mlf_lint_audit"  # key in an autograd node's metadata: the forward call that created it
_MISSING = object()
_AGENT: Optional["Agent"] = None

# Python-level draws from the global generators. Everything else on those modules (seed,
# get/set state, class constructors) is not a draw.
RANDOM_DRAWS = (
    "random", "uniform", "triangular", "randint", "choice", "randrange", "sample", "shuffle",
    "choices", "normalvariate", "lognormvariate", "expovariate", "vonmisesvariate", "gammavariate",
    "gauss", "betavariate", "paretovariate", "weibullvariate", "getrandbits", "randbytes",
    "binomialvariate",
)
NUMPY_NOT_DRAWS = frozenset({"seed", "get_state", "set_state", "get_bit_generator", "set_bit_generator"})


class Agent:
    def __init__(self, folder: str, config: Dict[str, Any]) -> None:
        self.folder = os.path.join(folder, "records")
        self.max_steps: Optional[int] = config.get("max_steps")
        self.root = config.get("root") or ""
        self.detail_ops = frozenset(config.get("detail_ops", ()))
        self.first_ops: Dict[str, str] = dict(config.get("first_ops", {}))
        self.traced: List[str] = list(config.get("traced", ()))
        self.env_names: List[str] = list(config.get("env", ()))
        self.lock = threading.RLock()
        self.file: Any = None
        self.pid = 0
        self.origin = "start"
        self.sites: Dict[tuple, int] = {}
        self.site_codes: Dict[int, Any] = {}   # keeps the code objects whose ids key ``sites`` alive
        self.emitted: set = set()
        self.site_records: Dict[int, Dict[str, Any]] = {}   # written again into a forked child's file
        self.counted: Dict[tuple, list] = {}  # key -> [id, count, count written]
        self.next_id = 0
        self.ticks = 0
        self.step = 0
        self.pending: List[tuple] = []
        self.local = threading.local()   # .span: the traced function this thread is in
        self.seeded = {"torch": False, "cuda": False, "numpy": False, "random": False}
        self.startup_seed: Optional[int] = None
        self.initial_seed: Optional[Callable[[], int]] = None
        self.firsts: set = set()
        self.once: set = set()
        self.module_sites: "weakref.WeakKeyDictionary[Any, int]" = weakref.WeakKeyDictionary()
        self.torch_modules_dir = ""

    # -- the record file ------------------------------------------------------------------------
    def _open(self) -> None:
        os.makedirs(self.folder, exist_ok=True)
        self.pid = os.getpid()
        # Line-buffered: each record reaches the file when it is written.
        self.file = open(os.path.join(self.folder, f"{self.pid}.jsonl"), "a", buffering=1, encoding="utf-8")
        self.file.write(json.dumps({
            "t": "proc", "pid": self.pid, "ppid": os.getppid(), "origin": self.origin,
            "argv": list(sys.argv), "executable": sys.executable, "cwd": os.getcwd(),
            "python": sys.version.split()[0], "stdlib": sysconfig.get_path("stdlib"),
            "prefixes": sorted({sys.prefix, sys.base_prefix, sys.exec_prefix}),
        }) + "\n")

    def emit(self, record: Dict[str, Any]) -> None:
        with self.lock:
            if self.file is None or os.getpid() != self.pid:
                self._open()
            self.file.write(json.dumps(record, separators=(",", ":"), default=repr) + "\n")

    def error(self, where: str, exc: BaseException) -> None:
        if where not in self.once:
            self.once.add(where)
            try:
                self.emit({"t": "error", "where": where, "error": f"{type(exc).__name__}: {exc}"})
            except Exception:  # noqa: BLE001 - never let the recorder break the program
                pass

    def after_fork(self) -> None:
        """A forked child (a DataLoader worker, a Pool process): its own file, its own counts."""
        self.lock = threading.RLock()
        self.origin = "fork"
        self.file = None
        self.emitted = set()
        self.counted = {}
        self.pending = []
        self.firsts = set()
        self.once = set()
        try:  # a forked child dies of SIGTERM as the parent expects (DataLoader shutdown)
            if signal.getsignal(signal.SIGTERM) is _exit_on_sigterm:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except (ValueError, OSError, AttributeError):
            pass
        try:  # forked multiprocessing children leave through os._exit, which skips atexit
            from multiprocessing import util

            util.Finalize(None, self.finish, exitpriority=100)
        except Exception:  # noqa: BLE001
            pass

    # -- call sites -----------------------------------------------------------------------------
    def site_of(self, frame: Any) -> int:
        """An id for the Python stack ending at ``frame``, written to the file on first use."""
        key: List[int] = []
        append = key.append
        f = frame
        while f is not None:
            append(id(f.f_code))
            append(f.f_lasti)
            f = f.f_back
        tkey = tuple(key)
        sid = self.sites.get(tkey)
        if sid is None:
            sid = len(self.sites)
            self.sites[tkey] = sid
            f = frame
            while f is not None:
                self.site_codes[id(f.f_code)] = f.f_code
                f = f.f_back
            self.site_records[sid] = self._describe_site(sid, frame)
        self.ensure_emitted(sid)
        return sid

    def ensure_emitted(self, sid: int) -> None:
        if sid not in self.emitted:
            self.emitted.add(sid)
            self.emit(self.site_records[sid])

    def _describe_site(self, sid: int, frame: Any) -> Dict[str, Any]:
        frames = []
        f = frame
        while f is not None:
            code = f.f_code
            entry: List[Any] = [code.co_filename, f.f_lineno, getattr(code, "co_qualname", code.co_name),
                                _column(f) if self.root and code.co_filename.startswith(self.root) else -1]
            if code.co_name == "forward" and self.torch_modules_dir and \
                    code.co_filename.startswith(self.torch_modules_dir):
                module = f.f_locals.get("self")
                built = self.module_sites.get(module) if module is not None else None
                if built is not None:
                    self.ensure_emitted(built)
                entry.append([type(module).__name__, built])
            frames.append(entry)
            f = f.f_back
        return {"t": "site", "id": sid, "frames": frames}

    # -- counted records (operators, Python-level draws) ----------------------------------------
    def count(self, key: tuple, describe: Callable[[int], Dict[str, Any]]) -> None:
        rec = self.counted.get(key)
        if rec is not None:
            rec[1] += 1
        else:
            ident = self.next_id
            self.next_id += 1
            self.counted[key] = [ident, 1, 1]
            record = describe(ident)
            record["step"] = self.step + 1
            self.emit(record)
        self.ticks += 1
        if not self.ticks & 0x3FFF:
            self.flush_counts()

    def flush_counts(self) -> None:
        changed = {}
        for rec in list(self.counted.values()):
            if rec[1] != rec[2]:
                changed[str(rec[0])] = rec[1]
                rec[2] = rec[1]
        if changed:
            self.emit({"t": "counts", "step": self.step, "c": changed})

    def finish(self) -> None:
        try:
            self.flush_counts()
            self.emit({"t": "exit", "steps": self.step})
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # -- seeding and draws ----------------------------------------------------------------------
    def seed(self, rng: str, fn: str, value: Any, frame: Any, marks: Tuple[str, ...]) -> None:
        for name in marks:
            self.seeded[name] = True
        self.emit({"t": "seed", "rng": rng, "fn": fn, "value": value, "site": self.site_of(frame),
                   "step": self.step + 1})

    def py_draw(self, rng: str, fn: str, frame: Any) -> None:
        sid = self.site_of(frame)
        self.count(("draw", rng, fn, sid),
                   lambda ident: {"t": "pydraw", "id": ident, "rng": rng, "fn": fn, "site": sid})

    def torch_seeded(self, device: str) -> bool:
        if device == "cpu":
            return self.seeded["torch"] or (self.initial_seed is not None
                                            and self.initial_seed() != self.startup_seed)
        return self.seeded["cuda"]

    def on_step(self) -> None:
        self.step += 1
        self.flush_counts()
        self.emit({"t": "step", "n": self.step})
        if self.max_steps is not None and self.step >= self.max_steps:
            self.emit({"t": "stop", "reason": "max-steps", "steps": self.step})
            raise SystemExit(0)

    # -- autograd attribution -------------------------------------------------------------------
    def resolve_pending(self) -> None:
        """Tag the autograd nodes of the forward calls since the last operator with their site."""
        pending, self.pending = self.pending, []
        for out, tag in pending:
            tensor = out
            if isinstance(out, (tuple, list)):
                tensor = next((o for o in out if hasattr(o, "grad_fn")), None)
            node = getattr(tensor, "grad_fn", None)
            if node is None:
                continue
            try:
                node.metadata.setdefault(TAG, tag)
            except Exception:  # noqa: BLE001 - a node type without metadata
                continue

    # -- installation ---------------------------------------------------------------------------
    def install(self) -> None:
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self.after_fork)
        atexit.register(self.finish)
        self._install_sigterm()
        import random

        self._patch_random(random)
        hooks = {"torch": self._patch_torch, "numpy.random": self._patch_numpy}
        for name in list(hooks):
            if name in sys.modules:
                hooks.pop(name)(sys.modules[name])
        if hooks:
            sys.meta_path.insert(0, _PostImport(hooks, self))

    def _install_sigterm(self) -> None:
        # A program stopped by --timeout gets SIGTERM; ending through SystemExit runs atexit,
        # so the last counts are written. Only where the program has not set a handler itself.
        try:
            if threading.current_thread() is threading.main_thread() and \
                    signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _exit_on_sigterm)
        except (ValueError, OSError, AttributeError):
            pass

    def wrap(self, owner: Any, attr: str, before: Callable[[tuple, dict, Any], None]) -> None:
        original = getattr(owner, attr, None)
        if original is None or getattr(original, "_mlf_lint_audit", False):
            return
        agent = self

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                before(args, kwargs, sys._getframe(1))
            except SystemExit:
                raise
            except Exception as exc:  # noqa: BLE001
                agent.error(f"{getattr(owner, '__name__', owner)}.{attr}", exc)
            return original(*args, **kwargs)

        wrapper._mlf_lint_audit = True  # type: ignore[attr-defined]
        try:
            setattr(owner, attr, wrapper)
        except (AttributeError, TypeError):
            pass

    def _patch_random(self, random: Any) -> None:
        def seeded(label: str) -> Callable[[tuple, dict, Any], None]:
            def before(args: tuple, kwargs: dict, frame: Any) -> None:
                value = args[0] if args else kwargs.get("a", None)
                if label == "random.setstate":
                    value = "state"
                self.seed("random", label, _seed_value(value), frame, ("random",))
            return before

        self.wrap(random, "seed", seeded("random.seed"))
        self.wrap(random, "setstate", seeded("random.setstate"))
        for name in RANDOM_DRAWS:
            if hasattr(random, name):
                self.wrap(random, name, self._py_draw_hook("random", f"random.{name}"))

    def _py_draw_hook(self, rng: str, label: str) -> Callable[[tuple, dict, Any], None]:
        def before(args: tuple, kwargs: dict, frame: Any) -> None:
            if not self.seeded[rng]:
                self.py_draw(rng, label, frame)
        return before

    def _patch_numpy(self, nprandom: Any) -> None:
        legacy = getattr(getattr(nprandom, "mtrand", None), "_rand", None)

        def seeded(label: str) -> Callable[[tuple, dict, Any], None]:
            def before(args: tuple, kwargs: dict, frame: Any) -> None:
                value = "state" if label.endswith("set_state") else (args[0] if args else kwargs.get("seed"))
                self.seed("numpy", label, _seed_value(value), frame, ("numpy",))
            return before

        def new_generator(args: tuple, kwargs: dict, frame: Any) -> None:
            if (args[0] if args else kwargs.get("seed")) is None:
                sid = self.site_of(frame)
                if ("rngnew", sid) not in self.once:
                    self.once.add(("rngnew", sid))
                    self.emit({"t": "rngnew", "fn": "numpy.random.default_rng", "site": sid, "step": self.step + 1})

        self.wrap(nprandom, "seed", seeded("numpy.random.seed"))
        self.wrap(nprandom, "set_state", seeded("numpy.random.set_state"))
        self.wrap(nprandom, "default_rng", new_generator)
        for name in dir(nprandom):
            fn = getattr(nprandom, name, None)
            if name.startswith("_") or name in NUMPY_NOT_DRAWS or legacy is None:
                continue
            if getattr(fn, "__self__", None) is legacy:  # a method of the global RandomState
                self.wrap(nprandom, name, self._py_draw_hook("numpy", f"numpy.random.{name}"))

    def _patch_torch(self, torch: Any) -> None:
        self.initial_seed = torch.initial_seed
        self.startup_seed = torch.initial_seed()
        self.torch_modules_dir = os.path.join(os.path.dirname(torch.__file__), "nn", "modules") + os.sep
        self.emit({"t": "torch", "version": torch.__version__, "cuda": torch.version.cuda,
                   "file": torch.__file__, "sys_path": list(sys.path)})

        def seeding(rng: str, label: str, marks: Tuple[str, ...], random_seed: bool = False,
                    state: bool = False) -> Callable[[tuple, dict, Any], None]:
            def before(args: tuple, kwargs: dict, frame: Any) -> None:
                if random_seed:
                    value: Any = "random"
                elif state:
                    value = "state"
                else:
                    value = _seed_value(args[0] if args else kwargs.get("seed"))
                self.seed(rng, label, value, frame, marks)
            return before

        for owner in (torch, torch.random):
            self.wrap(owner, "manual_seed", seeding("torch", "torch.manual_seed", ("torch", "cuda")))
            self.wrap(owner, "seed", seeding("torch", "torch.seed", ("torch", "cuda"), random_seed=True))
            self.wrap(owner, "set_rng_state", seeding("torch", "torch.set_rng_state", ("torch",), state=True))
        cuda_random = getattr(torch.cuda, "random", None)
        for owner in (torch.cuda, cuda_random):
            if owner is None:
                continue
            self.wrap(owner, "manual_seed", seeding("cuda", "torch.cuda.manual_seed", ("cuda",)))
            self.wrap(owner, "manual_seed_all", seeding("cuda", "torch.cuda.manual_seed_all", ("cuda",)))
            self.wrap(owner, "seed", seeding("cuda", "torch.cuda.seed", ("cuda",), random_seed=True))
            self.wrap(owner, "seed_all", seeding("cuda", "torch.cuda.seed_all", ("cuda",), random_seed=True))
        self._patch_modules(torch)
        self._patch_traced(torch)
        self._patch_workers()
        try:
            from torch.optim.optimizer import register_optimizer_step_post_hook

            register_optimizer_step_post_hook(lambda optimizer, args, kwargs: self.on_step())
        except ImportError as exc:
            self.error("optimizer hook", exc)
        _make_mode(self, torch).__enter__()

    def _patch_modules(self, torch: Any) -> None:
        """Remember where each torch.nn layer was built, to name it beside the place it ran."""
        module_cls = torch.nn.Module
        original = module_cls.__init__
        agent = self

        @functools.wraps(original)
        def init(module: Any, *args: Any, **kwargs: Any) -> None:
            original(module, *args, **kwargs)
            try:
                if type(module).__module__.startswith("torch.nn.") and module not in agent.module_sites:
                    agent.module_sites[module] = agent.site_of(sys._getframe(1))
            except Exception as exc:  # noqa: BLE001
                agent.error("nn.Module.__init__", exc)

        module_cls.__init__ = init

    def _patch_traced(self, torch: Any) -> None:
        """Functions whose every ATen operator is tagged with the call (composites such as SDPA,
        whose CPU decomposition hides which fused kernel a GPU would run)."""
        for dotted in self.traced:
            owner_name, _, attr = dotted.rpartition(".")
            owner = sys.modules.get(owner_name)
            original = getattr(owner, attr, None) if owner is not None else None
            if original is None or getattr(original, "_mlf_lint_audit", False):
                continue
            wrapper = _span(self, dotted, original)
            try:
                setattr(owner, attr, wrapper)
            except (AttributeError, TypeError) as exc:
                self.error(dotted, exc)

    def _patch_workers(self) -> None:
        worker = sys.modules.get("torch.utils.data._utils.worker")
        original = getattr(worker, "_worker_loop", None)
        if original is None:
            return
        import inspect

        signature = inspect.signature(original)
        agent = self

        def _worker_loop(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind_partial(*args, **kwargs).arguments
                init_fn = bound.get("init_fn")
                agent.emit({
                    "t": "worker", "worker_id": bound.get("worker_id"), "num_workers": bound.get("num_workers"),
                    "base_seed": bound.get("base_seed"), "origin": agent.origin,
                    "init_fn": getattr(init_fn, "__qualname__", repr(init_fn)) if init_fn else None,
                    "dataset": type(bound.get("dataset")).__qualname__,
                })
            except Exception as exc:  # noqa: BLE001
                agent.error("worker start", exc)
            return original(*args, **kwargs)

        # Same module and name as the original, so a spawned worker unpickles it by reference.
        _worker_loop.__module__ = original.__module__
        _worker_loop.__qualname__ = original.__qualname__
        _worker_loop._mlf_lint_audit = True  # type: ignore[attr-defined]
        worker._worker_loop = _worker_loop  # type: ignore[union-attr]


def _span(agent: Agent, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def traced(*args: Any, **kwargs: Any) -> Any:
        local = agent.local
        outer = getattr(local, "span", None)
        local.span = name
        try:
            return original(*args, **kwargs)
        finally:
            local.span = outer

    traced._mlf_lint_audit = True  # type: ignore[attr-defined]
    return traced


class _OpInfo:
    __slots__ = ("name", "packet", "random", "generator", "p", "train", "detail", "first", "args")

    def __init__(self, agent: Agent, torch: Any, func: Any) -> None:
        schema = func._schema
        self.packet = schema.name.split("::", 1)[-1]
        overload = func._overloadname
        self.name = self.packet if overload == "default" else f"{self.packet}.{overload}"
        names = [a.name for a in schema.arguments]
        self.random = torch.Tag.nondeterministic_seeded in func.tags
        self.generator = names.index("generator") if "generator" in names else None
        # Dropout-style operators draw nothing when their drop probability is 0; a plain
        # ``p`` elsewhere (bernoulli_, _fused_dropout's keep probability) still draws.
        self.p = next((names.index(n) for n in ("dropout_p", "dropout") if n in names), None)
        if self.p is None and "dropout" in self.packet and not self.packet.startswith("_fused") and "p" in names:
            self.p = names.index("p")
        self.train = next((names.index(n) for n in ("train", "training") if n in names), None)
        self.detail = self.packet in agent.detail_ops or self.name in agent.detail_ops
        self.first = agent.first_ops.get(self.packet)
        self.args = [(a.name, a.default_value if a.has_default_value() else _MISSING) for a in schema.arguments]


def _make_mode(agent: Agent, torch: Any) -> Any:
    from torch.utils._python_dispatch import TorchDispatchMode

    current_node = torch._C._current_autograd_node
    deterministic = torch._C._get_deterministic_algorithms
    warn_only = torch._C._get_deterministic_algorithms_warn_only
    cudnn_deterministic = torch._C._get_cudnn_deterministic
    cudnn_benchmark = torch._C._get_cudnn_benchmark
    grad_enabled = torch.is_grad_enabled
    tensor_type = torch.Tensor
    dtype_type = torch.dtype
    getframe = sys._getframe
    local = agent.local
    infos: Dict[Any, _OpInfo] = {}
    dtypes: Dict[Any, str] = {}

    def op_info(func: Any) -> _OpInfo:
        info = infos.get(func)
        if info is None:
            info = infos[func] = _OpInfo(agent, torch, func)
        return info

    def draw_kind(info: _OpInfo, args: tuple, kwargs: dict, device: str) -> int:
        """0: no draw from a global generator; 1: a seeded one; 2: before the generator was seeded."""
        generator = kwargs.get("generator")
        if generator is None and info.generator is not None and info.generator < len(args):
            generator = args[info.generator]
        if generator is not None:
            return 0  # a private torch.Generator: starts from a fixed seed unless seeded otherwise
        if info.p is not None:
            p = args[info.p] if info.p < len(args) else kwargs.get(info.args[info.p][0])
            if p == 0:
                return 0
        if info.train is not None:
            train = args[info.train] if info.train < len(args) else kwargs.get(info.args[info.train][0])
            if train is False:
                return 0
        return 1 if agent.torch_seeded(device) else 2

    def details(info: _OpInfo, args: tuple, kwargs: dict) -> tuple:
        out = []
        for index, (name, default) in enumerate(info.args):
            value = args[index] if index < len(args) else kwargs.get(name, default)
            if value is _MISSING:
                continue
            out.append((name, _summary(value, tensor_type, dtype_type)))
        return tuple(out)

    class AuditMode(TorchDispatchMode):
        def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: Optional[dict] = None) -> Any:
            if kwargs is None:
                kwargs = {}
            try:
                if agent.pending:
                    agent.resolve_pending()
                info = infos.get(func) or op_info(func)
                node = current_node()
                tag = None
                if node is not None:
                    try:
                        tag = node.metadata.get(TAG)
                    except Exception:  # noqa: BLE001
                        tag = None
                if tag is None:
                    sid, forward, span = agent.site_of(getframe(1)), None, getattr(local, "span", None)
                else:
                    sid, forward, span = tag
                first = None
                requires_grad = False
                for value in args:
                    if isinstance(value, tensor_type):
                        if first is None:
                            first = value
                        if value.requires_grad:
                            requires_grad = True
                if first is not None:
                    dtype = dtypes.get(first.dtype) or dtypes.setdefault(first.dtype, str(first.dtype)[6:])
                    device = first.device.type
                else:
                    dtype = ""
                    device = kwargs.get("device")
                    device = getattr(device, "type", device) or "cpu"
                flags = deterministic() | warn_only() << 1 | cudnn_deterministic() << 2 | cudnn_benchmark() << 3
                draw = draw_kind(info, args, kwargs, device) if info.random else 0
                detail = details(info, args, kwargs) if info.detail else ()
                backward = node is not None
                key = (info.name, sid, backward, forward, span, flags, dtype, device, requires_grad, draw, detail)
                agent.count(key, lambda ident: {
                    "t": "op", "id": ident, "op": info.name, "site": sid,
                    "phase": "backward" if backward else "forward", "forward": forward, "span": span,
                    "flags": flags, "dtype": dtype, "device": device, "grad": requires_grad, "draw": draw,
                    "args": [list(pair) for pair in detail],
                })
                if info.first is not None and (info.first, device) not in agent.firsts:
                    agent.firsts.add((info.first, device))
                    agent.emit({"t": "first", "kind": info.first, "op": info.name, "device": device, "site": sid,
                                "flags": flags, "env": {n: os.environ.get(n) for n in agent.env_names},
                                "step": agent.step + 1})
                track = not backward and requires_grad and grad_enabled()
            except SystemExit:
                raise
            except Exception as exc:  # noqa: BLE001 - the op still runs
                agent.error("dispatch", exc)
                track = False
            out = func(*args, **kwargs)
            if track:
                agent.pending.append((out, (sid, info.name, span)))
            return out

    return AuditMode()


def _summary(value: Any, tensor_type: type, dtype_type: type) -> Any:
    """A small, hashable, JSON-able stand-in for an operator argument."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tensor_type):
        return f"tensor:{str(value.dtype)[6:]}"
    if isinstance(value, dtype_type):
        return f"dtype:{str(value)[6:]}"
    if isinstance(value, (list, tuple)):
        if len(value) > 8:
            return "list"
        return tuple(_summary(v, tensor_type, dtype_type) for v in value)
    return type(value).__name__


def _seed_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return repr(value)[:80]


def _column(frame: Any) -> int:
    """The 0-based column of the call a frame is executing (Python 3.11+), else -1."""
    positions = getattr(frame.f_code, "co_positions", None)
    if positions is None or frame.f_lasti < 0:
        return -1
    for index, position in enumerate(positions()):
        if index == frame.f_lasti // 2:
            return position[2] if position[2] is not None else -1
    return -1


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


class _PostImport:
    """A meta-path finder that runs a patch right after a module's own code has run."""

    def __init__(self, hooks: Dict[str, Callable[[Any], None]], agent: Agent) -> None:
        self.hooks = hooks
        self.agent = agent

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        hook = self.hooks.get(name)
        if hook is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module
        agent = self.agent

        def exec_module(module: Any) -> None:
            original(module)
            try:
                hook(module)
            except Exception as exc:  # noqa: BLE001
                agent.error(f"patching {name}", exc)

        loader.exec_module = exec_module
        return spec


def start() -> None:
    global _AGENT
    if _AGENT is not None:
        return
    folder = os.environ[ENV]
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as handle:
        config = json.load(handle)
    _AGENT = Agent(folder, config)
    _AGENT.install()

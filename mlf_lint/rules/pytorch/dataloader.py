"""DataLoader workers and random state (MLF130).

Since torch 1.9 (pytorch#56488) every worker seeds `random`, `torch` and NumPy's global RNG from
``base_seed + worker_id`` (torch/utils/data/_utils/worker.py ``_worker_loop``), and ``base_seed`` is
drawn from the loader's generator or the global torch RNG: a seeded run repeats without any
worker_init_fn. What the workers do not reseed: NumPy's global RNG before torch 1.9, and generator
objects made in the parent process, which every worker receives as a copy in the same state.
"""
from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Set, Tuple

from mlf_lint.engine.context import ABSENT, ModuleContext
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.engine.versions import Version

DATALOADERS = ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader")
NUMPY_SEEDED_IN_WORKERS = Version.parse("1.9")
# Generator objects: a copy in each worker starts from the parent's state.
RNG_CONSTRUCTORS = {
    "random.Random": "random.Random", "numpy.random.default_rng": "np.random.default_rng",
    "numpy.random.RandomState": "np.random.RandomState", "numpy.random.Generator": "np.random.Generator",
    "torch.Generator": "torch.Generator",
}
_WORKER_METHODS = ("__getitem__", "__getitems__", "__iter__", "__next__")
# Text every reported module contains: a constructor's name and a worker-side method. Most modules
# of a big project have neither, and the class walk below is the costly part of this rule.
_CONSTRUCTOR_WORDS = tuple(sorted({name.rsplit(".", 1)[-1] for name in RNG_CONSTRUCTORS}))


def uses_workers(ctx: ModuleContext, node: ast.Call) -> bool:
    workers = ctx.arg(node, "num_workers", 5)
    return workers is not ABSENT and workers != 0


class DataLoaderWorkers(CodeRule):
    codes = ("MLF130",)
    keywords = ("DataLoader", "Dataset", "__getitem__", "__iter__")
    calls = DATALOADERS
    wants_end = True

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        if not uses_workers(ctx, node) or ctx.arg_node(node, "worker_init_fn", 9) is not None:
            return
        version = ctx.facts.version("torch")
        if version >= NUMPY_SEEDED_IN_WORKERS or ctx.facts.workers_seeded:
            return  # torch seeds NumPy in every worker; seed_everything(workers=True) installs a worker_init_fn
        ctx.report(node, "MLF130",
                   f"DataLoader with worker processes and no worker_init_fn on torch {version}: before torch "
                   "1.9 the workers do not reseed NumPy's global RNG, so every worker starts from the same "
                   "NumPy state and np.random augmentations repeat across workers. Pass a worker_init_fn that "
                   "seeds NumPy from torch.initial_seed(), or upgrade to torch >= 1.9, which does it.")

    def on_end(self, ctx: ModuleContext) -> None:
        if not ctx.facts.dataloader_workers or "get_worker_info" in ctx.source:
            return  # no loader runs workers, or the dataset reseeds per worker itself
        if not any(word in ctx.source for word in _CONSTRUCTOR_WORDS) \
                or not any(name in ctx.source for name in _WORKER_METHODS):
            return
        for node, shown, owner in _parent_generators(ctx):
            ctx.report(node, "MLF130",
                       f"this {shown} is created in the parent process and drawn from in {owner}: each "
                       "DataLoader worker gets a copy in the same state, so all workers draw the same numbers "
                       "(identical augmentations), and unless persistent_workers=True the workers of each new "
                       "epoch start again from that state, so every epoch repeats them. Create it in the "
                       "worker (lazily in "
                       f"{owner.split('.')[-1]}, or in a worker_init_fn through "
                       "torch.utils.data.get_worker_info()), seeded from torch.initial_seed().")


def _parent_generators(ctx: ModuleContext) -> Iterator[Tuple[ast.AST, str, str]]:
    """(creation, constructor shown, class.method that draws) for generators a worker copies."""
    module_rngs = _module_generators(ctx)
    for cls in ast.walk(ctx.tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        methods = {f.name: f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        drawing = _worker_side(methods)
        if not drawing:
            continue
        created = _self_generators(ctx, methods)
        used_attrs = {attr: method for method in drawing for attr in _self_attributes(method)}
        # An attribute (re)created inside a worker method is made in the worker: fine.
        made_in_worker = {attr for method in drawing for attr in _self_assigned(method)}
        for attr, (node, shown) in created.items():
            if attr in used_attrs and attr not in made_in_worker:
                yield node, shown, f"{cls.name}.{used_attrs[attr].name}"
        for method in drawing:
            names = {n.id for n in ast.walk(method) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            for name in sorted(names & set(module_rngs)):
                node, shown = module_rngs.pop(name)
                yield node, shown, f"{cls.name}.{method.name}"


def _worker_side(methods: Dict[str, ast.AST]) -> List[ast.AST]:
    """The methods that run in a worker: __getitem__/__iter__ and the methods they call on self."""
    todo = [name for name in _WORKER_METHODS if name in methods]
    seen: List[str] = []
    while todo:
        name = todo.pop()
        if name in seen or name == "__init__":
            continue
        seen.append(name)
        for node in ast.walk(methods[name]):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and _is_self_attribute(func) and func.attr in methods:
                todo.append(func.attr)
    return [methods[name] for name in seen]


def _constructor(ctx: ModuleContext, value: ast.AST) -> str:
    """The generator constructor ``value`` calls (``np.random.default_rng(0)``), or ""."""
    if isinstance(value, ast.Call):
        name = ctx.resolve(value.func)
        if name in RNG_CONSTRUCTORS:
            return RNG_CONSTRUCTORS[name]
        # torch.Generator().manual_seed(s) returns the generator itself
        if isinstance(value.func, ast.Attribute) and value.func.attr == "manual_seed":
            return _constructor(ctx, value.func.value)
    return ""


def _module_generators(ctx: ModuleContext) -> Dict[str, Tuple[ast.AST, str]]:
    found: Dict[str, Tuple[ast.AST, str]] = {}
    for stmt in ctx.tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            shown = _constructor(ctx, stmt.value)
            if shown:
                found[stmt.targets[0].id] = (stmt.value, shown)
    return found


def _self_generators(ctx: ModuleContext, methods: Dict[str, ast.AST]) -> Dict[str, Tuple[ast.AST, str]]:
    found: Dict[str, Tuple[ast.AST, str]] = {}
    for name, method in methods.items():
        if name != "__init__" and not name.startswith(("set", "reset", "init", "_init")):
            continue  # made where the parent builds the dataset
        for node in ast.walk(method):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if _is_self_attribute(target):
                    shown = _constructor(ctx, node.value)
                    if shown:
                        found.setdefault(target.attr, (node.value, shown))  # type: ignore[attr-defined]
    return found


def _is_self_attribute(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _self_attributes(method: ast.AST) -> Set[str]:
    return {n.attr for n in ast.walk(method) if _is_self_attribute(n) and isinstance(n.ctx, ast.Load)}


def _self_assigned(method: ast.AST) -> List[str]:
    return [n.attr for n in ast.walk(method) if _is_self_attribute(n) and isinstance(n.ctx, ast.Store)]

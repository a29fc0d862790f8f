"""The seeding/determinism/training table (``seeders.yaml``) as lookups for the fact pass."""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Tuple

from mlf_lint.engine.evaluate import UNKNOWN, argument
from mlf_lint.engine.registry import read_table

# RNG name in the table -> the fact that records it.
SEED_FACTS = {"torch": "torch_seeded", "torch_cuda": "torch_cuda_seeded", "numpy": "numpy_seeded",
              "random": "random_seeded", "tf": "tf_seeded"}


@dataclass(frozen=True)
class Condition:
    arg: str
    pos: Optional[int]
    want: Any  # True/False, "present", "absent", "truthy", "given" (passed and not None)

    def holds(self, call: ast.Call, value: Callable[[ast.AST], Any]) -> bool:
        node = argument(call, self.arg, self.pos)
        if self.want == "present":
            return node is not None
        if self.want == "absent":
            return node is None
        if node is None:
            return False
        found = value(node)
        if self.want == "truthy":
            return found is UNKNOWN or bool(found)
        if self.want == "given":
            return found is not None
        return found is self.want


@dataclass(frozen=True)
class Effect:
    source: str
    seeds: Tuple[str, ...] = ()
    late: bool = False
    deterministic: bool = False
    warn_only: Optional[Condition] = None
    deterministic_arg: Optional[Condition] = None
    workers_seeded: Optional[Condition] = None
    cudnn_deterministic: bool = False
    tf_op_determinism: bool = False
    seeding_unknown: bool = False
    env: Tuple[Tuple[str, str], ...] = ()
    when: Tuple[Condition, ...] = ()
    unless: Optional[Condition] = None

    def facts(self, call: ast.Call, value: Callable[[ast.AST], Any]) -> List[str]:
        """The facts this call adds (none when a condition fails)."""
        if not all(c.holds(call, value) for c in self.when):
            return []
        if self.unless is not None and self.unless.holds(call, value):
            return []
        out = []
        for rng in self.seeds:
            fact = SEED_FACTS[rng]
            out.append("torch_seeded_late" if self.late and rng == "torch" else fact)
        if self.late:
            out.append("torch_seeded_late")
        if self.deterministic or (self.deterministic_arg and self.deterministic_arg.holds(call, value)):
            if self.warn_only is not None and self.warn_only.holds(call, value):
                out.append("torch_deterministic_warn_only")
            else:
                out += ["torch_deterministic", "torch_deterministic_api"]
        if self.workers_seeded is not None and self.workers_seeded.holds(call, value):
            out.append("workers_seeded")
        if self.cudnn_deterministic:
            out.append("cudnn_deterministic")
        if self.tf_op_determinism:
            out.append("tf_op_determinism")
        if self.seeding_unknown:
            out.append("seeding_unknown")
        return list(dict.fromkeys(out))


def _condition(data: Optional[Mapping[str, Any]], default: Any = True) -> Optional[Condition]:
    if not data:
        return None
    return Condition(arg=data["arg"], pos=data.get("pos"), want=data.get("is", default))


@dataclass(frozen=True)
class Training:
    methods: Mapping[str, str]
    calls: FrozenSet[str]
    trainer_factories: FrozenSet[str]
    defines: FrozenSet[str]


@functools.lru_cache(maxsize=None)
def table() -> Tuple[Dict[str, List[Effect]], Training]:
    raw = read_table(Path(__file__).with_name("seeders.yaml"))
    effects: Dict[str, List[Effect]] = {}
    for section, entries in raw.items():
        if section in ("trains", "global_draws"):
            continue
        for data in entries:
            effect = Effect(
                source=data.get("source", ""), seeds=tuple(data.get("seeds", ())), late=bool(data.get("late")),
                deterministic=bool(data.get("deterministic")), warn_only=_condition(data.get("warn_only")),
                deterministic_arg=_condition(data.get("deterministic_arg")),
                workers_seeded=_condition(data.get("workers_seeded")),
                cudnn_deterministic=bool(data.get("cudnn_deterministic")),
                tf_op_determinism=bool(data.get("tf_op_determinism")),
                seeding_unknown=bool(data.get("seeding_unknown")),
                env=tuple(sorted((data.get("env") or {}).items())),
                when=tuple(c for c in (_condition(w) for w in data.get("when", ())) if c),
                unless=_condition(data.get("unless")),
            )
            for name in data["calls"]:
                effects.setdefault(name, []).append(effect)
    trains = raw["trains"]
    training = Training(
        methods=dict(trains["methods"]), calls=frozenset(trains["calls"]),
        trainer_factories=frozenset(trains["trainer_factories"]), defines=frozenset(trains["defines"]),
    )
    return effects, training


def is_training_step(qualname: Optional[str], method: Optional[str], receiver: Optional[str],
                     made_by: Optional[str]) -> bool:
    """A call that trains: ``dist_autograd.backward(...)`` (``qualname``), or ``method`` called on
    ``receiver`` (its dotted name as written; ``made_by``: the qualified call it was assigned from)."""
    _, training = table()
    if qualname is not None:
        return qualname in training.calls
    kind = training.methods.get(method or "")
    if kind is None:
        return False
    if kind == "any":
        return True
    last = (receiver or "").rsplit(".", 1)[-1].lower()
    if kind == "optimizer":
        return "optim" in last or last.endswith("opt")
    if kind == "model":
        return True
    factory = (made_by or "") in training.trainer_factories
    if kind == "trainer_or_model":
        return factory or "trainer" in last
    if kind == "hf_trainer":
        return (made_by or "").startswith("transformers.") and factory
    return False


@functools.lru_cache(maxsize=None)
def global_draws() -> Dict[str, Tuple[str, ...]]:
    """Qualified names of the calls that draw from NumPy's / Python's global RNG, per RNG."""
    raw = read_table(Path(__file__).with_name("seeders.yaml"))["global_draws"]
    return {"numpy": tuple(f"numpy.random.{n}" for n in raw["numpy"]),
            "random": tuple(f"random.{n}" for n in raw["random"])}

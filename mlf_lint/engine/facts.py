"""Project facts: what the project as a whole does (seeding, deterministic mode, env vars, pins).

Rules read these to decide context, e.g. an op that ``torch.use_deterministic_algorithms(True)``
makes deterministic is not reported where the project enables the mode. Facts are collected by a
cheap pass over the project (see ``mlf_lint.lint.facts``), and a cached result depends on the facts
it was computed under (``ProjectFacts.key``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

# A place in the project: (relative path, line).
Where = Tuple[str, int]


@dataclass
class ProjectFacts:
    # Seeding, each with where it happens (a call in a helper counts where the helper is called).
    torch_seeded: List[Where] = field(default_factory=list)        # torch.manual_seed, seed_everything
    torch_cuda_seeded: List[Where] = field(default_factory=list)   # torch.cuda.manual_seed(_all): CUDA only
    # Seeded only after the model was built: HF Trainer(model=...) seeds in __init__, or a seed call
    # below the model's construction in the same function.
    torch_seeded_late: List[Where] = field(default_factory=list)
    # Seeding decided outside the code (LightningCLI's config): seeding rules stay quiet.
    seeding_unknown: List[Where] = field(default_factory=list)
    # Training steps the program reaches (loss.backward(), optimizer.step(), trainer.fit(...)).
    trains: List[Where] = field(default_factory=list)
    # use_deterministic_algorithms(True), Trainer(deterministic=True)
    torch_deterministic: List[Where] = field(default_factory=list)
    torch_deterministic_api: List[Where] = field(default_factory=list)  # use_deterministic_algorithms(True) itself
    torch_deterministic_warn_only: List[Where] = field(default_factory=list)
    cudnn_deterministic: List[Where] = field(default_factory=list)
    cudnn_benchmark: List[Where] = field(default_factory=list)       # cudnn.benchmark = True
    workers_seeded: List[Where] = field(default_factory=list)        # seed_everything(..., workers=True)
    dataloader_workers: List[Where] = field(default_factory=list)    # DataLoader(num_workers>0)
    uses_cuda: List[Where] = field(default_factory=list)             # .cuda(), device="cuda", .to("cuda")
    tf_seeded: List[Where] = field(default_factory=list)
    tf_op_determinism: List[Where] = field(default_factory=list)
    numpy_seeded: List[Where] = field(default_factory=list)
    random_seeded: List[Where] = field(default_factory=list)
    # Frameworks the project's (non-test) modules import: "torch", "lightning", "tensorflow", "xgboost".
    frameworks: Dict[str, List[Where]] = field(default_factory=dict)
    # Environment variables set anywhere the run sees them: name -> [(path, line, value)].
    env_vars: Dict[str, List[Tuple[str, int, str]]] = field(default_factory=dict)
    # The programs (entry files, relative to the root) whose facts these are; empty: library code
    # reached by no program, judged with the facts of its whole root.
    programs: List[str] = field(default_factory=list)
    # Pinned library versions (from project files, or --target-version): name -> "2.4.1".
    versions: Dict[str, str] = field(default_factory=dict)

    def key(self) -> str:
        """A digest of every fact; a cached finding list is valid only under the same key."""
        return hashlib.sha256(json.dumps(self.as_data(), sort_keys=True).encode()).hexdigest()[:16]

    def as_data(self) -> Dict[str, Any]:
        """The facts as plain data for JSON (what ``asdict`` gives, without its deep copy: the
        places are tuples already, which JSON writes as lists)."""
        return dict(vars(self))

    @classmethod
    def from_data(cls, data: Dict[str, Any]) -> "ProjectFacts":
        """Facts from their JSON form (``asdict``), places as tuples again. Raises TypeError or
        ValueError on data of another shape."""
        def places(value: Any) -> Any:  # [[path, line], ...] -> [(path, line), ...]; other lists as they are
            return [tuple(v) if isinstance(v, list) else v for v in value] if isinstance(value, list) else value

        restored: Dict[str, Any] = {}
        for name, value in data.items():
            if isinstance(value, dict):
                restored[name] = {key: places(v) for key, v in value.items()}
            else:
                restored[name] = places(value)
        return cls(**restored)


@dataclass
class FileFacts:
    """What one file is judged under: the facts of each group of programs that reach it (programs
    whose facts are equal share a group), or one group with no program (library code: the facts of
    its whole root); and the functions of the file that run only where no backward pass runs."""

    groups: List[Tuple[Tuple[str, ...], ProjectFacts]]
    quiet_functions: Tuple[str, ...] = ()
    # Per group: the file's functions its programs call (None: not known, judge everything); a
    # finding inside a function none of the groups reaches is judged with ``library`` instead.
    reached: Optional[List[Optional[FrozenSet[str]]]] = None
    library: Optional[ProjectFacts] = None
    defined: FrozenSet[str] = frozenset()   # the file's functions (by name)

    @classmethod
    def of(cls, facts: "ProjectFacts | FileFacts") -> "FileFacts":
        return facts if isinstance(facts, FileFacts) else cls([(tuple(facts.programs), facts)])

    @property
    def first(self) -> ProjectFacts:
        return self.groups[0][1]

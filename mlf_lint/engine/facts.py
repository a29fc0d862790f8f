"""Project facts: what the project as a whole does (seeding, deterministic mode, env vars, pins).

Rules read these to decide context, e.g. an op that ``torch.use_deterministic_algorithms(True)``
makes deterministic is not reported where the project enables the mode. Facts are collected by a
cheap pass over the project (see ``mlf_lint.lint.facts``), and a cached result depends on the facts
it was computed under (``ProjectFacts.key``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Tuple

# A place in the project: (relative path, line).
Where = Tuple[str, int]


@dataclass
class ProjectFacts:
    # Seeding, each with where it happens (a call in a helper counts where the helper is called).
    torch_seeded: List[Where] = field(default_factory=list)        # torch.manual_seed, seed_everything
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
    # Pinned library versions (from project files, or --target-version): name -> "2.4.1".
    versions: Dict[str, str] = field(default_factory=dict)

    def key(self) -> str:
        """A digest of every fact; a cached finding list is valid only under the same key."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @classmethod
    def from_data(cls, data: Dict[str, Any]) -> "ProjectFacts":
        """Facts from their JSON form (``asdict``), places as tuples again. Raises TypeError or
        ValueError on data of another shape."""
        restored: Dict[str, Any] = {}
        for name, value in data.items():
            if isinstance(value, list):
                restored[name] = [tuple(place) for place in value]
            elif isinstance(value, dict) and name != "versions":
                restored[name] = {key: [tuple(place) for place in places] for key, places in value.items()}
            else:
                restored[name] = value
        return cls(**restored)

"""What ``verify`` leaves out of the comparison because it differs between runs by nature.

The defaults are data so that ``docs/verify.md`` and ``--format json`` can list them; the user extends
each list with ``--ignore-pattern``, ``--ignore-metric``, ``--ignore-param`` and ``--ignore-tag``.
Never compared at all (not configurable): a metric's timestamp column and the run's ``meta.yaml``
(run_id, run_name, start_time, end_time, artifact_uri, user_id, experiment_id, status).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Dict, Iterable, List, Tuple

# Caches the interpreter or the OS writes next to outputs; never part of a result.
DEFAULT_ARTIFACT_PATTERNS: Tuple[str, ...] = ("__pycache__", "*.pyc", ".DS_Store")
# MLflow system metrics (CPU, GPU, memory use) measure the machine, not the model.
DEFAULT_METRIC_PATTERNS: Tuple[str, ...] = ("system/*",)
DEFAULT_PARAM_PATTERNS: Tuple[str, ...] = ()
# mlflow.* tags are set by MLflow itself: a random run name, user, source file, git commit (the same
# for every run of one working tree, so comparing it proves nothing), log-model history with run ids.
DEFAULT_TAG_PATTERNS: Tuple[str, ...] = ("mlflow.*",)
# Keys of an MLmodel file that carry the run id, a creation time or a random id.
MLMODEL_VOLATILE_KEYS: Tuple[str, ...] = ("run_id", "utc_time_created", "model_uuid", "model_id")


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


@dataclass(frozen=True)
class Exclusions:
    artifact_patterns: Tuple[str, ...] = DEFAULT_ARTIFACT_PATTERNS
    metric_patterns: Tuple[str, ...] = DEFAULT_METRIC_PATTERNS
    param_patterns: Tuple[str, ...] = DEFAULT_PARAM_PATTERNS
    tag_patterns: Tuple[str, ...] = DEFAULT_TAG_PATTERNS

    @classmethod
    def with_extra(
        cls,
        artifacts: Iterable[str] = (),
        metrics: Iterable[str] = (),
        params: Iterable[str] = (),
        tags: Iterable[str] = (),
    ) -> "Exclusions":
        return cls(
            artifact_patterns=DEFAULT_ARTIFACT_PATTERNS + tuple(artifacts),
            metric_patterns=DEFAULT_METRIC_PATTERNS + tuple(metrics),
            param_patterns=DEFAULT_PARAM_PATTERNS + tuple(params),
            tag_patterns=DEFAULT_TAG_PATTERNS + tuple(tags),
        )

    def ignores_artifact(self, relative_path: str) -> bool:
        """A pattern excludes a file when it matches the whole relative path or any one component,
        so ``*.log`` drops every log file and ``cache`` drops everything below a ``cache`` folder."""
        parts = PurePosixPath(relative_path).parts
        return _matches(relative_path, self.artifact_patterns) or any(
            _matches(part, self.artifact_patterns) for part in parts
        )

    def ignores_metric(self, name: str) -> bool:
        return _matches(name, self.metric_patterns)

    def ignores_param(self, name: str) -> bool:
        return _matches(name, self.param_patterns)

    def ignores_tag(self, name: str) -> bool:
        return _matches(name, self.tag_patterns)

    def as_dict(self) -> Dict[str, List[str]]:
        return {
            "artifacts": list(self.artifact_patterns),
            "metrics": list(self.metric_patterns),
            "params": list(self.param_patterns),
            "tags": list(self.tag_patterns),
            "mlmodel_keys": list(MLMODEL_VOLATILE_KEYS),
            "always": ["metric timestamps", "run meta.yaml (run_id, run_name, start/end time, artifact_uri)"],
        }

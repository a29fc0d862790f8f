"""One way two runs differ, in a form both the text and the JSON report use."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional


@dataclass(frozen=True)
class Difference:
    kind: str  # "artifact", "metric", "param", "tag" or "mlflow-run"
    name: str  # artifact path, metric/param/tag name, or run label
    run_a: int  # 1-based run numbers: run_a is always the reference run 1
    run_b: int
    offset: Optional[int] = None  # artifacts: first differing byte
    step: Optional[int] = None  # metrics: first step whose values differ
    value_a: Optional[str] = None  # metrics/params/tags: the values as MLflow stored them
    value_b: Optional[str] = None
    detail: str = ""  # e.g. "only in run 1"

    def describe(self) -> str:
        runs = f"run {self.run_a} vs run {self.run_b}"
        if self.detail:
            return f"{self.kind} {self.name}: {self.detail} ({runs})"
        if self.kind.endswith("artifact"):
            return f"{self.kind} {self.name} differs at byte offset {self.offset} ({runs})"
        if self.kind == "metric":
            return (
                f"metric {self.name} at step {self.step}: run {self.run_a} = {_show(self.value_a)}, "
                f"run {self.run_b} = {_show(self.value_b)}"
            )
        return (
            f"{self.kind} {self.name}: run {self.run_a} = {_show(self.value_a)}, "
            f"run {self.run_b} = {_show(self.value_b)}"
        )

    def as_dict(self) -> Dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, "")}


def _show(value: Optional[str]) -> str:
    return "(absent)" if value is None else value

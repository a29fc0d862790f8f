"""Read MLflow runs straight from a local file store (``mlruns/``), without importing MLflow.

Layout (MLflow 1.x-3.x file store): ``<store>/<experiment_id>/meta.yaml`` names the experiment;
``<store>/<experiment_id>/<run_id>/`` holds ``meta.yaml``, ``metrics/<name>`` (lines
``timestamp value step``), ``params/<name>``, ``tags/<name>`` and ``artifacts/``. Names containing
``/`` are nested folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple
from urllib.parse import unquote, urlparse

import yaml

from mlf_lint.evidence.difference import Difference
from mlf_lint.evidence.exclusions import Exclusions
from mlf_lint.evidence.tree_diff import compare_trees, list_files


class StoreError(Exception):
    """The store cannot be read; the message names the file and what is wrong."""


# metric name -> step -> values logged at that step, in logging order
MetricHistory = Dict[str, Dict[int, List[str]]]


@dataclass
class MlflowRun:
    label: str  # "<experiment name> #<n>": stable across runs, unlike the run id
    run_dir: Path
    start_time: int
    metrics: MetricHistory = field(default_factory=dict)
    params: Dict[str, str] = field(default_factory=dict)
    tags: Dict[str, str] = field(default_factory=dict)
    artifacts: Optional[Path] = None  # None when the artifacts are not on a local path


def local_path(uri: str) -> Optional[Path]:
    """The local path of a ``file:`` URI or plain path; None for remote schemes (s3:, http:, ...).
    A one-letter scheme is a Windows drive letter, so a local path."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" or len(parsed.scheme) == 1:
        return Path(uri)
    return None


def _load_yaml(path: Path) -> Dict[str, object]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise StoreError(f"{path}: cannot read: {str(error).splitlines()[0]}") from error
    if not isinstance(data, dict):
        raise StoreError(f"{path}: expected a mapping, found {type(data).__name__}")
    return data


def _read_named_files(folder: Path) -> Dict[str, Path]:
    if not folder.is_dir():
        return {}
    named: Dict[str, Path] = {}
    for base, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(base) / name
            named[path.relative_to(folder).as_posix()] = path
    return named


def _read_metrics(folder: Path, exclusions: Exclusions) -> MetricHistory:
    metrics: MetricHistory = {}
    for name, path in sorted(_read_named_files(folder).items()):
        if exclusions.ignores_metric(name):
            continue
        history: Dict[int, List[str]] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) not in (2, 3) or (len(fields) == 3 and not fields[2].lstrip("-").isdigit()):
                raise StoreError(f"{path}:{number}: expected 'timestamp value step', found {line!r}")
            # The timestamp (fields[0]) differs by nature and is never compared.
            step = int(fields[2]) if len(fields) == 3 else 0
            history.setdefault(step, []).append(fields[1])
        metrics[name] = history
    return metrics


def _read_texts(folder: Path, ignore) -> Dict[str, str]:
    return {
        name: path.read_text(encoding="utf-8")
        for name, path in sorted(_read_named_files(folder).items())
        if not ignore(name)
    }


def find_run_dirs(store: Path) -> Set[Path]:
    """Every run folder in the store (a folder with a meta.yaml inside an experiment folder)."""
    runs: Set[Path] = set()
    if not store.is_dir():
        return runs
    for experiment in store.iterdir():
        if not (experiment / "meta.yaml").is_file() or experiment.name in (".trash", "models"):
            continue
        for child in experiment.iterdir():
            if child.is_dir() and child.name != "models" and (child / "meta.yaml").is_file():
                runs.add(child)
    return runs


def read_runs(run_dirs: Set[Path], exclusions: Exclusions) -> List[MlflowRun]:
    """Load the runs, labelled by experiment name and start order, sorted by label."""
    loaded: List[Tuple[str, MlflowRun]] = []
    for run_dir in run_dirs:
        meta = _load_yaml(run_dir / "meta.yaml")
        experiment = _load_yaml(run_dir.parent / "meta.yaml")
        artifact_uri = str(meta.get("artifact_uri") or "")
        artifacts = local_path(artifact_uri) if artifact_uri else run_dir / "artifacts"
        run = MlflowRun(
            label=str(experiment.get("name", run_dir.parent.name)),
            run_dir=run_dir,
            start_time=meta["start_time"] if isinstance(meta.get("start_time"), int) else 0,
            metrics=_read_metrics(run_dir / "metrics", exclusions),
            params=_read_texts(run_dir / "params", exclusions.ignores_param),
            tags=_read_texts(run_dir / "tags", exclusions.ignores_tag),
            artifacts=artifacts,
        )
        loaded.append((run.label, run))
    loaded.sort(key=lambda item: (item[0], item[1].start_time, item[1].run_dir.name))
    counts: Dict[str, int] = {}
    runs: List[MlflowRun] = []
    for experiment_name, run in loaded:
        counts[experiment_name] = counts.get(experiment_name, 0) + 1
        run.label = f"{experiment_name} #{counts[experiment_name]}"
        runs.append(run)
    return runs


def compare_metrics(
    a: MetricHistory, b: MetricHistory, run_a: int, run_b: int, prefix: str
) -> List[Difference]:
    differences: List[Difference] = []
    for name in sorted(set(a) | set(b)):
        label = prefix + name
        if name not in b or name not in a:
            only = run_a if name in a else run_b
            differences.append(Difference("metric", label, run_a, run_b, detail=f"only in run {only}"))
            continue
        for step in sorted(set(a[name]) | set(b[name])):
            values_a, values_b = a[name].get(step, []), b[name].get(step, [])
            if values_a != values_b:
                # Report the first value that differs at this step (a step logged twice keeps order).
                index = next(
                    (i for i, (x, y) in enumerate(zip(values_a, values_b)) if x != y),
                    min(len(values_a), len(values_b)),
                )
                differences.append(
                    Difference(
                        "metric",
                        label,
                        run_a,
                        run_b,
                        step=step,
                        value_a=values_a[index] if index < len(values_a) else None,
                        value_b=values_b[index] if index < len(values_b) else None,
                    )
                )
                break
    return differences


def _compare_mapping(
    kind: str, a: Dict[str, str], b: Dict[str, str], run_a: int, run_b: int, prefix: str
) -> List[Difference]:
    return [
        Difference(kind, prefix + name, run_a, run_b, value_a=a.get(name), value_b=b.get(name))
        for name in sorted(set(a) | set(b))
        if a.get(name) != b.get(name)
    ]


def compare_runs(
    a: List[MlflowRun], b: List[MlflowRun], run_a: int, run_b: int, exclusions: Exclusions
) -> Tuple[List[Difference], Dict[str, int]]:
    """Differences between the MLflow runs two command runs logged, and what was compared."""
    differences: List[Difference] = []
    compared = {"mlflow_runs": len(a), "metrics": 0, "params": 0, "tags": 0, "mlflow_artifacts": 0}
    if [run.label for run in a] != [run.label for run in b]:
        differences.append(
            Difference(
                "mlflow-run",
                "runs logged",
                run_a,
                run_b,
                value_a=", ".join(run.label for run in a) or "none",
                value_b=", ".join(run.label for run in b) or "none",
            )
        )
    single = len(a) == 1
    for mine, theirs in zip(a, b):
        prefix = "" if single else f"[{mine.label}] "
        compared["metrics"] += len(mine.metrics)
        compared["params"] += len(mine.params)
        compared["tags"] += len(mine.tags)
        differences += compare_metrics(mine.metrics, theirs.metrics, run_a, run_b, prefix)
        differences += _compare_mapping("param", mine.params, theirs.params, run_a, run_b, prefix)
        differences += _compare_mapping("tag", mine.tags, theirs.tags, run_a, run_b, prefix)
        files_a = _artifact_files(mine, exclusions)
        files_b = _artifact_files(theirs, exclusions)
        compared["mlflow_artifacts"] += len(files_a)
        differences += [
            Difference(d.kind, prefix + d.name, d.run_a, d.run_b, offset=d.offset, detail=d.detail)
            for d in compare_trees(files_a, files_b, run_a, run_b, label="mlflow-artifact")
        ]
    return differences, compared


def _artifact_files(run: MlflowRun, exclusions: Exclusions) -> Dict[str, Path]:
    if run.artifacts is None or not run.artifacts.exists():
        return {}
    return list_files(run.artifacts, exclusions)

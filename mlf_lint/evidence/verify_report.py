"""Text and JSON renderings of a verify outcome."""

from __future__ import annotations

import json
import shlex
from typing import Any, Dict, List, Sequence

from mlf_lint.evidence.exclusions import Exclusions
from mlf_lint.evidence.verify import COMMAND_FAILED, IDENTICAL, VerifyOutcome

_LISTED_DIFFERENCES = 20


def _compared_summary(compared: Dict[str, int]) -> str:
    names = {
        "artifacts": "file(s)",
        "mlflow_runs": "MLflow run(s)",
        "metrics": "metric(s)",
        "params": "param(s)",
        "tags": "tag(s)",
        "mlflow_artifacts": "MLflow artifact(s)",
    }
    return ", ".join(f"{compared[key]} {label}" for key, label in names.items() if key in compared)


def render_text(outcome: VerifyOutcome, command: Sequence[str], runs: int) -> str:
    shown = shlex.join(command)
    lines: List[str] = []
    if outcome.status == COMMAND_FAILED:
        lines.append(f"command failed: {outcome.failure}: {shown}")
        if outcome.failure_output:
            lines.append("last output:")
            lines += [f"  {line}" for line in outcome.failure_output.splitlines()]
        return "\n".join(lines)
    if outcome.status == IDENTICAL:
        lines.append(
            f"identical: {runs} runs of `{shown}` produced the same output "
            f"({_compared_summary(outcome.compared)})"
        )
    else:
        first = outcome.differences[0]
        lines.append(f"different: {len(outcome.differences)} difference(s) in {runs} runs of `{shown}`")
        lines.append(f"first difference: {first.describe()}")
        rest = outcome.differences[1:_LISTED_DIFFERENCES]
        lines += [f"  also: {difference.describe()}" for difference in rest]
        hidden = len(outcome.differences) - 1 - len(rest)
        if hidden > 0:
            lines.append(f"  ... and {hidden} more (use --format json for all)")
    lines += [f"note: {note}" for note in outcome.notes]
    return "\n".join(lines)


def render_json(outcome: VerifyOutcome, command: Sequence[str], runs: int, exclusions: Exclusions) -> str:
    document: Dict[str, Any] = {
        "status": outcome.status,
        "identical": outcome.status == IDENTICAL,
        "command": list(command),
        "runs": runs,
        "runs_completed": outcome.runs_completed,
        "durations_s": outcome.durations,
        "compared": outcome.compared,
        "first_difference": outcome.differences[0].as_dict() if outcome.differences else None,
        "differences": [difference.as_dict() for difference in outcome.differences],
        "excluded": exclusions.as_dict(),
        "notes": outcome.notes,
    }
    if outcome.status == COMMAND_FAILED:
        document["failure"] = outcome.failure
        document["failure_output"] = outcome.failure_output
    return json.dumps(document, indent=2)

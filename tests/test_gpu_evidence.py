"""The PyTorch op table against what a real GPU did.

``benchmarks/gpu_probe.py`` ran every case on a CUDA device and recorded whether it raises under
``torch.use_deterministic_algorithms(True)`` and whether three identical runs differed with the
mode off (tests/fixtures/gpu/*.json). Here the linter, told that version of torch, must agree:
an op that raised is MLF102 where the project enables the mode, an op that ran is not, and an op
whose results varied is reported while the mode is off.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlf_lint.lint.check import check_source
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.registry import all_rules

RECORDS = sorted((Path(__file__).parent / "fixtures" / "gpu").glob("torch-*.json"))  # jax-*: test_gpu_evidence_jax
HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"


def _cases():
    for record_path in RECORDS:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        for case in record["cases"]:
            yield pytest.param(record["torch"], case, id=f"{record_path.stem}:{case['id']}")


def _codes(snippet: str, torch_version: str, mode_on: bool) -> list:
    facts = ProjectFacts(versions={"torch": torch_version.split("+")[0]})
    if mode_on:
        facts.torch_deterministic.append(("train.py", 1))
    findings, _ = check_source("case.py", HEADER + snippet + "\n", facts, set(all_rules()))
    return [(f.code, f.severity) for f in findings]


def test_records_exist() -> None:
    assert RECORDS, "a recorded GPU probe is part of the test data"


@pytest.mark.parametrize("torch_version,case", list(_cases()))
def test_op_table_agrees_with_the_gpu(torch_version: str, case: dict) -> None:
    under_mode = _codes(case["snippet"], torch_version, mode_on=True)
    if case["raises_in_mode"]:
        assert ("MLF102", "error") in under_mode, f"raised on the GPU: {case['error']}"
    else:
        assert not any(code == "MLF102" for code, _ in under_mode), "ran under the mode on the GPU"
    if case["varied_without_mode"]:
        assert _codes(case["snippet"], torch_version, mode_on=False), "results varied on the GPU"

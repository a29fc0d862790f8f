"""The JAX rules against what XLA did: records of ``benchmarks/gpu_probe_jax.py`` (tests/fixtures/gpu/jax-*.json).

A CPU record backs MLF601's silence for CPU-only runs (nothing varies there). A GPU record (to be
made in a session with a GPU) backs the rest: some op varies run to run without the flag (MLF601's
premise), every op that ran under a flag repeated, and the max-pool gradient raised under the flag
exactly when MLF604, told that jaxlib, reports it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlf_lint.lint.check import check_source
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.registry import all_rules

RECORDS = sorted((Path(__file__).parent / "fixtures" / "gpu").glob("jax-*.json"))
FLAGS = ("deterministic_ops", "exclude_nondeterministic_ops")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_records_exist() -> None:
    assert RECORDS, "a recorded JAX probe is part of the test data"


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.stem)
def test_every_setting_ran_every_case(path: Path) -> None:
    record = _load(path)
    for name in ("off", "off-second-process", *FLAGS):
        assert not record["settings"][name].get("crashed"), (name, record["settings"][name].get("stderr"))
    assert set(record["summary"]) >= {"scatter-add", "embedding-grad", "max-pool-grad", "conv-grad"}


@pytest.mark.parametrize("path", [p for p in RECORDS if _load(p)["backend"] == "cpu"], ids=lambda p: p.stem)
def test_the_cpu_repeats_every_op_without_a_flag(path: Path) -> None:
    """Why MLF601 is silent for runs meant for the CPU."""
    summary = _load(path)["summary"]
    varied = [case for case, row in summary.items() if row["varied_without_flag"]]
    assert varied == []
    for row in summary.values():
        assert all(row[f"identical_with_{flag}"] is not False for flag in FLAGS)


GPU = [p for p in RECORDS if _load(p)["backend"] == "gpu"]


@pytest.mark.parametrize("path", GPU, ids=lambda p: p.stem)
def test_gpu_without_the_flag_varies_and_with_it_repeats(path: Path) -> None:
    summary = _load(path)["summary"]
    assert any(row["varied_without_flag"] for row in summary.values()), "MLF601's premise"
    for case, row in summary.items():
        for flag in FLAGS:
            assert row[f"identical_with_{flag}"] is not False, (case, flag)


@pytest.mark.parametrize("path", GPU, ids=lambda p: p.stem)
def test_max_pool_gradient_raises_exactly_where_mlf604_says(path: Path) -> None:
    record = _load(path)
    row = record["summary"]["max-pool-grad"]
    facts = ProjectFacts(versions={"jaxlib": record["jaxlib"]},
                         env_vars={"XLA_FLAGS": [("Dockerfile", 2, "--xla_gpu_deterministic_ops=true")]})
    source = "import flax.linen as nn\ny = nn.max_pool(x, (2, 2), strides=(2, 2))\n"
    findings, _ = check_source("case.py", source, facts, set(all_rules()))
    assert ("MLF604" in [f.code for f in findings]) is bool(row["raises_with_deterministic_ops"])

"""What the XGBoost rule claims, shown on this machine's CPU (the GPU evidence for PyTorch is in
test_gpu_evidence.py): gblinear's default "shotgun" updater gives different models run to run
with several threads (MLF301), and "coord_descent", the rule's fix, repeats bit for bit."""
from __future__ import annotations

import hashlib

import pytest

xgb = pytest.importorskip("xgboost")
np = pytest.importorskip("numpy")


def _train(updater: str, data) -> str:
    booster = xgb.train({"booster": "gblinear", "updater": updater, "nthread": 2, "seed": 0}, data,
                        num_boost_round=20)
    return hashlib.sha256(booster.save_raw("json")).hexdigest()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(20000, 200))
    labels = features @ rng.normal(size=200) + rng.normal(size=20000)
    return xgb.DMatrix(features, label=labels)


@pytest.mark.slow
def test_coord_descent_repeats_bit_for_bit(data) -> None:
    assert len({_train("coord_descent", data) for _ in range(4)}) == 1


@pytest.mark.slow
def test_shotgun_varies_between_runs(data) -> None:
    # Hogwild updates race between threads; eight runs on two threads have never agreed here.
    assert len({_train("shotgun", data) for _ in range(8)}) > 1

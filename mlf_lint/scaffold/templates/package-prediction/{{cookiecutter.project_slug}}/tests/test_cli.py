from __future__ import annotations

from pathlib import Path

import pytest

from {{cookiecutter.package_name}}.cli import main
from {{cookiecutter.package_name}}.data import make_dataset


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    output = tmp_path / "model.json"
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--output", str(output),
                 "--rounds", "10"]) == 0
    return output


def test_train_then_predict(tmp_path: Path, model: Path) -> None:
    features = make_dataset(tmp_path / "features.csv", n_samples=20, seed=5)
    predictions = tmp_path / "predictions.csv"
    assert main(["predict", "--model", str(model), "--input", str(features), "--output", str(predictions)]) == 0
    lines = predictions.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "probability" and len(lines) == 21
    assert all(0.0 <= float(value) <= 1.0 for value in lines[1:])


def test_training_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for output in (first, second):
        assert main(["train", "--data", str(tmp_path / "train.csv"), "--output", str(output),
                     "--rounds", "10", "--seed", "1"]) == 0
    assert first.read_bytes() == second.read_bytes()


def test_missing_model_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    features = make_dataset(tmp_path / "features.csv", n_samples=3)
    assert main(["predict", "--model", str(tmp_path / "none.json"), "--input", str(features)]) == 2
    assert "model file not found" in capsys.readouterr().err


def test_wrong_feature_count_is_a_clear_error(tmp_path: Path, model: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["predict", "--model", str(model), "--input", str(bad)]) == 2
    assert "expected 8 feature columns" in capsys.readouterr().err

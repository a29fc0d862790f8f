from __future__ import annotations

from pathlib import Path

from {{cookiecutter.package_name}}.train import train


def run(tmp_path: Path, seed: int, name: str) -> dict:
    return train(seed=seed, epochs=2, data=tmp_path / "data" / "train.csv", output_dir=tmp_path / name)


def test_same_seed_gives_the_same_model(tmp_path: Path) -> None:
    first = run(tmp_path, seed=3, name="a")
    second = run(tmp_path, seed=3, name="b")
    assert first["metrics"] == second["metrics"]
    assert first["weights_sha256"] == second["weights_sha256"]
    assert (tmp_path / "a" / "params.msgpack").read_bytes() == (tmp_path / "b" / "params.msgpack").read_bytes()


def test_other_seed_gives_another_model(tmp_path: Path) -> None:
    assert run(tmp_path, seed=3, name="a")["weights_sha256"] != run(tmp_path, seed=4, name="b")["weights_sha256"]

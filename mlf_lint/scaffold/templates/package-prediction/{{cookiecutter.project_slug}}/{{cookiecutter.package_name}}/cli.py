"""Command line: ``{{cookiecutter.project_slug}} train`` and ``{{cookiecutter.project_slug}} predict``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

import numpy as np

from {{cookiecutter.package_name}} import __version__
from {{cookiecutter.package_name}}.data import DEFAULT_DATA
from {{cookiecutter.package_name}}.model import ModelError, load_model, predict, read_features, train_model


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{cookiecutter.project_slug}}", description="{{ cookiecutter.description|escape_string }}")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train the reference model (tracked in MLflow)")
    train.add_argument("--data", type=Path, default=DEFAULT_DATA)
    train.add_argument("--output", type=Path, default=Path("outputs") / "model.json")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--rounds", type=int, default=30)
    pred = commands.add_parser("predict", help="predict with a trained model")
    pred.add_argument("--model", type=Path, required=True)
    pred.add_argument("--input", type=Path, required=True, help="CSV with a header, one column per feature")
    pred.add_argument("--output", type=Path, help="CSV to write (default: standard output)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            result = train_model(args.data, args.output, seed=args.seed, rounds=args.rounds)
            print(f"saved {args.output} (sha256 {result['weights_sha256']}, run {result['run_id']})")
            return 0
        booster = load_model(args.model)
        probabilities = predict(booster, read_features(args.input, booster.num_features()))
    except ModelError as error:
        print(f"{{cookiecutter.project_slug}}: error: {error}", file=sys.stderr)
        return 2
    lines = ["probability"] + [f"{p:.9g}" for p in np.asarray(probabilities).tolist()]
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

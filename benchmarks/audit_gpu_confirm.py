#!/usr/bin/env python3
# mlf-lint: noqa  (this script runs the non-deterministic operations on purpose, to record what they do)
"""Confirm ``mlf-lint audit``'s GPU predictions on a real GPU.

    python benchmarks/audit_gpu_confirm.py OUT.json [--cases NAME,...]

For each case (a forward and backward pass through one construct) the script first audits the case
on the CPU, as a user would (``mlf-lint audit -- python this.py --run-case NAME --device cpu``),
and keeps the predicted codes; then it runs the same case on the CUDA device:

- under ``torch.use_deterministic_algorithms(True)``: does it raise, and do two runs agree bit for bit?
- with the mode off: do three runs differ?
(measured by benchmarks/gpu_probe.py's ``probe``, on ``MLF_PROBE_DEVICE``)

A prediction of MLF102 is confirmed when the case raises under the mode; MLF101/MLF103 when it
does not raise and repeats under the mode; no finding when it neither raises nor differs under the
mode. ``MLF_PROBE_DEVICE=cpu`` runs everything on the CPU to try the script out (nothing is then
confirmed). The record has the shape of benchmarks/gpu_probe.py's, plus the prediction.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_probe import probe  # noqa: E402 - the same raise / repeat / vary measurement as the op-table probe

Case = Callable[[str], torch.Tensor]


def _inputs(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _grad(fn: Callable[[torch.Tensor], torch.Tensor], shape: tuple, dtype: torch.dtype = torch.float32) -> Case:
    def run(device: str) -> torch.Tensor:
        x = _inputs(*shape).to(device=device, dtype=dtype).requires_grad_(True)
        weight = _inputs(shape[1], shape[1], 1, 1, seed=1).to(device=device, dtype=dtype).requires_grad_(True) \
            if len(shape) == 4 else None
        features = F.conv2d(x, weight) if weight is not None else x * 1.0
        out = fn(features)
        out.backward(torch.ones_like(out))
        return x.grad
    return run


def _spatial_cross_entropy(device: str) -> torch.Tensor:
    logits = _inputs(8, 10, 64, 64).to(device).requires_grad_(True)
    target = torch.randint(0, 10, (8, 64, 64), generator=torch.Generator().manual_seed(2)).to(device)
    F.cross_entropy(logits, target).backward()
    return logits.grad


def _index_add(device: str) -> torch.Tensor:
    index = torch.randint(0, 64, (1 << 20,), generator=torch.Generator().manual_seed(3)).to(device)
    return torch.zeros(64, device=device).index_add_(0, index, _inputs(1 << 20).to(device))


def _gather_backward(device: str) -> torch.Tensor:
    index = torch.randint(0, 64, (1 << 20,), generator=torch.Generator().manual_seed(4)).to(device)
    x = _inputs(64).to(device).requires_grad_(True)
    torch.gather(x, 0, index).sum().backward()
    return x.grad


def _embedding_bag_max(device: str) -> torch.Tensor:
    bag = nn.EmbeddingBag(100, 32, mode="max").to(device)
    with torch.no_grad():
        bag.weight.copy_(_inputs(100, 32).to(device))
    bag(torch.randint(0, 100, (4096, 8), generator=torch.Generator().manual_seed(5)).to(device)).sum().backward()
    return bag.weight.grad


def _attention(dtype: torch.dtype, dropout: float = 0.0) -> Case:
    def run(device: str) -> torch.Tensor:
        q = _inputs(8, 8, 256, 64).to(device=device, dtype=dtype).requires_grad_(True)
        if dropout:
            torch.manual_seed(0)  # the dropout mask repeats; the backward's order is what is compared
        F.scaled_dot_product_attention(q, q, q, dropout_p=dropout).sum().backward()
        return q.grad
    return run


CASES: Dict[str, Case] = {
    "interpolate-bilinear": _grad(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), (8, 16, 64, 64)),
    "interpolate-bicubic": _grad(lambda x: F.interpolate(x, scale_factor=2, mode="bicubic"), (8, 16, 64, 64)),
    "adaptive-pool-1x1": _grad(lambda x: F.adaptive_avg_pool2d(x, 1), (8, 16, 64, 64)),
    "adaptive-pool-3x3": _grad(lambda x: F.adaptive_avg_pool2d(x, 3), (8, 16, 64, 64)),
    "spatial-cross-entropy": _spatial_cross_entropy,
    "index-add": _index_add,
    "gather-backward": _gather_backward,
    "embedding-bag-max": _embedding_bag_max,
    "conv-backward": _grad(lambda x: F.conv2d(x, torch.ones(16, 16, 3, 3, device=x.device, dtype=x.dtype)),
                           (8, 16, 64, 64)),
    "sdpa-float32": _attention(torch.float32),
    "sdpa-bfloat16": _attention(torch.bfloat16),
    "sdpa-float32-dropout": _attention(torch.float32, dropout=0.1),
}


def predict(name: str) -> List[str]:
    """The codes ``mlf-lint audit`` reports for the case run on the CPU, from a one-line user script
    in a scratch project (this file, with its file-level noqa, is then library code)."""
    with tempfile.TemporaryDirectory() as project:
        script = Path(project) / "case.py"
        script.write_text(f"import audit_gpu_confirm\naudit_gpu_confirm.CASES[{name!r}]('cpu')\n", encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(os.path.abspath(__file__)),
                                                            os.environ.get("PYTHONPATH", "")])}
        command = [sys.executable, "-m", "mlf_lint", "audit", "--format", "json", "--no-static", "--extend-select",
                   "MLF103", "--root", project, "--", sys.executable, str(script)]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=project, env=env)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit of {name} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return sorted({f["code"] for f in json.loads(proc.stdout)["findings"] if f["code"] != "MLF150"})


def agrees(predicted: List[str], gpu: Dict[str, object]) -> bool:
    if "MLF102" in predicted:
        return bool(gpu["raises_in_mode"])
    return not gpu["raises_in_mode"] and bool(gpu["identical_in_mode"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?")
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    if not args.out:
        parser.error("OUT.json is required")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    device = os.environ.get("MLF_PROBE_DEVICE", "cuda")
    results = []
    for name in args.cases.split(","):
        entry: Dict[str, object] = {"id": name, "predicted": predict(name)}
        case = CASES[name]
        entry.update(probe(lambda: case(device)))
        entry["agrees"] = agrees(entry["predicted"], entry) if device == "cuda" else None  # type: ignore[arg-type]
        results.append(entry)
        print(json.dumps(entry), flush=True)
    record = {"torch": torch.__version__, "cuda": torch.version.cuda,
              "device": torch.cuda.get_device_name(0) if device == "cuda" else device,
              "python": platform.python_version(), "cases": results}
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# mlf-lint: noqa  (this script runs the non-deterministic ops on purpose, to record what they do)
"""Run the ops of the PyTorch op table on a CUDA device and record what they really do.

    python benchmarks/gpu_probe.py OUT.json

For each case: does it raise under ``torch.use_deterministic_algorithms(True)``, and, with the
mode off, do three identical runs give bitwise different results? ``tests/test_gpu_evidence.py``
checks the op table against a recorded file (``tests/fixtures/gpu/``), so the table stays true to
a real GPU without CI having one. Each case carries the code snippet the linter sees.
"""
from __future__ import annotations

import json
import platform
import sys
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

import os

DEV = os.environ.get("MLF_PROBE_DEVICE", "cuda")  # "cpu" only to try the script out
torch.manual_seed(0)


def _grad(make: Callable[[torch.Tensor], torch.Tensor], shape: Tuple[int, ...]) -> Callable[[], torch.Tensor]:
    """A case that runs forward and backward and returns the input gradient."""
    base = torch.randn(*shape, device=DEV)

    def run() -> torch.Tensor:
        x = base.clone().requires_grad_(True)
        out = make(x)
        out.backward(torch.ones_like(out))
        return x.grad
    return run


def _module_grad(module: nn.Module, shape: Tuple[int, ...]) -> Callable[[], torch.Tensor]:
    module = module.to(DEV)
    return _grad(lambda x: module(x), shape)


N = 1 << 20
IDX = torch.randint(0, 64, (N,), device=DEV)
SRC = torch.randn(N, device=DEV)
W = torch.rand(N, device=DEV)


def cases() -> List[Tuple[str, str, Callable[[], torch.Tensor]]]:
    emb_idx = torch.randint(0, 100, (4096, 8), device=DEV)
    grid = torch.rand(8, 32, 32, 2, device=DEV) * 2 - 1
    return [
        ("histc", "torch.histc(x, bins=10)", lambda: torch.histc(SRC, bins=10)),
        ("bincount-weights", "torch.bincount(x, weights=w)", lambda: torch.bincount(IDX, weights=W)),
        ("bincount", "torch.bincount(x)", lambda: torch.bincount(IDX)),
        ("median-dim", "torch.median(x, dim=1)", lambda: torch.median(SRC.view(1024, -1), dim=1).indices),
        ("kthvalue", "torch.kthvalue(x, 2)", lambda: torch.kthvalue(SRC.view(1024, -1), 2, dim=1).values),
        ("cumsum", "torch.cumsum(x, dim=0)", lambda: torch.cumsum(SRC, dim=0)),
        ("put-accumulate-false", "x.put_(idx, src)",
         lambda: torch.zeros(64, device=DEV).put_(IDX, SRC)),
        ("put-accumulate-true", "x.put_(idx, src, accumulate=True)",
         lambda: torch.zeros(64, device=DEV).put_(IDX, SRC, accumulate=True)),
        ("scatter-reduce-prod", 'x.scatter_reduce(0, idx, src, reduce="prod")',
         lambda: torch.ones(64, device=DEV).scatter_reduce(0, IDX, 1 + SRC * 1e-3, reduce="prod")),
        ("scatter-reduce-sum", 'x.scatter_reduce(0, idx, src, reduce="sum")',
         lambda: torch.zeros(64, device=DEV).scatter_reduce(0, IDX, SRC, reduce="sum")),
        ("index-add", "x.index_add_(0, idx, src)", lambda: torch.zeros(64, device=DEV).index_add_(0, IDX, SRC)),
        ("scatter-add", "x.scatter_add_(0, idx, src)",
         lambda: torch.zeros(64, device=DEV).scatter_add_(0, IDX, SRC)),
        ("index-put-accumulate", "x.index_put_((idx,), src, accumulate=True)",
         lambda: torch.zeros(64, device=DEV).index_put_((IDX,), SRC, accumulate=True)),
        ("gather-backward", "torch.gather(x, 0, idx)", _grad(lambda x: torch.gather(x, 0, IDX), (64,))),
        ("index-select-backward", "torch.index_select(x, 0, idx)",
         _grad(lambda x: torch.index_select(x, 0, IDX), (64,))),
        ("interpolate-bilinear", 'F.interpolate(x, scale_factor=2, mode="bilinear")',
         _grad(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), (8, 16, 64, 64))),
        ("interpolate-linear", 'F.interpolate(x, scale_factor=2, mode="linear")',
         _grad(lambda x: F.interpolate(x, scale_factor=2, mode="linear"), (8, 16, 4096))),
        ("interpolate-bicubic", 'F.interpolate(x, scale_factor=2, mode="bicubic")',
         _grad(lambda x: F.interpolate(x, scale_factor=2, mode="bicubic"), (8, 16, 64, 64))),
        ("interpolate-trilinear", 'F.interpolate(x, scale_factor=2, mode="trilinear")',
         _grad(lambda x: F.interpolate(x, scale_factor=2, mode="trilinear"), (2, 4, 16, 16, 16))),
        ("upsample-trilinear", 'nn.Upsample(scale_factor=2, mode="trilinear")',
         _module_grad(nn.Upsample(scale_factor=2, mode="trilinear"), (2, 4, 16, 16, 16))),
        ("interpolate-nearest", 'F.interpolate(x, scale_factor=2, mode="nearest")',
         _grad(lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), (8, 16, 64, 64))),
        ("adaptive-avg-pool2d", "nn.AdaptiveAvgPool2d(3)", _module_grad(nn.AdaptiveAvgPool2d(3), (8, 16, 64, 64))),
        ("adaptive-max-pool2d", "nn.AdaptiveMaxPool2d(3)", _module_grad(nn.AdaptiveMaxPool2d(3), (8, 16, 64, 64))),
        ("avg-pool3d", "nn.AvgPool3d(3)", _module_grad(nn.AvgPool3d(3, stride=1), (2, 4, 16, 16, 16))),
        ("max-pool3d", "nn.MaxPool3d(3)", _module_grad(nn.MaxPool3d(3, stride=1), (2, 4, 16, 16, 16))),
        ("reflection-pad2d", "nn.ReflectionPad2d(3)", _module_grad(nn.ReflectionPad2d(3), (8, 16, 64, 64))),
        ("replication-pad2d", "nn.ReplicationPad2d(3)", _module_grad(nn.ReplicationPad2d(3), (8, 16, 64, 64))),
        ("reflection-pad1d", "nn.ReflectionPad1d(3)", _module_grad(nn.ReflectionPad1d(3), (8, 16, 4096))),
        ("reflection-pad3d", "nn.ReflectionPad3d(2)", _module_grad(nn.ReflectionPad3d(2), (2, 4, 16, 16, 16))),
        ("replication-pad1d", "nn.ReplicationPad1d(3)", _module_grad(nn.ReplicationPad1d(3), (8, 16, 4096))),
        ("replication-pad3d", "nn.ReplicationPad3d(2)", _module_grad(nn.ReplicationPad3d(2), (2, 4, 16, 16, 16))),
        ("max-unpool2d", "nn.MaxUnpool2d(2)", _unpool()),
        ("adaptive-avg-pool3d", "nn.AdaptiveAvgPool3d(3)", _module_grad(nn.AdaptiveAvgPool3d(3), (2, 4, 16, 16, 16))),
        ("nll-loss2d", "nn.NLLLoss2d()", _nll2d()),
        ("fractional-max-pool2d", "nn.FractionalMaxPool2d(2, output_size=20)",
         _module_grad(nn.FractionalMaxPool2d(2, output_size=20, _random_samples=torch.rand(8, 16, 2, device=DEV)),
                      (8, 16, 64, 64))),
        ("grid-sample", "F.grid_sample(x, grid)",
         _grad(lambda x: F.grid_sample(x, grid, align_corners=False),
               (8, 16, 64, 64))),
        ("embedding-bag-max", 'nn.EmbeddingBag(100, 32, mode="max")',
         _embedding_bag("max", emb_idx)),
        ("embedding-bag-sum", 'nn.EmbeddingBag(100, 32, mode="sum")',
         _embedding_bag("sum", emb_idx)),
        ("ctc-loss", "nn.CTCLoss()", _ctc()),
        ("conv2d", "nn.Conv2d(16, 16, 3)", _module_grad(nn.Conv2d(16, 16, 3), (8, 16, 64, 64))),
        # Argument-dependent cases (issue #14): the table stays silent where the op is deterministic as called.
        ("adaptive-avg-pool2d-1", "nn.AdaptiveAvgPool2d(1)", _module_grad(nn.AdaptiveAvgPool2d(1), (8, 16, 64, 64))),
        ("repeat-interleave-int", "torch.repeat_interleave(x, 2, dim=0)",
         _grad(lambda x: torch.repeat_interleave(x, 2, dim=0), (4096, 64))),
        ("repeat-interleave-tensor", "torch.repeat_interleave(x, repeats, dim=0)",
         _grad(lambda x: torch.repeat_interleave(x, REPEATS, dim=0), (4096, 64))),
        ("index-put-unique", "x.index_put_((torch.randperm(64),), src)",
         lambda: torch.zeros(64, device=DEV).index_put_((PERM,), SRC[:64])),
        ("cross-entropy-spatial", "F.cross_entropy(F.interpolate(x, scale_factor=2), target)", _cross_entropy(True)),
        ("cross-entropy-classes", "F.cross_entropy(x, target)", _cross_entropy(False)),
        ("sdpa-backward", "F.scaled_dot_product_attention(q, k, v)", _sdpa()),
    ]


REPEATS = torch.randint(1, 4, (4096,), device=DEV)
PERM = torch.randperm(64, device=DEV)


def _cross_entropy(spatial: bool) -> Callable[[], torch.Tensor]:
    shape = (8, 10, 32, 32) if spatial else (4096, 10)
    logits = torch.randn(*shape, device=DEV)
    target = torch.randint(0, 10, (8, 64, 64) if spatial else (4096,), device=DEV)
    up = (lambda x: F.interpolate(x, scale_factor=2)) if spatial else (lambda x: x)
    return lambda: F.cross_entropy(up(logits), target, reduction="sum").reshape(1)


def _sdpa() -> Callable[[], torch.Tensor]:
    """bf16 attention on CUDA picks the flash kernel; its backward adds dq in a run-dependent order."""
    dtype = torch.bfloat16 if DEV == "cuda" else torch.float32
    q, k, v = (torch.randn(4, 8, 1024, 64, device=DEV, dtype=dtype) for _ in range(3))

    def run() -> torch.Tensor:
        query = q.clone().requires_grad_(True)
        F.scaled_dot_product_attention(query, k, v, is_causal=True).float().sum().backward()
        return query.grad
    return run


def _embedding_bag(mode: str, idx: torch.Tensor) -> Callable[[], torch.Tensor]:
    bag = nn.EmbeddingBag(100, 32, mode=mode).to(DEV)

    def run() -> torch.Tensor:
        bag.zero_grad()
        bag(idx).sum().backward()
        return bag.weight.grad
    return run


def _unpool() -> Callable[[], torch.Tensor]:
    pooled, indices = nn.MaxPool2d(2, return_indices=True)(torch.randn(8, 16, 64, 64, device=DEV))
    unpool = nn.MaxUnpool2d(2)
    return lambda: unpool(pooled, indices)


def _nll2d() -> Callable[[], torch.Tensor]:
    """The spatial NLL loss (N, C, H, W): the form whose CUDA forward the docs list."""
    logits = torch.randn(8, 10, 64, 64, device=DEV).log_softmax(1)
    target = torch.randint(0, 10, (8, 64, 64), device=DEV)
    return lambda: F.nll_loss(logits, target, reduction="sum").reshape(1)


def _ctc() -> Callable[[], torch.Tensor]:
    t, n, c, s = 50, 16, 20, 30
    logits = torch.randn(t, n, c, device=DEV)
    targets = torch.randint(1, c, (n, s), device=DEV)

    def run() -> torch.Tensor:
        x = logits.clone().requires_grad_(True)
        loss = nn.CTCLoss()(x.log_softmax(2), targets, torch.full((n,), t, dtype=torch.long),
                            torch.full((n,), s, dtype=torch.long))
        loss.backward()
        return x.grad
    return run


def _sync() -> None:
    if DEV == "cuda":
        torch.cuda.synchronize()


def probe(run: Callable[[], torch.Tensor]) -> Dict[str, object]:
    torch.use_deterministic_algorithms(False)
    outs = [run().detach().clone() for _ in range(3)]
    _sync()
    varied = any(not torch.equal(outs[0], o) for o in outs[1:])
    torch.use_deterministic_algorithms(True)
    try:
        a, b = run().detach().clone(), run().detach().clone()
        _sync()
        raises, error, repeat = False, "", bool(torch.equal(a, b))
    except RuntimeError as exc:
        raises, error, repeat = True, str(exc).splitlines()[0][:200], None
    finally:
        torch.use_deterministic_algorithms(False)
    return {"varied_without_mode": varied, "raises_in_mode": raises, "error": error,
            "identical_in_mode": repeat}


def main() -> None:
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    results = []
    for case_id, snippet, run in cases():
        entry = {"id": case_id, "snippet": snippet}
        entry.update(probe(run))
        results.append(entry)
        print(json.dumps(entry))
    record = {"torch": torch.__version__, "cuda": torch.version.cuda,
              "device": torch.cuda.get_device_name(0) if DEV == "cuda" else DEV, "python": platform.python_version(),
              "cases": results}
    with open(sys.argv[1], "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# mlf-lint: noqa  (a benchmark: it trains without seeding on purpose, the audit is what it measures)
"""What ``mlf-lint audit`` costs on a real model: wall time per training step, plain vs audited.

    python benchmarks/audit_overhead.py [--steps 8] [--batch 16] [--size 112] [--rounds 3] [--json OUT]

The model is a ResNet-18 written out here (torchvision does not import beside the local torch
wheel): BasicBlocks [2, 2, 2, 2], 64-512 channels, batch norm, SGD with momentum, cross entropy.
Each round runs the same training script as separate processes, in turn:

- ``plain``: ``python audit_overhead.py --train``;
- ``dispatch-floor``: the same with an empty TorchDispatchMode (the least any ATen-level tracer
  costs) and ``function-floor`` with an empty TorchFunctionMode (a Python-API-level tracer);
- ``audited``: ``mlf-lint audit --no-static -- python audit_overhead.py --train``.

The script times each step itself (no start-up, no torch import), so the ratio is per step: the
first step (the tracer describes every new call site then) and the median of the later ones, in
wall time and in the process's CPU time (steadier when other work shares the machine). A
micro-benchmark adds the cost per ATen operator call: a one-element ``add`` without a mode, under
the empty TorchDispatchMode and under the audit's agent.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Dict, List

VARIANTS = ("plain", "dispatch-floor", "function-floor", "audited")


def train(steps: int, batch: int, size: int, floor: str) -> None:
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + (x if self.down is None else self.down(x)))

    class ResNet18(nn.Module):
        def __init__(self, classes: int = 100) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                      nn.MaxPool2d(3, 2, 1))
            blocks, cin = [], 64
            for cout, stride in ((64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)):
                blocks.append(Block(cin, cout, stride))
                cin = cout
            self.blocks = nn.Sequential(*blocks)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(512, classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))

    if floor == "dispatch-floor":
        from torch.utils._python_dispatch import TorchDispatchMode

        class Empty(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                return func(*args, **(kwargs or {}))
        Empty().__enter__()
    elif floor == "function-floor":
        from torch.overrides import TorchFunctionMode

        class EmptyFunction(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                return func(*args, **(kwargs or {}))
        EmptyFunction().__enter__()

    data = torch.Generator().manual_seed(0)
    images = torch.randn(batch, 3, size, size, generator=data)
    labels = torch.randint(0, 100, (batch,), generator=data)
    model = ResNet18()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    times: List[List[float]] = []
    for _ in range(steps):
        start, cpu = time.perf_counter(), time.process_time()
        optimizer.zero_grad()
        F.cross_entropy(model(images), labels).backward()
        optimizer.step()
        times.append([time.perf_counter() - start, time.process_time() - cpu])
    print("STEP_TIMES " + json.dumps(times), flush=True)


def per_operator(calls: int = 20000) -> Dict[str, float]:
    """Microseconds per ATen call of a one-element add: plain, empty dispatch mode, the agent."""
    code = (
        "import sys, time, torch\n"
        "x = torch.ones(1)\n"
        "{setup}\n"
        "for _ in range(200): x.add(1)\n"
        "start = time.process_time()\n"
        f"for _ in range({calls}): x.add(1)\n"
        f"print((time.process_time() - start) / {calls} * 1e6)\n")
    empty = ("from torch.utils._python_dispatch import TorchDispatchMode\n"
             "class E(TorchDispatchMode):\n"
             "    def __torch_dispatch__(self, f, t, a=(), k=None): return f(*a, **(k or {}))\n"
             "E().__enter__()")
    out: Dict[str, float] = {}
    for name, setup, prefix in (("plain", "", []), ("dispatch-floor", empty, []),
                                ("audited", "", [sys.executable, "-m", "mlf_lint", "audit", "--no-static",
                                                 "--exit-zero", "--format", "json", "-o", os.devnull, "--"])):
        proc = subprocess.run([*prefix, sys.executable, "-c", code.format(setup=setup)], capture_output=True,
                              text=True, timeout=600)
        out[name] = float(proc.stdout.strip().splitlines()[0])
    return out


def measure(variant: str, args: argparse.Namespace) -> List[float]:
    script = [os.path.abspath(__file__), "--train", "--steps", str(args.steps), "--batch", str(args.batch),
              "--size", str(args.size)]
    if variant in ("dispatch-floor", "function-floor"):
        script += ["--floor", variant]
    command = [sys.executable, *script]
    if variant == "audited":
        command = [sys.executable, "-m", "mlf_lint", "audit", "--no-static", "--exit-zero", "--", *command]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("STEP_TIMES ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"{variant} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(line[len("STEP_TIMES "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor", default="", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="Also write the numbers to this file.")
    args = parser.parse_args()
    if args.train:
        train(args.steps, args.batch, args.size, args.floor)
        return
    runs: Dict[str, List[List[float]]] = {v: [] for v in VARIANTS}
    for _ in range(args.rounds):  # interleaved, so machine load hits every variant alike
        for variant in VARIANTS:
            runs[variant].append(measure(variant, args))
    result: Dict[str, Dict[str, float]] = {}
    for variant, rounds in runs.items():
        result[variant] = {
            "first_wall_s": statistics.median(r[0][0] for r in rounds),
            "later_wall_s": statistics.median(t[0] for r in rounds for t in r[1:]),
            "first_cpu_s": statistics.median(r[0][1] for r in rounds),
            "later_cpu_s": statistics.median(t[1] for r in rounds for t in r[1:]),
        }
    plain = result["plain"]
    print(f"ResNet-18, batch {args.batch}, {args.size}x{args.size}, {args.steps} steps x {args.rounds} rounds, "
          f"{os.environ.get('BENCH_THREADS', '2')} threads (medians; x = ratio to plain)")
    print(f"{'variant':15} {'first wall':>10} {'x':>6} {'later wall':>10} {'x':>6} {'first cpu':>10} {'x':>6} "
          f"{'later cpu':>10} {'x':>6}")
    for variant, row in result.items():
        cells = []
        for key in ("first_wall_s", "later_wall_s", "first_cpu_s", "later_cpu_s"):
            row[key.replace("_s", "_ratio")] = row[key] / plain[key]
            cells.append(f"{row[key]:9.3f}s {row[key.replace('_s', '_ratio')]:5.2f}x")
        print(f"{variant:15} " + " ".join(cells))
    micro = per_operator()
    print("per ATen call (us): " + ", ".join(f"{k} {v:.1f}" for k, v in micro.items()))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"args": vars(args), "result": result, "per_call_us": micro}, handle, indent=1)


if __name__ == "__main__":
    main()

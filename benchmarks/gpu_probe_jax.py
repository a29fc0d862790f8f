#!/usr/bin/env python3
# mlf-lint: noqa  (this script runs the non-deterministic ops on purpose, to record what they do)
"""Run JAX ops on a GPU and record what XLA really does with and without its determinism flags.

    python benchmarks/gpu_probe_jax.py OUT.json          # needs jax[cuda12] (or cuda13) and flax

XLA reads XLA_FLAGS once per process, so the script runs itself as a child once per setting:
no flag, ``--xla_gpu_deterministic_ops=true`` and ``--xla_gpu_exclude_nondeterministic_ops=true``,
and the no-flag child twice (compilation-time autotuning can pick other kernels in another process).
Inside a child each case is compiled and run three times, with ``jax.clear_caches()`` between runs
so that XLA compiles (and autotunes) again. Recorded per case and setting: did it raise (and the
first line of the error), did the outputs differ bitwise between runs, and the output hashes.
The record answers the questions MLF601 and MLF604 rest on: which ops vary run to run without the
flag, which repeat with it, and which fail to compile under it (max-pool gradient, flax#4233, before
jaxlib 0.7.1). ``MLF_PROBE_DEVICE=cpu`` runs the same script on the CPU, only to try it out.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from typing import Callable, Dict, List, Tuple

SETTINGS = {
    "off": "",
    "deterministic_ops": "--xla_gpu_deterministic_ops=true",
    "exclude_nondeterministic_ops": "--xla_gpu_exclude_nondeterministic_ops=true",
}
RUNS = 3


def cases() -> List[Tuple[str, str, Callable[..., object], tuple]]:
    """(id, the snippet the linter sees, the function, its arguments)."""
    import jax
    import jax.numpy as jnp
    import flax.linen as nn
    import numpy as np

    rng = np.random.RandomState(0)
    n = 1 << 20
    src = jnp.asarray(rng.randn(n).astype("float32"))
    idx = jnp.asarray(rng.randint(0, 64, n).astype("int32"))
    table = jnp.asarray(rng.randn(1000, 256).astype("float32"))
    ids = jnp.asarray(rng.randint(0, 1000, (4096, 16)).astype("int32"))
    img = jnp.asarray(rng.randn(16, 64, 64, 32).astype("float32"))
    kernel = jnp.asarray(rng.randn(3, 3, 32, 64).astype("float32"))
    a = jnp.asarray(rng.randn(2048, 2048).astype("float32"))
    b = jnp.asarray(rng.randn(2048, 2048).astype("float32"))
    # cuDNN fused attention wants half precision; the CPU has no float16 dot
    q = jnp.asarray(rng.randn(4, 512, 8, 64).astype("float32" if jax.default_backend() == "cpu" else "float16"))
    logits = jnp.asarray(rng.randn(4096, 1000).astype("float32"))
    labels = jnp.asarray(rng.randint(0, 1000, 4096).astype("int32"))

    def conv(x, k):
        return jax.lax.conv_general_dilated(x, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))

    class CNN(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Conv(32, (3, 3))(x))
            x = nn.avg_pool(x, (2, 2), strides=(2, 2))
            x = nn.Dense(10)(x.reshape(x.shape[0], -1))
            return x

    cnn = CNN()
    params = cnn.init(jax.random.PRNGKey(0), img[:2])

    def attention_grad(query):
        out = jax.nn.dot_product_attention(query, query, query, implementation=None)
        return jnp.sum(out.astype("float32"))

    # Inputs are arguments, never closed-over constants: XLA would fold a constant scatter on the
    # host at compile time and the GPU kernel would never run.
    return [
        ("scatter-add", "x.at[idx].add(src)", lambda s, i: jnp.zeros(64).at[i].add(s), (src, idx)),
        ("segment-sum", "jax.ops.segment_sum(src, idx, 64)", lambda s, i: jax.ops.segment_sum(s, i, 64), (src, idx)),
        ("bincount-weights", "jnp.bincount(idx, weights=src, length=64)",
         lambda s, i: jnp.bincount(i, weights=s, length=64), (src, idx)),
        ("embedding-grad", "jax.grad(lambda t: t[ids].sum())(table)",
         lambda t, i: jax.grad(lambda u: jnp.sum(u[i] ** 2))(t), (table, ids)),
        ("take-grad", "jax.grad(lambda t: jnp.take(t, ids, axis=0).sum())(table)",
         lambda t, i: jax.grad(lambda u: jnp.sum(jnp.take(u, i, axis=0) ** 2))(t), (table, ids)),
        ("max-pool-grad", "jax.grad(lambda x: nn.max_pool(x, (2, 2), strides=(2, 2)).sum())(x)",
         lambda x: jax.grad(lambda y: jnp.sum(nn.max_pool(y, (2, 2), strides=(2, 2)) ** 2))(x), (img,)),
        ("avg-pool-grad", "jax.grad(lambda x: nn.avg_pool(x, (2, 2)).sum())(x)",
         lambda x: jax.grad(lambda y: jnp.sum(nn.avg_pool(y, (2, 2), strides=(2, 2)) ** 2))(x), (img,)),
        ("conv-grad", "jax.grad(conv)(kernel)",
         lambda x, k: jax.grad(lambda w: jnp.sum(conv(x, w) ** 2))(k), (img, kernel)),
        ("matmul", "a @ b", lambda x, y: x @ y, (a, b)),
        ("matmul-grad", "jax.grad(lambda a: (a @ b).sum())(a)",
         lambda x, y: jax.grad(lambda u: jnp.sum((u @ y) ** 2))(x), (a, b)),
        ("attention-grad", "jax.nn.dot_product_attention(q, k, v)", jax.grad(attention_grad), (q,)),
        ("cross-entropy-grad", "optax.softmax_cross_entropy_with_integer_labels",
         lambda z, y: jax.grad(lambda u: jnp.mean(jax.nn.logsumexp(u, axis=-1)
                                                  - jnp.take_along_axis(u, y[:, None], axis=-1)[:, 0]))(z),
         (logits, labels)),
        ("sum", "x.sum()", jnp.sum, (src,)),
        ("cumsum", "jnp.cumsum(x)", jnp.cumsum, (src,)),
        ("sort", "jnp.sort(x)", jnp.sort, (src,)),
        ("flax-cnn-grad", "jax.grad(loss)(params)  # Conv + avg_pool + Dense",
         lambda p, x: jax.grad(lambda u: jnp.mean(cnn.apply(u, x) ** 2))(p), (params, img)),
    ]


def _digest(value: object) -> str:
    import jax
    import numpy as np

    leaves = jax.tree_util.tree_leaves(value)
    h = hashlib.sha256()
    for leaf in leaves:
        h.update(np.asarray(leaf).tobytes())
    return h.hexdigest()[:16]


def child() -> None:
    """One process, one XLA_FLAGS setting: every case RUNS times, recompiled each time."""
    import jax

    backend = jax.default_backend()
    results: Dict[str, Dict[str, object]] = {}
    for case_id, snippet, run, args in cases():
        digests: List[str] = []
        entry: Dict[str, object] = {"snippet": snippet}
        try:
            for _ in range(RUNS):
                jax.clear_caches()
                digests.append(_digest(jax.block_until_ready(jax.jit(run)(*args))))
            entry.update(raises=False, error="", digests=digests, varied=len(set(digests)) > 1)
        except Exception as exc:  # XlaRuntimeError and friends: record, go on
            entry.update(raises=True, error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}",
                         digests=digests, varied=None)
        results[case_id] = entry
        print(json.dumps({case_id: entry}), file=sys.stderr)
    json.dump({"backend": backend, "cases": results}, sys.stdout)


def _run_child(flags: str) -> Dict[str, object]:
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + flags).strip()
    if os.environ.get("MLF_PROBE_DEVICE") == "cpu":
        env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True,
                          timeout=1800)
    if proc.returncode != 0:
        return {"crashed": True, "stderr": proc.stderr[-2000:]}
    return json.loads(proc.stdout)


def main() -> None:
    import jax
    import jaxlib

    out_path = sys.argv[1]
    settings: Dict[str, object] = {}
    for name, flags in SETTINGS.items():
        settings[name] = _run_child(flags)
        print(f"gpu_probe_jax: {name} done", file=sys.stderr)
    settings["off-second-process"] = _run_child("")
    summary = {}
    off, again = settings["off"], settings["off-second-process"]
    for case_id in (off.get("cases") or {}):
        row = {"varied_without_flag": bool(off["cases"][case_id].get("varied")) or (
            off["cases"][case_id].get("digests", [None])[0]
            != (again.get("cases") or {}).get(case_id, {}).get("digests", [None])[0])}
        for name in ("deterministic_ops", "exclude_nondeterministic_ops"):
            case = (settings[name].get("cases") or {}).get(case_id, {})
            row[f"raises_with_{name}"] = case.get("raises")
            row[f"identical_with_{name}"] = None if case.get("raises") else not case.get("varied")
            row[f"error_with_{name}"] = case.get("error", "")
        summary[case_id] = row
    plugins = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()
                     if (d.metadata["Name"] or "").startswith("jax-cuda"))
    devices = jax.devices()
    record = {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "plugins": plugins,
              "device": devices[0].device_kind if devices else "?", "backend": jax.default_backend(),
              "python": platform.python_version(), "settings": settings, "summary": summary}
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1)
    for case_id, row in summary.items():
        print(case_id, json.dumps(row))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()

"""The JAX rule set (MLF6xx) on whole projects through the CLI, the XLA_FLAGS reading it relies on,
the jax pins in the version model, and the premises shown with the JAX installed here (CPU)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List, Tuple

import pytest

from helpers import invoke, write
from mlf_lint.engine.evaluate import partial_text
from mlf_lint.project_checks.versions import pinned_versions
from mlf_lint.rules.jax.xla import flag_value, sets_determinism

TRAIN = """
    import jax
    import flax.linen as nn


    class CNN(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.max_pool(nn.Conv(8, (3, 3))(x), (2, 2), strides=(2, 2))


    def train_step(state, batch):
        grads = jax.grad(state.apply_fn)(state.params, batch)
        return state.apply_gradients(grads=grads)


    if __name__ == "__main__":
        train_step(None, None)
"""


def _findings(root: Path, *extra: str) -> List[Tuple[str, str, str]]:
    code, out, err = invoke(["check", str(root), "--no-cache", "--format", "json", "--exit-zero", *extra])
    assert code == 0, err
    return [(f["code"], Path(f["filename"]).name, f["message"]) for f in json.loads(out)]


def _codes(root: Path, *extra: str) -> List[str]:
    return sorted(code for code, _, _ in _findings(root, *extra) if code.startswith(("MLF6", "MLF20")))


@pytest.mark.parametrize("flags, value", [
    ("--xla_gpu_deterministic_ops=true", True),
    ("--xla_gpu_deterministic_ops", True),
    ("--xla_gpu_deterministic_ops=1 --xla_gpu_deterministic_ops=false", False),
    ("--xla_gpu_deterministic_ops=false --xla_gpu_autotune_level=0 --xla_gpu_deterministic_ops=TRUE", True),
    ("--xla_gpu_deterministic_ops_level=2", None),
    ("-xla_gpu_deterministic_ops=true", True),
    ("'--xla_gpu_deterministic_ops=true' --xla_force_host_platform_device_count=8", True),
    ("", None),
])
def test_flag_value_reads_what_xla_would(flags: str, value) -> None:
    assert flag_value(flags, "xla_gpu_deterministic_ops") is value


def test_either_determinism_flag_counts() -> None:
    assert sets_determinism("? --xla_gpu_exclude_nondeterministic_ops=true") is True
    assert sets_determinism("--xla_gpu_deterministic_ops=false") is False
    assert sets_determinism("--xla_gpu_autotune_level=0") is None


@pytest.mark.parametrize("expression, text", [
    ('os.environ.get("XLA_FLAGS", "") + " --x=1"', "? --x=1"),
    ('f"{flags} --x=1"', "? --x=1"),
    ('" ".join(["--a", b, "--c"])', "--a ? --c"),
    ('PREFIX + b', "--p?"),
    ('f"{flags} {PREFIX}".strip()', "? --p"),
    ('f"{flags!r} {PREFIX:>4}"', "? ?"),
    ("flags", None),
    ("os.environ['X']", None),
])
def test_partial_text_keeps_the_static_parts(expression: str, text) -> None:
    import ast
    assert partial_text(ast.parse(expression, mode="eval").body, {"PREFIX": "--p"}) == text


def test_flag_missing_is_reported_once_per_training_module(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": "", "train.py": TRAIN})
    found = _findings(tmp_path)
    assert [code for code, _, _ in found if code.startswith("MLF6")] == ["MLF601"]
    message = next(m for code, _, m in found if code == "MLF601")
    assert "jax.grad" in message and "--xla_gpu_deterministic_ops=true" in message


@pytest.mark.parametrize("files", [
    {"Dockerfile": "FROM python:3.12.4\nENV XLA_FLAGS=--xla_gpu_deterministic_ops=true\n"},
    {"MLproject": "name: p\ndocker_env:\n  image: img:1\n  environment:\n"
                  "    - [\"XLA_FLAGS\", \"--xla_gpu_exclude_nondeterministic_ops=true\"]\n"
                  "entry_points:\n  main:\n    command: python train.py\n"},
    {".github/workflows/train.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    env:\n"
                                    "      XLA_FLAGS: --xla_gpu_deterministic_ops=true\n    steps:\n"
                                    "      - run: python train.py\n"},
])
def test_flag_from_project_files_reaches_the_code_rule(tmp_path: Path, files: dict) -> None:
    write(tmp_path, {"setup.py": "", "train.py": TRAIN, **files})
    assert "MLF601" not in _codes(tmp_path)


def test_flag_in_a_helper_module_set_before_jax_starts(tmp_path: Path) -> None:
    write(tmp_path, {
        "setup.py": "",
        "determinism.py": 'import os\nos.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") '
                          '+ " --xla_gpu_deterministic_ops=true")\n',
        "train.py": "import determinism  # noqa: F401\n" + textwrap.dedent(TRAIN),
    })
    assert _codes(tmp_path) == []


def test_maxpool_fails_only_with_an_old_pinned_compiler(tmp_path: Path) -> None:
    files = {"setup.py": "", "train.py": TRAIN,
             "Dockerfile": "FROM python:3.12.4\nENV XLA_FLAGS=--xla_gpu_deterministic_ops=true\n"}
    write(tmp_path / "old", {**files, "requirements.txt": "jax[cuda12]==0.6.2\nflax==0.10.4\n"})
    write(tmp_path / "new", {**files, "requirements.txt": "jax[cuda12]==0.7.1\nflax==0.11.1\n"})
    write(tmp_path / "plugin", {**files, "requirements.txt": "jax==0.7.2\njax-cuda12-plugin==0.7.0\n"})
    old = _findings(tmp_path / "old")
    assert [c for c, _, _ in old if c.startswith("MLF6")] == ["MLF604"]
    assert "jax 0.6.2" in next(m for c, _, m in old if c == "MLF604")
    assert _codes(tmp_path / "new") == []
    plugin = _findings(tmp_path / "plugin")
    assert "jax-cuda12-plugin 0.7.0" in next(m for c, _, m in plugin if c == "MLF604")


def test_target_version_selects_the_compiler(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": "", "train.py": TRAIN,
                     "Dockerfile": "FROM python:3.12.4\nENV XLA_FLAGS=--xla_gpu_deterministic_ops=true\n"})
    assert _codes(tmp_path) == []
    assert _codes(tmp_path, "--target-version", "jaxlib=0.5.3") == ["MLF604"]


def test_keras_on_jax_gets_jax_advice_not_tensorflow_s(tmp_path: Path) -> None:
    write(tmp_path, {
        "setup.py": "",
        "Dockerfile": "FROM python:3.12.4\nENV KERAS_BACKEND=jax\n",
        "train.py": """
            import keras
            import numpy as np

            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
            model.compile(optimizer="sgd", loss="mse")
            model.fit(np.zeros((8, 4)), np.zeros(8), epochs=1)

            if __name__ == "__main__":
                print(model.summary())
        """,
    })
    found = _findings(tmp_path)
    assert sorted(c for c, _, _ in found if c.startswith(("MLF6", "MLF20"))) == ["MLF201", "MLF601"]
    assert "keras.utils.set_random_seed" in next(m for c, _, m in found if c == "MLF201")
    # the same code on Keras' default TensorFlow backend keeps TensorFlow's advice
    (tmp_path / "Dockerfile").unlink()
    assert _codes(tmp_path) == ["MLF201", "MLF202"]


def test_jax_pins_in_the_version_model(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "jax[cuda12]==0.6.2\njaxlib==0.6.2\nflax==0.10.4\noptax==0.2.4\n"
                                         "jax-cuda12-pjrt==0.6.2\n"})
    assert pinned_versions(tmp_path) == {"jax": "0.6.2", "jaxlib": "0.6.2", "flax": "0.10.4", "optax": "0.2.4",
                                         "jax-cuda12-pjrt": "0.6.2"}


@pytest.mark.parametrize("line, code, stream_note", [
    ("jax", "MLF501", True),
    ("jax[cuda12]>=0.4.20", "MLF502", True),
    ("jax>=0.5,<0.6", "MLF502", False),
    ("jax~=0.4.30", "MLF502", False),
    ("jaxlib>=0.4", "MLF502", False),
    ("flax", "MLF501", False),
])
def test_unpinned_jax_says_why_it_matters_more(tmp_path: Path, line: str, code: str, stream_note: bool) -> None:
    write(tmp_path, {"requirements.txt": line + "\n"})
    found = [(c, m) for c, _, m in _findings(tmp_path) if c.startswith("MLF50")]
    assert [c for c, _ in found] == [code]
    assert ("partitionable Threefry" in found[0][1]) is stream_note


# -- premises, shown with the JAX installed here (CPU) ---------------------------------------------

def _python(code: str, env: dict = None) -> subprocess.CompletedProcess:
    import os
    full = {**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=300, env=full)


@pytest.mark.slow
@pytest.mark.parametrize("before, read", [
    ("import jax", True),
    ("import flax.linen, optax", True),
    ("import jax; jax.config.update('jax_enable_x64', False); jax.jit(lambda x: x)", True),
    ("import jax; jax.random.PRNGKey(0)", False),
    ("import jax; jax.devices()", False),
    ("import jax.numpy as jnp; jnp.ones(3).sum()", False),
])
def test_xla_flags_is_read_when_the_backend_starts(before: str, read: bool) -> None:
    """An unknown flag aborts the process exactly when XLA parses XLA_FLAGS (MLF602's premise)."""
    pytest.importorskip("jax")
    proc = _python(f"""
        {before}
        import os
        os.environ["XLA_FLAGS"] = "--xla_mlf_lint_probe_unknown=true"
        import jax.numpy as jnp
        print("ran", float(jnp.ones(2).sum()))
    """)
    assert ("Unknown flag in XLA_FLAGS" in proc.stderr) is read, proc.stderr[-500:]
    assert ("ran 2.0" in proc.stdout) is not read


@pytest.mark.slow
def test_both_determinism_flags_are_known_to_the_installed_xla() -> None:
    jax = pytest.importorskip("jax")
    for flag in ("--xla_gpu_deterministic_ops=true", "--xla_gpu_exclude_nondeterministic_ops=true"):
        proc = _python("import jax.numpy as jnp; print(float(jnp.ones(2).sum()))", {"XLA_FLAGS": flag})
        assert proc.returncode == 0 and "2.0" in proc.stdout, (jax.__version__, proc.stderr[-500:])


@pytest.mark.slow
def test_partitionable_threefry_changes_the_stream() -> None:
    """The 0.5.0 default change the jax pin message names: the same key, other numbers."""
    pytest.importorskip("jax")
    proc = _python("""
        import jax
        key = jax.random.PRNGKey(0)
        draws = []
        for value in (True, False):
            jax.config.update("jax_threefry_partitionable", value)
            draws.append(jax.random.normal(key, (4,)).tolist())
        print(draws[0] != draws[1])
    """)
    assert proc.stdout.strip() == "True", proc.stderr[-500:]


@pytest.mark.slow
def test_a_reused_key_repeats_its_numbers() -> None:
    """MLF603's premise: a key is a value, so two draws from it are identical."""
    jax = pytest.importorskip("jax")
    key = jax.random.key(1)
    assert jax.random.normal(key, (3,)).tolist() == jax.random.normal(key, (3,)).tolist()

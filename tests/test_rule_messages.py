"""Messages whose wording carries a fact: one finding per generated seed naming every run-varying
part, the AUC remark only where AUC is computed, MLF122's premise (a different deterministic
algorithm per run) and where benchmark mode counts, MLF130 aimed at generator objects and old torch."""
from __future__ import annotations

from typing import Dict, List, Optional

from mlf_lint.lint.check import check_source
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.finding import Finding
from mlf_lint.lint.summaries import combine, summarize
from mlf_lint.engine.registry import all_rules


def _check(files: Dict[str, str], target: str, versions: Optional[Dict[str, str]] = None) -> List[Finding]:
    facts = combine({rel: summarize(text) for rel, text in files.items()}, files)
    facts.versions.update(versions or {})
    findings, _ = check_source(target, files[target], facts, set(all_rules()))
    return findings


def test_a_generated_seed_is_reported_once_with_all_its_parts() -> None:
    source = ("import os, random\nfrom datetime import datetime\nimport numpy as np\nimport torch\n"
              "def seed_all_rng(seed=None):\n"
              "    if seed is None:\n"
              "        seed = (os.getpid() + int(datetime.now().strftime('%S%f'))\n"
              "                + int.from_bytes(os.urandom(2), 'big'))\n"
              "    np.random.seed(seed)\n    torch.manual_seed(seed)\n    random.seed(seed)\n")
    [finding] = [f for f in _check({"env.py": source}, "env.py") if f.code == "MLF002"]
    assert finding.line == 9
    for part in ("os.getpid()", "datetime.now()", "os.urandom()", "lines 10, 11"):
        assert part in finding.message


def test_distributed_auc_remark_only_where_auc_is_computed() -> None:
    plain = "import xgboost as xgb\nout = xgb.dask.train(client, {'tree_method': 'hist'}, dtrain)\n"
    auc = "import xgboost as xgb\nout = xgb.dask.train(client, {'eval_metric': ['logloss', 'auc']}, dtrain)\n"
    [without] = _check({"d.py": plain}, "d.py")
    [with_auc] = _check({"d.py": auc}, "d.py")
    assert "AUC" not in without.message and "distributed AUC is an approximation" in with_auc.message


def test_deterministic_with_benchmark_names_the_real_risk() -> None:
    files = {"setup.py": "import torch\ntorch.backends.cudnn.benchmark = True\n",
             "train.py": "import torch\ntorch.backends.cudnn.deterministic = True\n"}
    [finding] = _check(files, "train.py")
    assert finding.code == "MLF122" and finding.severity == "warning"
    assert "setup.py:2" in finding.message and "different one on the next run" in finding.message
    assert "no effect" not in finding.message


def test_benchmark_set_when_a_class_is_built_counts_only_where_it_is_built() -> None:
    """yolov5 sets benchmark mode in its live-stream loader's __init__; a training run that never
    builds that loader (only other classes) is not affected by it."""
    loaders = ("import torch\nclass Streams:\n    def __init__(self):\n"
               "        torch.backends.cudnn.benchmark = True\n"
               "class Images:\n    def __init__(self):\n        self.files = []\n")
    train = "import torch\nfrom loaders import Images\ntorch.backends.cudnn.deterministic = True\ndata = Images()\n"
    assert [f.code for f in _check({"loaders.py": loaders, "train.py": train}, "train.py")] == []
    streams = train.replace("Images", "Streams")
    [finding] = _check({"loaders.py": loaders, "train.py": streams}, "train.py")
    assert finding.code == "MLF122" and "loaders.py:4" in finding.message


def test_dataloader_workers_on_new_torch_only_generator_objects() -> None:
    loader = "from torch.utils.data import DataLoader\nloader = DataLoader(ds, num_workers=4)\n"
    assert _check({"train.py": loader}, "train.py") == []
    [old] = _check({"train.py": loader}, "train.py", {"torch": "1.8.1"})
    assert old.code == "MLF130" and "torch 1.8.1" in old.message
    dataset = ("import numpy as np\nfrom torch.utils.data import Dataset\n"
               "class D(Dataset):\n    def __init__(self):\n        self.rng = np.random.default_rng(0)\n"
               "    def __getitem__(self, i):\n        return self.rng.random()\n")
    [copied] = _check({"train.py": loader, "data.py": dataset}, "data.py")
    assert copied.code == "MLF130" and "D.__getitem__" in copied.message
    assert _check({"data.py": dataset}, "data.py") == []  # no loader runs worker processes


def test_tf1_session_only_where_the_module_trains() -> None:
    infer = "import tensorflow as tf\nsess = tf.compat.v1.Session()\nout = sess.run(y)\n"
    train = infer + "step = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)\n"
    assert [f.code for f in _check({"i.py": infer}, "i.py")] == []
    assert "MLF220" in [f.code for f in _check({"t.py": train}, "t.py")]


def test_listings_in_test_modules_are_not_training_results() -> None:
    source = "import glob\nfirst = glob.glob('configs/*.yaml')[0]\n"
    assert [f.code for f in _check({"data.py": source}, "data.py")] == ["MLF010"]
    assert _check({"tests/test_configs.py": source}, "tests/test_configs.py") == []


def test_hash_order_is_silent_where_the_run_fixes_pythonhashseed() -> None:
    source = "text = open('corpus.txt').read()\nitos = list(set(text.split()))\n"

    def codes(env):
        facts = ProjectFacts(env_vars={"PYTHONHASHSEED": env} if env else {})
        findings, _ = check_source("prep.py", source, facts, set(all_rules()))
        return [f.code for f in findings]

    assert codes([]) == ["MLF011"]
    assert codes([("Dockerfile", 4, "0")]) == []
    assert codes([(".github/workflows/train.yml", 12, "42")]) == []
    assert codes([("prep.py", 1, "0")]) == ["MLF011"]  # os.environ at run time is too late (MLF420)
    assert codes([("Dockerfile", 4, "random")]) == ["MLF011"]

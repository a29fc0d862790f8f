"""General, TensorFlow and XGBoost rules: what the fixtures cannot show (messages that depend on
the pinned version, severities under op determinism, facts from other files, the data tables)."""
from __future__ import annotations

from typing import Dict, List, Optional

import pytest

from mlf_lint.lint.check import check_source
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.finding import Finding
from mlf_lint.lint.summaries import combine, summarize
from mlf_lint.engine.registry import all_rules
from mlf_lint.rules import code_rules
from mlf_lint.rules.general.sklearn import load_table as sklearn_table
from mlf_lint.rules.tensorflow.ops import load_table as tf_table

ALL = set(all_rules())
MY_PREFIXES = ("MLF0", "MLF2", "MLF3", "MLF42")


def _check(files: Dict[str, str], target: str, versions: Optional[Dict[str, str]] = None,
           facts: Optional[ProjectFacts] = None) -> List[Finding]:
    if facts is None:
        facts = combine({rel: summarize(text) for rel, text in files.items()}, files)
    facts.versions.update(versions or {})
    findings, _ = check_source(target, files[target], facts, ALL)
    return findings


TRAIN = "import tensorflow as tf\ntf.random.set_seed(0)\nwith tf.GradientTape() as tape:\n    pass\n"


@pytest.mark.parametrize("version, switch", [
    ("2.12.0", "enable_op_determinism()"),
    ("2.5.0", "TF_DETERMINISTIC_OPS=1"),
    ("1.15.5", "TF_CUDNN_DETERMINISTIC=1"),
])
def test_missing_op_determinism_names_the_switch_of_the_pinned_version(version: str, switch: str) -> None:
    [finding] = _check({"train.py": TRAIN}, "train.py", {"tensorflow": version})
    assert finding.code == "MLF202" and switch in finding.message


def test_op_without_deterministic_kernel_is_an_error_only_under_op_determinism() -> None:
    plain = "import tensorflow as tf\nc = tf.math.bincount(x)\n"
    [off] = _check({"a.py": plain}, "a.py")
    on_env = ProjectFacts(env_vars={"TF_DETERMINISTIC_OPS": [("Dockerfile", 3, "1")]})
    [on] = _check({"a.py": plain}, "a.py", facts=on_env)
    disabled = ProjectFacts(env_vars={"TF_DETERMINISTIC_OPS": [("Dockerfile", 3, "0")]})
    [still_off] = _check({"a.py": plain}, "a.py", facts=disabled)
    assert (off.severity, on.severity, still_off.severity) == ("warning", "error", "warning")
    assert "UnimplementedError" in on.message


def test_seeding_in_a_called_helper_module_counts() -> None:
    files = {
        "utils/seed.py": "import tensorflow as tf\n\ndef seed_all(s):\n    tf.keras.utils.set_random_seed(s)\n"
                         "    tf.config.experimental.enable_op_determinism()\n",
        "train.py": ("import tensorflow as tf\nfrom utils.seed import seed_all\nseed_all(1)\n"
                     "model.fit(x, y, epochs=1)\n"),
    }
    assert _check(files, "train.py") == []
    uncalled = dict(files, **{"train.py": "import tensorflow as tf\nmodel.fit(x, y, epochs=1)\n"})
    assert [f.code for f in _check(uncalled, "train.py")] == ["MLF201", "MLF202"]


def test_test_modules_are_not_training_runs() -> None:
    source = "import tensorflow as tf\nmodel.fit(x, y, epochs=1)\n"
    assert _check({"tests/test_model.py": source}, "tests/test_model.py") == []
    assert _check({"model_test.py": source}, "model_test.py") == []


def test_horovod_fusion_threshold_from_a_project_file() -> None:
    source = "import horovod.keras as hvd\nhvd.init()\n"
    assert [f.code for f in _check({"t.py": source}, "t.py")] == ["MLF230"]
    facts = ProjectFacts(env_vars={"HOROVOD_FUSION_THRESHOLD": [("Dockerfile", 4, "0")]})
    assert _check({"t.py": source}, "t.py", facts=facts) == []


def test_run_varying_seed_names_its_source_and_keeps_scopes_apart() -> None:
    source = ("import time, random\n"
              "def a():\n    s = time.time()\n    random.seed(s)\n"
              "def b(s=0):\n    random.seed(s)\n")
    [finding] = _check({"m.py": source}, "m.py")
    assert (finding.code, finding.line) == ("MLF002", 4)
    assert "time.time()" in finding.message


def test_xgboost_histogram_flag_only_in_the_versions_that_have_it() -> None:
    source = "import xgboost as xgb\nxgb.train({'deterministic_histogram': False}, d)\n"
    assert [f.code for f in _check({"x.py": source}, "x.py", {"xgboost": "1.4.2"})] == ["MLF303"]
    assert _check({"x.py": source}, "x.py", {"xgboost": "1.0.2"}) == []
    assert _check({"x.py": source}, "x.py", {"xgboost": "1.5.0"}) == []


def test_sklearn_table_is_well_formed() -> None:
    table = sklearn_table()
    assert "sklearn.model_selection.train_test_split" in table
    assert all(name.startswith("sklearn.") and len(entries) == 1 and entries[0].what
               for name, entries in table.items())
    for [entry] in table.values():
        for condition in entry.conditions:
            assert condition.arg and condition.values


def test_tf_op_table_is_well_formed() -> None:
    for name, entries in tf_table().items():
        assert name.startswith("tensorflow."), name
        assert all(e.kind in ("raises", "fixable") and e.what and e.instead for e in entries)


def test_every_code_of_these_rules_has_a_page_with_an_upstream_reference() -> None:
    rules = all_rules()
    mine = {c for rule in code_rules() for c in rule.codes if c.startswith(MY_PREFIXES)}
    assert mine, "no rules registered"
    for code in sorted(mine):
        rule = rules[code]
        assert rule.what and rule.why and rule.example and rule.use_instead and rule.versions, code
        assert rule.references and all(r.url.startswith("https://") for r in rule.references), code
    off = {c for c in mine if not rules[c].default}
    assert off == {"MLF030", "MLF204", "MLF302", "MLF306"}


def test_every_op_and_parameter_table_speaks_one_condition_grammar() -> None:
    import yaml

    from mlf_lint.engine.registry import PACKAGE_ROOT

    keys = {"arg", "also", "pos", "in", "not_in", "default", "present", "tensor"}
    tables = ["rules/pytorch/ops.yaml", "rules/tensorflow/ops.yaml", "rules/general/sklearn.yaml",
              "rules/xgboost/params.yaml"]
    for rel in tables:
        for entry in yaml.safe_load((PACKAGE_ROOT / rel).read_text(encoding="utf-8")):
            assert "backprop_only" not in entry, rel  # one spelling: backward_only
            for condition in entry.get("when", ()):
                assert set(condition) <= keys and "arg" in condition, (rel, condition)
                tests = {"in", "not_in", "present", "tensor"} & set(condition)
                assert len(tests) == 1, (rel, condition)


def test_xgboost_params_table_reads_unpacked_params_as_unknown() -> None:
    from mlf_lint.rules.table import Arguments, Condition

    class Params(Arguments):
        def __init__(self, params, opaque=False):
            self.params, self.opaque = params, opaque

        def node(self, name, pos):
            return None

        def value(self, name, pos):
            from mlf_lint.engine.evaluate import ABSENT
            return self.params.get(name, ABSENT)

    updater = Condition.from_data({"arg": "updater", "in": ["shotgun"], "default": "shotgun"})
    threads = Condition.from_data({"arg": "nthread", "also": ["n_jobs"], "not_in": [1]})
    assert updater.holds(Params({})) and not updater.holds(Params({}, opaque=True))
    assert threads.holds(Params({})) and not threads.holds(Params({"n_jobs": 1}))
    assert threads.holds(Params({"nthread": 4, "n_jobs": 1}))

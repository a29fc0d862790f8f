"""Property: for programs built from fixable and clean snippets (with comments, blank lines and
CRLF line endings), ``--fix`` output always compiles and fixing it again changes nothing."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlf_lint.lint.check import check_source
from mlf_lint.lint.summaries import combine, summarize
from mlf_lint.fix.apply import fix_source

HEADER = ("import os\nimport glob\nimport random\nimport torch\nimport numpy as np\n"
          "from lightning.pytorch import Trainer, seed_everything\n"
          "from sklearn.ensemble import RandomForestClassifier\n"
          "from torch.utils.data import DataLoader\n")
SNIPPETS = [
    "torch.backends.cudnn.benchmark = True",
    "torch.backends.cudnn.determinstic = True",
    "torch.set_deterministic(True)",
    "trainer = Trainer(max_epochs=1, benchmark=True)\ntrainer.deterministic = True",
    "trainer = Trainer(\n    max_epochs=1,\n)\ntrainer.benchmark = False",
    "seed_everything()",
    "seed_everything(7)",
    "loader = DataLoader(ds, num_workers=2, worker_init_fn=f)",
    "rng = np.random.default_rng()",
    "state = np.random.RandomState()",
    "random.seed()",
    "model = RandomForestClassifier(n_estimators=3)",
    "first = os.listdir('d')[0]",
    "names = glob.glob('*.py')[:3]",
    "if flag:\n    torch.backends.cudnn.benchmark = True\nelse:\n    pass",
    "def f():\n    trainer = Trainer()\n    trainer.deterministic = True\n    return trainer",
    "x = 1",
    "s = '''é\ntorch.backends.cudnn.benchmark = True\n'''",
    "torch.manual_seed(0)",
]
COMMENTS = st.sampled_from(["", "  # note", "  # noqa: X1", "  # é"])
LINE = st.tuples(st.sampled_from(SNIPPETS), COMMENTS, st.sampled_from(["", "\n", "# comment\n"]))


def _fix(source: str, unsafe: bool) -> str:
    facts = combine({"p.py": summarize(source)}, {"p.py": source})
    findings, _ = check_source("p.py", source, facts, None)
    return fix_source(source, findings, unsafe=unsafe, path="p.py").source


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=8), st.booleans(), st.booleans())
def test_fix_output_compiles_and_is_stable(lines, crlf: bool, unsafe: bool) -> None:
    body = "".join(f"{blank}{code.rstrip()}{comment}\n" if "\n" not in code else f"{blank}{code}\n"
                   for code, comment, blank in lines)
    source = HEADER + body
    if crlf:
        source = source.replace("\n", "\r\n")
    once = _fix(source, unsafe)
    compile(once, "p.py", "exec", dont_inherit=True)
    assert _fix(once, unsafe) == once
    if crlf:
        assert "\n" not in once.replace("\r\n", "")

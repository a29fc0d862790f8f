"""``mlf-lint audit`` end to end: real programs on the CPU build of torch, through the CLI.

The acceptance case (tests/fixtures/audit/): a user script trains two steps through an installed
stand-in for a model library and evaluates under ``no_grad``; the audit must report exactly the
findings the script's trailing comments announce, each at the user's line with the library chain.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from fixture_support import FIXTURES, expectations

torch = pytest.importorskip("torch", reason="the audit's end-to-end tests run programs that use torch")

AUDIT = FIXTURES / "audit"


def run_audit(args: List[str], cwd: Path, env: Optional[Dict[str, str]] = None,
              timeout: int = 600) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "mlf_lint", "audit", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def acceptance_project(tmp: Path) -> Tuple[Path, Dict[str, str]]:
    """The user's project in one folder, the library installed as site code in another."""
    site, project = tmp / "site", tmp / "project"
    shutil.copytree(AUDIT / "zoo", site)
    shutil.copytree(AUDIT / "project", project)
    return project, {"PYTHONPATH": str(site)}


@pytest.fixture(scope="module")
def acceptance(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("acceptance")
    project, env = acceptance_project(tmp)
    proc = run_audit(["--format", "json", "--records", str(tmp / "records"), "--", sys.executable, "train.py"],
                     project, env)
    assert proc.returncode == 1, proc.stderr[-3000:]
    return {"report": json.loads(proc.stdout), "project": project, "records": tmp / "records", "proc": proc,
            "env": env}


def located(report: dict) -> set:
    return {(f["location"]["row"], f["location"]["column"] - 1, f["code"]) for f in report["findings"]}


def test_reports_exactly_the_announced_findings_at_the_users_lines(acceptance: dict) -> None:
    source = (acceptance["project"] / "train.py").read_text()
    assert located(acceptance["report"]) == expectations(source)
    assert all(f["path"] == "train.py" for f in acceptance["report"]["findings"])


def test_each_finding_names_the_library_chain_and_the_operator(acceptance: dict) -> None:
    chains = {(f["code"], tuple(f["runtime"]["chain"])) for f in acceptance["report"]["findings"]}
    layers = (AUDIT / "zoo" / "tinyzoo" / "layers.py").read_text().splitlines()
    losses = (AUDIT / "zoo" / "tinyzoo" / "losses.py").read_text().splitlines()
    train = (AUDIT / "project" / "train.py").read_text().splitlines()

    def line(lines: List[str], text: str) -> int:
        return next(i for i, s in enumerate(lines, start=1) if text in s)

    model, seg, grouped = line(train, "= model(images)"), line(train, "segmentation_loss(pixel"), \
        line(train, "grouped_loss(per")
    forward, resample, head = line(layers, "self.resample(F.conv2d"), line(layers, 'mode="bilinear"'), \
        line(layers, "return pixels, self.head")
    assert chains == {
        ("MLF101", (f"train.py:{model}", f"tinyzoo/layers.py:{forward}", f"tinyzoo/layers.py:{resample}",
                    "F.interpolate", "aten::upsample_bilinear2d_backward (backward)")),
        ("MLF102", (f"train.py:{model}", f"tinyzoo/layers.py:{forward}", f"tinyzoo/layers.py:{resample + 1}",
                    "F.interpolate", "aten::upsample_bicubic2d_backward (backward)")),
        ("MLF150", (f"train.py:{model}", f"tinyzoo/layers.py:{head}", f"tinyzoo/layers.py:{line(layers, 'self.drop(')}",
                    "nn.Dropout", "aten::bernoulli_ (on a GPU aten::native_dropout)")),
        ("MLF102", (f"train.py:{seg}", f"tinyzoo/losses.py:{line(losses, 'F.cross_entropy')}", "F.cross_entropy",
                    "aten::nll_loss2d_forward")),
        ("MLF101", (f"train.py:{grouped}", f"tinyzoo/losses.py:{line(losses, 'index_add_')}", "aten::index_add_")),
    }
    for finding in acceptance["report"]["findings"]:
        assert finding["runtime"]["count"] == 2 and finding["runtime"]["first_step"] == 1


def test_one_by_one_pooling_and_the_no_grad_pass_leave_no_trace(acceptance: dict) -> None:
    operators = {row["op"]: row for row in acceptance["report"]["operators"]}
    assert "aten::mean.dim" in operators                # the 1x1 pooling, on every device
    assert "aten::_adaptive_avg_pool2d_backward" not in operators
    bicubic = operators["aten::upsample_bicubic2d"]
    assert bicubic["calls"] == 3                        # two training steps and the evaluation pass
    assert operators["aten::upsample_bicubic2d_backward"]["calls"] == 2
    assert acceptance["report"]["program"]["steps"] == 2


def test_cross_check_lists_what_the_static_rules_could_not_see(acceptance: dict) -> None:
    cross = acceptance["report"]["crosscheck"]
    assert [c["static"]["code"] for c in cross["confirmed"]] == ["MLF110"]  # never seeded, confirmed by MLF150
    assert sorted(r["code"] for r in cross["runtime_only"]) == ["MLF101", "MLF101", "MLF102", "MLF102"]


def test_text_output_has_the_findings_the_summary_and_the_program(acceptance: dict, tmp_path: Path) -> None:
    project, env = acceptance_project(tmp_path)
    proc = run_audit(["--max-steps", "1", "--", sys.executable, "train.py"], project, env)
    assert proc.returncode == 1, proc.stderr[-2000:]
    out = proc.stdout
    assert "train.py:20:34: MLF102 aten::upsample_bicubic2d_backward" in out
    assert "Observed at run time:" in out and "rng-draw-before-seed" in out
    assert "stopped by --max-steps after 1 optimizer step" in out
    assert "trained" not in out  # the program never reached its last line


def test_sarif_is_valid_and_keeps_its_own_category(acceptance: dict, tmp_path: Path) -> None:
    from mlf_lint.audit.judge import Judge
    from mlf_lint.audit.program import AGENT_DIR, ProgramRun
    from mlf_lint.audit.records import read_trace
    from mlf_lint.audit.report import render_sarif
    from mlf_lint.audit.session import AuditResult
    from mlf_lint.engine.registry import all_rules
    from mlf_lint.rules.pytorch.aten import load_aten_index

    trace = read_trace(acceptance["records"] / "records")
    root = acceptance["project"]
    findings = Judge(trace, load_aten_index(), root, AGENT_DIR).run().findings
    program = ProgramRun(["python", "train.py"], 1, 3.0, stderr_tail=["RuntimeError: boom"])
    result = AuditResult(program, trace, [f for f in findings if f.code != "MLF103"], root=root)
    log = json.loads(render_sarif(result, root, sorted(all_rules())))
    run = log["runs"][0]
    assert run["automationDetails"]["id"] == "mlf-lint-audit/"
    assert {r["ruleId"] for r in run["results"]} == {"MLF101", "MLF102", "MLF150"}
    assert all(r["properties"]["observedAtRunTime"] for r in run["results"])
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "boom" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    _validate(log, tmp_path)


def _validate(log: dict, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("report_sample", FIXTURES / "report" / "sample.py")
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)  # type: ignore[union-attr]
    tools = sample.sarif_multitool()
    if tools is None:
        pytest.skip(sample.MISSING_NODE_TOOLS)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(tools[1].read_text(encoding="utf-8"))
    assert [e.message for e in jsonschema.validators.validator_for(schema)(schema).iter_errors(log)] == []
    from test_report_sarif import multitool_problems

    target = tmp_path / "audit.sarif"
    target.write_text(json.dumps(log), encoding="utf-8")
    assert multitool_problems(tools[0], target, tmp_path / "validation.sarif") == []


def test_deterministic_mode_attention_and_late_seeds(tmp_path: Path) -> None:
    shutil.copytree(AUDIT / "modes", tmp_path / "modes")
    proc = run_audit(["--format", "json", "--", sys.executable, "modes.py"], tmp_path / "modes")
    assert proc.returncode == 1, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert located(report) == expectations((AUDIT / "modes" / "modes.py").read_text())
    by_code = {f["code"]: f for f in report["findings"]}
    assert by_code["MLF102"]["severity"] == "error"      # the mode is on: a GPU raises there
    assert "seeds it only later, with random.seed at modes.py:23" in by_code["MLF150"]["message"]


def test_a_crashing_program_keeps_its_findings_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "crash.py").write_text(textwrap.dedent("""\
        import torch
        x = torch.zeros(4).index_add_(0, torch.tensor([0, 0]), torch.ones(2))
        raise RuntimeError("boom at the end")
    """))
    proc = run_audit(["--", sys.executable, "crash.py"], tmp_path)
    assert proc.returncode == 2
    assert "crash.py:2:5: MLF101 aten::index_add_" in proc.stdout
    assert "FAILED with exit status 1" in proc.stdout and "| RuntimeError: boom at the end" in proc.stdout
    assert "boom at the end" in proc.stderr  # the program's own stderr passes through


def test_a_hard_exit_keeps_the_operators_recorded_before_it(tmp_path: Path) -> None:
    (tmp_path / "hard.py").write_text(textwrap.dedent("""\
        import os
        import torch
        x = torch.zeros(4).index_add_(0, torch.tensor([0, 0]), torch.ones(2))
        os._exit(3)  # no atexit, no flush: only what was written as it happened survives
    """))
    proc = run_audit(["--", sys.executable, "hard.py"], tmp_path)
    assert proc.returncode == 2
    assert "hard.py:3:5: MLF101 aten::index_add_" in proc.stdout and "exit status 3" in proc.stdout


def test_timeout_stops_the_program_and_reports_what_ran(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(textwrap.dedent("""\
        import time
        import torch
        x = torch.zeros(4).index_add_(0, torch.tensor([0, 0]), torch.ones(2))
        print("ready", flush=True)
        time.sleep(300)
    """))
    proc = run_audit(["--timeout", "45", "--", sys.executable, "slow.py"], tmp_path, timeout=180)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "stopped by --timeout" in proc.stdout and "slow.py:3:5: MLF101" in proc.stdout


def test_module_form_and_spawned_dataloader_workers(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text(textwrap.dedent("""\
        import torch
        from torch.utils.data import DataLoader, Dataset


        class Noisy(Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, index):
                return torch.rand(2)  # seeded by PyTorch in each worker


        if __name__ == "__main__":
            torch.manual_seed(0)
            loader = DataLoader(Noisy(), batch_size=2, num_workers=1, multiprocessing_context="spawn")
            print(sum(float(batch.sum()) for batch in loader))
    """))
    proc = run_audit(["--format", "json", "-m", "pkg.train"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["findings"] == []
    [worker] = report["workers"]
    assert worker["origin"] == "start" and worker["worker_id"] == 0  # a spawned process, traced too
    draws = [row for row in report["operators"] if row["op"] == "aten::rand"]
    assert draws and draws[0]["calls"] == 4


def test_the_environments_own_sitecustomize_still_runs(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import pathlib\npathlib.Path('marker').write_text('ran')\n")
    (tmp_path / "script.py").write_text("import sys\nprint([p for p in sys.path if 'agent' in p])\n")
    proc = run_audit(["--no-static", "--", sys.executable, "script.py"], tmp_path, {"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "marker").read_text() == "ran"
    assert "[]" in proc.stdout  # the agent's folder is not left on the program's sys.path


def test_a_program_the_tracer_cannot_enter_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text("print('isolated')\n")
    proc = run_audit(["--", sys.executable, "-I", "script.py"], tmp_path)
    assert proc.returncode == 2
    assert "The tracer recorded nothing" in proc.stdout


@pytest.mark.slow
@pytest.mark.lint_e2e
def test_a_generated_mlflow_pytorch_project_has_no_runtime_finding(tmp_path: Path) -> None:
    for module in ("lightning", "mlflow"):
        pytest.importorskip(module)
    from mlf_lint.scaffold.registry import get_template
    from mlf_lint.scaffold.render import render

    project = render(get_template("mlflow-pytorch"), {"project_name": "demo"}, tmp_path)
    env = {"MLFLOW_TRACKING_URI": (project / "mlruns").as_uri(), "MLFLOW_ALLOW_FILE_STORE": "true"}
    proc = run_audit(["--format", "json", "--", sys.executable, "-m", "demo.train", "--epochs", "1"], project, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["findings"] == [] and report["program"]["steps"] > 0
    assert any(row["op"] == "aten::addmm" and row["deterministic_mode"] == [True] for row in report["operators"])
    # The tracer changes no number: the audited run trains to the weights of a plain run.
    plain = subprocess.run([sys.executable, "-m", "demo.train", "--epochs", "1"], cwd=project,
                           env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    assert plain.returncode == 0, plain.stderr[-2000:]
    digest = next(ln for ln in plain.stdout.splitlines() if ln.startswith("weights_sha256="))
    assert digest in proc.stderr  # the program's own output went to stderr beside the JSON report


def test_the_gpu_confirmation_script_runs_its_cases_on_the_cpu(tmp_path: Path) -> None:
    out = tmp_path / "confirm.json"
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "audit_gpu_confirm.py"
    proc = subprocess.run([sys.executable, str(script), str(out), "--cases", "interpolate-bicubic,adaptive-pool-1x1"],
                          env={**os.environ, "MLF_PROBE_DEVICE": "cpu"}, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cases = {c["id"]: c for c in json.loads(out.read_text())["cases"]}
    assert "MLF102" in cases["interpolate-bicubic"]["predicted"]
    assert "MLF102" not in cases["adaptive-pool-1x1"]["predicted"]  # a mean() on every device
    assert cases["adaptive-pool-1x1"]["raises_in_mode"] is False and cases["interpolate-bicubic"]["agrees"] is None


def test_every_aten_key_of_the_op_table_is_an_operator_of_this_torch() -> None:
    from mlf_lint.rules.pytorch.aten import load_aten_index

    index = load_aten_index()
    for name in index.operators:
        packet, _, overload = name.partition(".")
        assert hasattr(torch.ops.aten, packet), f"ops.yaml: aten::{packet} is not an operator of torch"
        if overload:
            assert overload in getattr(torch.ops.aten, packet).overloads(), f"ops.yaml: no overload {name}"
    for dotted in index.traced:
        module, _, attr = dotted.rpartition(".")
        assert hasattr(sys.modules.get(module) or __import__(module, fromlist=[attr]), attr), dotted

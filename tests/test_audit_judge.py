"""The audit's judgement of recorded runs (hand-written records; no torch needed)."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from audit_support import LIB, TORCH, ProcessFile
from mlf_lint.audit.crosscheck import compare
from mlf_lint.audit.judge import Judge, RuntimeFinding
from mlf_lint.audit.program import AGENT_DIR
from mlf_lint.audit.records import read_trace
from mlf_lint.audit.session import _suppress
from mlf_lint.engine.finding import Finding
from mlf_lint.engine.registry import all_rules
from mlf_lint.rules.pytorch.aten import load_aten_index

MODE, WARN_ONLY, CUDNN_DET = 1, 2, 4


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "train.py").write_text("\n".join(f"line{i}" for i in range(1, 60)) + "\n")
    return root


def judge(root: Path, *files: ProcessFile) -> List[RuntimeFinding]:
    for f in files:
        f.write()
    trace = read_trace(files[0].path.parent)
    return Judge(trace, load_aten_index(), root, AGENT_DIR).run().findings


def records(root: Path, **kw) -> ProcessFile:
    return ProcessFile(root.parent / "records", **kw)


def user(root: Path, line: int, col: int = 4, function: str = "<module>") -> list:
    return [str(root / "train.py"), line, function, col]


def codes(findings: List[RuntimeFinding]) -> List[tuple]:
    return [(f.code, f.severity, f.place.line if f.place else None) for f in findings]


def test_an_operator_is_placed_at_the_innermost_project_line_with_its_library_chain(project: Path) -> None:
    rec = records(project)
    site = rec.site([f"{TORCH}/nn/functional.py", 4500, "interpolate"],
                    [f"{LIB}/zoo/layers.py", 41, "resample"], [f"{TORCH}/nn/modules/module.py", 1789,
                                                               "Module._call_impl"],
                    [f"{LIB}/zoo/model.py", 12, "Net.forward"], user(project, 30, 10), user(project, 50, 0, "main"))
    rec.op("upsample_bicubic2d_backward", site, phase="backward", forward="upsample_bicubic2d", count=7)
    [finding] = judge(project, rec)
    assert (finding.code, finding.severity, finding.place.line, finding.place.col) == ("MLF102", "warning", 30, 10)
    assert finding.chain == ("train.py:30", "zoo/model.py:12", "zoo/layers.py:41", "F.interpolate",
                             "aten::upsample_bicubic2d_backward (backward)")
    assert finding.count == 7 and finding.first_step == 1
    assert "Observed at run time: 7×, first in step 1" in finding.full_message()
    assert finding.user_lines == (("train.py", 30), ("train.py", 50))


def test_deterministic_mode_turns_raising_ops_into_errors_and_silences_the_ones_it_fixes(project: Path) -> None:
    rec = records(project)
    a, b, c = (rec.site(user(project, n)) for n in (10, 11, 12))
    rec.op("upsample_bicubic2d_backward", a, phase="backward", flags=MODE)
    rec.op("index_add_", b, flags=MODE)
    rec.op("index_add_", c, flags=0)
    assert codes(judge(project, rec)) == [("MLF102", "error", 10), ("MLF101", "warning", 12)]


def test_warn_only_keeps_the_fused_attention_backward_but_fixes_index_add(project: Path) -> None:
    rec = records(project)
    a, b = rec.site(user(project, 20)), rec.site(user(project, 21))
    rec.op("_scaled_dot_product_flash_attention_for_cpu_backward", a, phase="backward", flags=MODE | WARN_ONLY)
    rec.op("index_add_", b, flags=MODE | WARN_ONLY)
    [finding] = judge(project, rec)
    assert finding.code == "MLF101" and finding.place.line == 20
    assert "On a GPU PyTorch runs flash attention" in finding.message


def test_the_math_path_of_attention_counts_through_the_traced_call_once(project: Path) -> None:
    rec = records(project)
    site = rec.site(user(project, 22))
    for op in ("bmm", "_softmax_backward_data", "bmm"):
        rec.op(op, site, phase="backward", span="torch.nn.functional.scaled_dot_product_attention", count=4)
    rec.op("bmm", site, phase="forward", span="torch.nn.functional.scaled_dot_product_attention")
    [finding] = judge(project, rec)
    assert finding.chain[-1] == "F.scaled_dot_product_attention (backward)" and finding.count == 4


def test_attention_in_float64_runs_the_deterministic_math_kernel_on_a_gpu(project: Path) -> None:
    rec = records(project)
    rec.op("_scaled_dot_product_flash_attention_for_cpu_backward", rec.site(user(project, 5)), phase="backward",
           dtype="float64")
    assert judge(project, rec) == []


def test_cudnn_deterministic_fixes_convolution(project: Path) -> None:
    rec = records(project)
    a, b = rec.site(user(project, 3)), rec.site(user(project, 4))
    rec.op("convolution_backward", a, phase="backward", flags=CUDNN_DET)
    rec.op("convolution_backward", b, phase="backward")
    assert codes(judge(project, rec)) == [("MLF103", "warning", 4)]


@pytest.mark.parametrize("version,expected", [("2.9.1", [("MLF102", "warning", 7)]), ("2.13.0", [])])
def test_version_ranges_follow_the_installed_torch(project: Path, version: str, expected: list) -> None:
    rec = records(project, torch=version)
    rec.op("kthvalue", rec.site(user(project, 7)))
    assert codes(judge(project, rec)) == expected


@pytest.mark.parametrize("op,args,dtype,reported", [
    ("bincount", {"weights": None}, "int64", False),
    ("bincount", {"weights": "tensor:float32"}, "int64", True),
    ("histc", {"self": "tensor:int64"}, "int64", False),
    ("histc", {"self": "tensor:float32"}, "float32", True),
    ("cumsum", {"dtype": None}, "int64", False),
    ("cumsum", {"dtype": "dtype:float32"}, "int64", True),
    ("cumsum", {"dtype": None}, "float32", True),
    ("index_put_", {"indices": ("tensor:bool",), "accumulate": False}, "float32", False),
    ("index_put_", {"indices": (None, "tensor:int64"), "accumulate": False}, "float32", True),
    ("index_put", {"indices": ("tensor:int64",), "accumulate": True}, "float32", False),
    ("nll_loss2d_forward", {"reduction": 0}, "float32", False),
    ("nll_loss2d_forward", {"reduction": 1}, "float32", True),
    ("scatter_reduce.two", {"reduce": "amax"}, "float32", False),
    ("scatter_reduce.two", {"reduce": "prod"}, "float32", True),
    ("scatter.value", {}, "float32", False),
    ("scatter_.src", {}, "float32", True),
    ("median.dim", {}, "float32", True),
    ("median", {}, "float32", False),
    ("_embedding_bag_backward", {"mode": 0}, "float32", False),
    ("_embedding_bag_backward", {"mode": 2}, "float32", True),
])
def test_argument_conditions_decide(project: Path, op: str, args: dict, dtype: str, reported: bool) -> None:
    rec = records(project)
    rec.op(op, rec.site(user(project, 9)), args=args, dtype=dtype)
    assert bool(judge(project, rec)) is reported


def test_unseeded_draws_are_reported_once_per_place_and_say_whether_a_seed_came_later(project: Path) -> None:
    rec = records(project)
    layer = [f"{TORCH}/nn/modules/linear.py", 100, "Linear.__init__"]
    init = rec.site([f"{TORCH}/nn/init.py", 460, "kaiming_uniform_"],
                    [f"{TORCH}/nn/modules/linear.py", 110, "Linear.reset_parameters"], layer, user(project, 5, 8))
    bias = rec.site([f"{TORCH}/nn/init.py", 20, "_no_grad_uniform_"],
                    [f"{TORCH}/nn/modules/linear.py", 115, "Linear.reset_parameters"], layer, user(project, 5, 8))
    rec.op("uniform_", init, draw=2).op("uniform_", bias, draw=2)
    rec.event(t="seed", rng="torch", fn="torch.manual_seed", value=0, site=rec.site(user(project, 6)), step=1)
    rec.op("bernoulli_.float", rec.site(user(project, 8)), draw=1)
    [finding] = judge(project, rec)
    assert finding.code == "MLF150" and finding.place.line == 5 and finding.count == 2
    assert "seeds it only later, with torch.manual_seed at train.py:6" in finding.message
    assert not finding.never_seeded


def test_draws_without_a_project_frame_or_during_a_library_import_are_not_reported(project: Path) -> None:
    rec = records(project)
    library_only = rec.site([f"{LIB}/zoo/ids.py", 3, "new_id"])
    importing = rec.site([f"{LIB}/zoo/__init__.py", 3, "<module>"],
                         ["<frozen importlib._bootstrap>", 241, "_call_with_frames_removed"], user(project, 2, 0))
    rec.event(t="pydraw", rng="random", fn="random.random", site=library_only, step=1)
    rec.event(t="pydraw", rng="numpy", fn="numpy.random.rand", site=importing, step=1)
    assert judge(project, rec) == []


def test_seeding_calls_are_judged_like_the_static_rules(project: Path) -> None:
    rec = records(project)
    rec.event(t="seed", rng="torch", fn="torch.seed", value="random", site=rec.site(user(project, 3)), step=1)
    rec.event(t="seed", rng="numpy", fn="numpy.random.seed", value=None, site=rec.site(user(project, 4)), step=1)
    rec.event(t="seed", rng="cuda", fn="torch.cuda.manual_seed", value=1, site=rec.site(user(project, 5)), step=1)
    rec.event(t="rngnew", fn="numpy.random.default_rng", site=rec.site(user(project, 6)), step=1)
    got = sorted((f.code, f.place.line) for f in judge(project, rec))
    assert got == [("MLF001", 4), ("MLF003", 6), ("MLF111", 3), ("MLF113", 5)]


def test_cudnn_benchmark_and_cublas_at_the_first_convolution_and_matmul(project: Path) -> None:
    rec = records(project, torch="2.4.0")
    rec.event(t="first", kind="conv", op="convolution", device="cpu", site=rec.site(user(project, 3)), flags=8 | 4,
              env={}, step=1)
    rec.event(t="first", kind="matmul", op="addmm", device="cpu", site=rec.site(user(project, 4)), flags=MODE,
              env={"CUBLAS_WORKSPACE_CONFIG": None}, step=1)
    got = sorted((f.code, f.place.line) for f in judge(project, rec))
    assert got == [("MLF122", 3), ("MLF401", 4)]
    newer = ProcessFile(project.parent / "newer", torch="2.13.0")
    newer.event(t="first", kind="matmul", op="addmm", device="cpu", site=newer.site(user(project, 4)), flags=MODE,
                env={"CUBLAS_WORKSPACE_CONFIG": None}, step=1)
    assert judge(project, newer) == []  # torch 2.10 dropped the check


def test_a_truncated_last_line_is_skipped_and_the_rest_kept(project: Path) -> None:
    rec = records(project)
    rec.op("index_add_", rec.site(user(project, 3)))
    rec.write(tail='{"t": "op", "id": 9, "op": "histc", "si')
    trace = read_trace(rec.path.parent)
    assert trace.processes[0].bad_lines == 1
    assert [f.code for f in Judge(trace, load_aten_index(), project, AGENT_DIR).run().findings] == ["MLF101"]


def test_frames_in_a_virtual_environment_inside_the_project_are_library_frames(project: Path) -> None:
    rec = records(project)
    venv_lib = project / ".venv" / "lib" / "site-packages" / "zoo" / "x.py"
    rec.op("index_add_", rec.site([str(venv_lib), 3, "f"], user(project, 12)))
    [finding] = judge(project, rec)
    assert finding.place.line == 12 and len(finding.chain) == 3


def test_noqa_on_the_reported_line_or_the_line_that_built_the_layer_suppresses(project: Path) -> None:
    (project / "train.py").write_text("import torch\n" * 3 + "up = Up()  # noqa: MLF102\n" + "y = up(x)\n"
                                      + "z = torch.zeros(3).index_add_(0, i, s)  # noqa: MLF101\n"
                                      + "w = torch.zeros(3).index_add_(0, i, s)\n")
    found = [RuntimeFinding("MLF102", "warning", "m", _place(5), ("train.py:5",), "operator", "x",
                            built_at=_place(4)),
             RuntimeFinding("MLF101", "warning", "m", _place(6), ("train.py:6",), "operator", "y"),
             RuntimeFinding("MLF101", "warning", "m", _place(7), ("train.py:7",), "operator", "z")]
    kept, suppressed = _suppress(found, project, set(all_rules()), lambda path: ())
    assert [f.place.line for f in kept] == [7] and len(suppressed) == 2
    kept, _ = _suppress(found, project, set(all_rules()) - {"MLF101"}, lambda path: ())
    assert kept == []
    (project / "train.py").write_text("# mlf-lint: noqa\n")
    assert _suppress(found, project, set(all_rules()), lambda path: ())[0] == []


def _place(line: int):
    from mlf_lint.audit.frames import Place

    return Place("train.py", line, 0)


def test_cross_check_sorts_static_findings_by_what_the_run_did() -> None:
    static = [Finding("train.py", 4, 0, "MLF102", "built here"),        # confirmed through built_at
              Finding("train.py", 9, 0, "MLF102", "ran, no backward"),  # ran, not observed
              Finding("train.py", 30, 0, "MLF101", "never ran"),
              Finding("train.py", 2, 0, "MLF110", "never seeds"),
              Finding("requirements.txt", 1, 0, "MLF501", "not comparable")]
    runtime = [RuntimeFinding("MLF102", "warning", "m", _place(5), ("train.py:5",), "operator", "x",
                              built_at=_place(4), user_lines=(("train.py", 5),)),
               RuntimeFinding("MLF101", "warning", "m", _place(7), ("train.py:7",), "operator", "y",
                              user_lines=(("train.py", 7),)),
               RuntimeFinding("MLF150", "warning", "m", _place(3), ("train.py:3",), "draw", "torch:x",
                              rng="torch", never_seeded=True)]
    cross = compare(static, runtime, executed={("train.py", 5), ("train.py", 9), ("train.py", 3)},
                    operators_at={("train.py", 9): {"mean.dim"}})
    assert [(s.line, r.code) for s, r in cross.confirmed] == [(2, "MLF150"), (4, "MLF102")]
    assert [(s.line, why) for s, why in cross.not_observed] == [
        (9, "the condition never happened; ran there: aten::mean.dim")]
    assert [r.place.line for r in cross.runtime_only] == [7]
    assert [s.line for s in cross.not_reached] == [30]


def test_a_project_file_reached_through_a_symbolic_link_is_still_the_project(project: Path) -> None:
    link = project.parent / "link"
    link.symlink_to(project, target_is_directory=True)
    rec = records(project)
    rec.op("index_add_", rec.site([str(link / "train.py"), 12, "<module>", 3]))
    [finding] = judge(project, rec)
    assert (finding.place.path, finding.place.line) == ("train.py", 12)

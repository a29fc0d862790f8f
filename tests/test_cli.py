"""The `mlf-lint check` command: exit codes, selection, config forms, suppression, bad input."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import codes, invoke, run_module, write

BENCHMARK = """
import torch
torch.backends.cudnn.benchmark = True
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "setup.py").write_text("", encoding="utf-8")  # a root marker
    return tmp_path


def test_exit_0_when_clean(project: Path) -> None:
    write(project, {"clean.py": "import torch\ntorch.manual_seed(0)\n"})
    code, out, _ = invoke(["check", str(project), "--no-cache"])
    assert code == 0
    assert "All checks passed" in out


def test_exit_1_with_findings_and_bare_path_means_check(project: Path) -> None:
    write(project, {"bad.py": BENCHMARK})
    code, out, _ = invoke([str(project), "--no-cache"])
    assert code == 1
    assert codes(out) == ["MLF120"]
    assert "bad.py:2:1: MLF120" in out
    assert "Found 1 finding" in out


def test_exit_zero_flag(project: Path) -> None:
    write(project, {"bad.py": BENCHMARK})
    assert invoke([str(project), "--no-cache", "--exit-zero"])[0] == 0


def test_no_default_path_checks_nothing_when_given_no_paths(project: Path) -> None:
    """What the pre-commit hook runs: with no file names there is nothing to check."""
    write(project, {"bad.py": BENCHMARK})
    everything = run_module(["--no-cache"], cwd=project)
    assert everything.returncode == 1 and "MLF120" in everything.stdout
    nothing = run_module(["check", "--no-default-path", "--no-cache"], cwd=project)
    assert nothing.returncode == 0 and "0 files checked" in nothing.stdout, nothing.stdout + nothing.stderr
    named = run_module(["check", "--no-default-path", "--no-cache", "bad.py"], cwd=project)
    assert named.returncode == 1 and "MLF120" in named.stdout


@pytest.mark.parametrize("args", [["--select", "MLF999"], ["--ignore", "XYZ1"], ["--extend-select", "MLF8"]])
def test_unknown_code_exits_2_with_one_line(project: Path, args) -> None:
    write(project, {"bad.py": BENCHMARK})
    code, out, err = invoke([str(project), *args])
    assert code == 2
    assert err.count("\n") == 1 and "unknown rule code" in err and args[1] in err
    assert "Traceback" not in out + err


def test_missing_path_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke([str(tmp_path / "nope")])
    assert code == 2
    assert "no such file or directory" in err and "Traceback" not in err


def test_select_ignore_and_prefixes(project: Path) -> None:
    write(project, {"bad.py": BENCHMARK + "torch.histc(x)\n"})
    assert codes(invoke([str(project), "--no-cache"])[1]) == ["MLF120", "MLF102"]
    assert codes(invoke([str(project), "--no-cache", "--select", "MLF12"])[1]) == ["MLF120"]
    assert codes(invoke([str(project), "--no-cache", "--ignore", "MLF1"])[1]) == []
    # the most specific selector wins, as in flake8
    assert codes(invoke([str(project), "--no-cache", "--ignore", "MLF1", "--select", "MLF120"])[1]) == ["MLF120"]
    assert codes(invoke([str(project), "--no-cache", "--select", "MLF", "--ignore", "MLF120"])[1]) == ["MLF102"]


def test_off_by_default_rule_needs_explicit_selection(project: Path) -> None:
    write(project, {"conv.py": "import torch.nn as nn\nconv = nn.Conv2d(3, 8, 3)\n"})
    assert codes(invoke([str(project), "--no-cache"])[1]) == []
    assert codes(invoke([str(project), "--no-cache", "--select", "MLF1"])[1]) == []
    assert codes(invoke([str(project), "--no-cache", "--extend-select", "MLF103"])[1]) == ["MLF103"]


@pytest.mark.parametrize("name,text", [
    ("pyproject.toml", '[tool.mlf-lint]\nignore = ["MLF120"]\n'),
    (".mlf-lint.toml", 'ignore = ["MLF120"]\n'),
    ("setup.cfg", "[mlf-lint]\nignore = MLF120\n"),
    ("tox.ini", "[mlf-lint]\nignore =\n    MLF120\n"),
])
def test_config_file_forms(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path, {name: text, "bad.py": BENCHMARK + "torch.histc(x)\n"})
    code, out, _ = invoke([str(tmp_path), "--no-cache"])
    assert codes(out) == ["MLF102"], out
    assert code == 1


@pytest.mark.parametrize("name,text,expected", [
    ("pyproject.toml", '[tool.mlf-lint]\nselect = ["MLF000"]\n', "select: unknown rule code 'MLF000'"),
    ("pyproject.toml", "[tool.mlf-lint]\nselect = 3\n", "select: expected a list of strings"),
    ("pyproject.toml", "[tool.mlf-lint]\nbogus = 1\n", "unknown key 'bogus'"),
    ("pyproject.toml", "[tool.mlf-lint\n", "pyproject.toml:1: not valid TOML: Expected ']'"),
    (".mlf-lint.toml", "jobs = 'many'\n", "jobs: expected a whole number"),
    ("setup.cfg", "[mlf-lint]\nper-file-ignores =\n    no colon here\n", "per-file-ignores: expected lines"),
    ("setup.cfg", "[mlf-lint\n", "setup.cfg: cannot be parsed"),
])
def test_malformed_config_exits_2_naming_file_and_key(tmp_path: Path, name, text, expected) -> None:
    write(tmp_path, {name: text, "bad.py": BENCHMARK})
    code, out, err = invoke([str(tmp_path), "--no-cache"])
    assert code == 2
    assert expected in err and err.count("\n") == 1, err
    assert "Traceback" not in out + err


def test_per_file_ignores_and_exclude(tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": '[tool.mlf-lint]\nexclude = ["legacy"]\n[tool.mlf-lint.per-file-ignores]\n'
                          '"scripts/*" = ["MLF120"]\n',
        "scripts/a.py": BENCHMARK, "legacy/b.py": BENCHMARK, "c.py": BENCHMARK,
    })
    code, out, _ = invoke([str(tmp_path), "--no-cache"])
    assert codes(out) == ["MLF120"] and "c.py:2:1" in out


def test_noqa_forms(project: Path) -> None:
    write(project, {
        "a.py": "import torch\ntorch.backends.cudnn.benchmark = True  # noqa\n",
        "b.py": "import torch\ntorch.backends.cudnn.benchmark = True  # noqa: MLF120\n",
        "c.py": "import torch\ntorch.backends.cudnn.benchmark = True  # noqa: MLF102\n",
        "d.py": "# mlf-lint: noqa\nimport torch\ntorch.backends.cudnn.benchmark = True\n",
        "e.py": "import torch\ntorch.backends.cudnn.benchmark = True  # NOQA:MLF1\n",
    })
    code, out, _ = invoke([str(project), "--no-cache"])
    assert [line.split(":")[0] for line in out.splitlines() if "MLF" in line] == ["c.py"]


def test_syntax_error_binary_and_non_utf8_are_findings_and_the_run_goes_on(project: Path) -> None:
    # (A file is parsed when it names something a rule looks for: here torch.histc.)
    write(project, {"broken.py": "import torch\ny = torch.histc(x)\ndef f(:\n    pass\n", "ok.py": BENCHMARK,
                    "unread.py": "import torch\ndef f(:\n    pass\n"})
    (project / "binary.py").write_bytes(b"\x00\x01\x02torch")
    (project / "latin.py").write_bytes("x = 'caf\xe9'  # torch\n".encode("latin-1"))
    code, out, err = invoke([str(project), "--no-cache"])
    assert code == 1
    assert "Traceback" not in out + err
    lines = {line.split(":")[0]: line for line in out.splitlines() if ": MLF" in line}
    assert "MLF901" in lines["broken.py"] and "MLF902" in lines["binary.py"] and "MLF902" in lines["latin.py"]
    assert "MLF120" in lines["ok.py"]
    assert "unread.py" not in lines  # names nothing a rule looks for: not parsed (flake8's E999 has it)


def test_gitignored_and_virtualenv_folders_are_skipped(project: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(project)], check=True)
    write(project, {".gitignore": "generated/\n", "generated/g.py": BENCHMARK,
                    "env/pyvenv.cfg": "home = /usr\n", "env/lib/site.py": BENCHMARK,
                    ".venv/x.py": BENCHMARK, "main.py": BENCHMARK})
    code, out, _ = invoke([str(project), "--no-cache"])
    assert [line.split(":")[0] for line in out.splitlines() if "MLF" in line] == ["main.py"]


def test_statistics_and_version(project: Path) -> None:
    write(project, {"a.py": BENCHMARK + "torch.backends.cudnn.benchmark = True\n"})
    code, out, _ = invoke([str(project), "--no-cache", "--statistics"])
    assert "     2  MLF120  cudnn-benchmark" in out
    code, out, _ = invoke(["--version"])
    assert code == 0 and "mlf-lint, version" in out


def test_subprocess_entry_point(project: Path) -> None:
    write(project, {"bad.py": BENCHMARK})
    proc = run_module([".", "--no-cache"], cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert "bad.py:2:1: MLF120" in proc.stdout
    assert "\x1b[" not in proc.stdout  # no colour when piped


def test_seeding_in_a_helper_module_counts(project: Path) -> None:
    write(project, {
        "utils/seed.py": "import torch\n\ndef seed_all(s):\n    torch.manual_seed(s)\n"
                         "    torch.use_deterministic_algorithms(True)\n",
        "train.py": "from utils.seed import seed_all\nimport torch\nseed_all(1)\nx.index_add_(0, i, s)\n"
                    "loss.backward()\ntorch.histc(x)\n",
    })
    code, out, _ = invoke([str(project), "--no-cache"])
    # seeded and deterministic through the helper: only histc, now an error (it raises in the mode)
    assert codes(out) == ["MLF102"]
    assert "raises RuntimeError" in out


def test_seeding_in_a_class_method_counts(project: Path) -> None:
    write(project, {
        "mlf_core.py": "import torch\n\nclass MLFCore:\n    @staticmethod\n"
                       "    def set_pytorch_random_seeds(seed):\n        torch.manual_seed(seed)\n",
        "train.py": "import torch\nfrom mlf_core import MLFCore\nMLFCore.set_pytorch_random_seeds(0)\n"
                    "loss.backward()\n",
    })
    assert codes(invoke([str(project), "--no-cache"])[1]) == []
    (project / "train.py").write_text("import torch\nloss.backward()\n", encoding="utf-8")
    assert codes(invoke([str(project), "--no-cache"])[1]) == ["MLF110"]


def test_a_helper_only_called_by_an_uncalled_helper_does_not_count(project: Path) -> None:
    write(project, {
        "repro.py": "import torch\n\ndef _seed_torch(s):\n    torch.manual_seed(s)\n\ndef set_seeds(s):\n"
                    "    _seed_torch(s)\n",
        "train.py": "import torch\nimport repro\n\ndef main():\n    loss.backward()\n\n"
                    "if __name__ == '__main__':\n    main()\n",
    })
    assert codes(invoke([str(project), "--no-cache"])[1]) == ["MLF110"]
    (project / "train.py").write_text(
        "import torch\nimport repro\n\ndef main():\n    repro.set_seeds(0)\n    loss.backward()\n\n"
        "if __name__ == '__main__':\n    main()\n", encoding="utf-8")
    assert codes(invoke([str(project), "--no-cache"])[1]) == []


def test_file_level_noqa_with_a_reason_exempts_the_file_and_its_facts(project: Path) -> None:
    write(project, {
        "probe.py": "# mlf-lint: noqa  (runs the ops on purpose)\nimport torch\n"
                    "torch.use_deterministic_algorithms(True)\ntorch.histc(x)\n",
        "train.py": "import torch\nx.index_add_(0, i, s)\n",
    })
    code, out, _ = invoke([str(project), "--no-cache"])
    # the exempt file neither reports nor turns deterministic mode on for the project
    assert codes(out) == ["MLF101"]


def test_interrupted_run_exits_130_without_a_traceback(project: Path, monkeypatch, capsys) -> None:
    import pytest as _pytest

    from mlf_lint import cli as cli_module
    from mlf_lint.lint import runner

    write(project, {"bad.py": BENCHMARK})

    def interrupted(options):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run", interrupted)
    with _pytest.raises(SystemExit) as exit_info:
        cli_module.main([str(project), "--no-cache"])
    assert exit_info.value.code == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


def test_usage_errors_exit_2(project: Path, capsys) -> None:
    import pytest as _pytest

    from mlf_lint import cli as cli_module

    for args in (["--format", "xml", str(project)], ["--jobs", "0", str(project)], ["rule"]):
        with _pytest.raises(SystemExit) as exit_info:
            cli_module.main(args)
        assert exit_info.value.code == 2, args
        assert "Traceback" not in capsys.readouterr().err


def test_test_modules_are_not_training_runs(project: Path) -> None:
    write(project, {
        "tests/test_model.py": "import torch\nimport lightning as L\nloss.backward()\ntrainer = L.Trainer()\n",
        "model_test.py": "import torch\nloss.backward()\n",
        "train.py": "import torch\nloss.backward()\n",
    })
    code, out, _ = invoke([str(project), "--no-cache"])
    assert [line.split(":")[0] for line in out.splitlines() if "MLF1" in line] == ["train.py"]


@pytest.mark.parametrize("pin,extra,expected", [
    ("pytorch=1.13.1", [], ["MLF401"]),
    ("pytorch=2.10.0", [], []),
    ("pytorch=1.13.1", ["--target-version", "torch=2.10"], []),
    ("pytorch=2.10.0", ["--target-version", "torch=1.13.1"], ["MLF401"]),
])
def test_cublas_requirement_follows_the_pinned_or_target_version(tmp_path: Path, pin, extra, expected) -> None:
    write(tmp_path, {
        "environment.yml": f"name: p\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - {pin}\n",
        "train.py": "import torch\ntorch.manual_seed(0)\ntorch.use_deterministic_algorithms(True)\n"
                    "model = model.cuda()\n",
    })
    code, out, _ = invoke([str(tmp_path), "--no-cache", *extra])
    assert [c for c in codes(out) if c.startswith("MLF4")] == expected, out


def test_the_run_root_covers_every_path_not_just_the_first(tmp_path: Path, monkeypatch) -> None:
    # Two packages (each a root of its own) in one repository whose config ignores MLF120: the
    # repository's config applies to both, whichever is named first.
    write(tmp_path, {".mlf-lint.toml": 'ignore = ["MLF120"]\n', "one/setup.py": "", "two/setup.py": "",
                     "one/a.py": BENCHMARK, "two/b.py": BENCHMARK})
    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke(["one/a.py", "two/b.py", "--no-cache"])
    assert (code, codes(out)) == (0, [])
    # One package alone is still its own root, with its own (default) config.
    code, out, _ = invoke(["one/a.py", "--no-cache"])
    assert (code, codes(out)) == (1, ["MLF120"])


def test_check_options_group_every_option_of_the_command() -> None:
    from mlf_lint.cli.check import CheckOptions, check

    params = {p.name for p in check.params}
    options = CheckOptions.from_params({name: None for name in params})
    fix_names = set(type(options.fix).__dataclass_fields__)
    assert params == (set(CheckOptions.__dataclass_fields__) - {"fix"}) | fix_names

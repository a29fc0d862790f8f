"""`mlf-lint server`: a real LSP session over stdio with the server in a subprocess.

The client (tests/lsp_client.py) speaks JSON-RPC itself, so the test checks the protocol the
server puts on the wire, not pygls talking to pygls: initialize, didOpen, didChange, codeAction,
hover, didChangeConfiguration, didSave, shutdown and exit. The server's diagnostics are compared
with what the CLI reports for the same file.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from lsp_client import LspClient, diagnostics_for

pytest.importorskip("pygls", reason="the language server needs pygls (pip install 'mlf-lint[server]')")

EMOJI = "\N{GRINNING FACE}"  # 4 bytes in UTF-8, 2 code units in UTF-16
TRAIN = (
    "import torch\n"
    "\n"
    "torch.backends.cudnn.benchmark = True\n"
    "x = torch.zeros(3, requires_grad=True)\n"
    "y = torch.gather(x, 0, torch.tensor([0]))\n"
    f's = "{EMOJI}"; torch.backends.cudnn.benchmark = True\n'
)
DETERMINISTIC = "import torch\n\ntorch.use_deterministic_algorithms(True)\n"


def _cli_findings(project: Path, rel: str) -> List[Tuple[str, int]]:
    proc = subprocess.run([sys.executable, "-m", "mlf_lint", rel, "--no-cache", "--format", "json"], cwd=project,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return sorted((f["code"], f["location"]["row"] - 1) for f in json.loads(proc.stdout))


def _codes(message: Dict[str, Any]) -> List[Tuple[str, int]]:
    return sorted((d["code"], d["range"]["start"]["line"]) for d in message["params"]["diagnostics"])


def _apply(text: str, edit: Dict[str, Any]) -> str:
    """Apply one LSP TextEdit (ASCII lines, so UTF-16 units are characters)."""
    lines = text.splitlines(keepends=True)

    def offset(position: Dict[str, int]) -> int:
        return sum(len(line) for line in lines[:position["line"]]) + position["character"]

    start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
    return text[:start] + edit["newText"] + text[end:]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "setup.py").write_text("")
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    return tmp_path


@pytest.fixture()
def client(project: Path):
    session = LspClient([sys.executable, "-m", "mlf_lint", "server"], project)
    yield session
    session.close()


def test_session_over_stdio(project: Path, client: LspClient) -> None:
    uri = (project / "train.py").as_uri()
    init = client.request("initialize", {"processId": None, "rootUri": project.as_uri(), "capabilities": {},
                                         "initializationOptions": {"mlf-lint": {"extendSelect": ["MLF103"]}}})
    capabilities = init["result"]["capabilities"]
    assert capabilities["hoverProvider"] and capabilities["codeActionProvider"]
    assert init["result"]["serverInfo"]["name"] == "mlf-lint"
    client.send("initialized", {})

    # didOpen: the diagnostics are the CLI's findings for the file, with LSP positions.
    client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                          "text": TRAIN}})
    opened = client.wait_for(diagnostics_for(uri, 1))
    assert _codes(opened) == _cli_findings(project, "train.py") == [("MLF101", 4), ("MLF120", 2), ("MLF120", 5)]
    by_line = {d["range"]["start"]["line"]: d for d in opened["params"]["diagnostics"]}
    first = by_line[2]
    assert first["range"] == {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 30}}
    assert first["source"] == "mlf-lint" and first["severity"] == 2
    assert first["codeDescription"]["href"].endswith("/docs/rules/MLF120.md")
    # After the emoji: 12 UTF-8 bytes, 9 code points, 10 UTF-16 code units (the default encoding).
    assert by_line[5]["range"]["start"] == {"line": 5, "character": 10}
    assert by_line[5]["range"]["end"] == {"line": 5, "character": 40}

    # didChange: the unsaved text counts (a line inserted above moves every finding down).
    changed = "# a comment\n" + TRAIN
    client.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                           "contentChanges": [{"text": changed}]})
    assert _codes(client.wait_for(diagnostics_for(uri, 2))) == [("MLF101", 5), ("MLF120", 3), ("MLF120", 6)]
    # An incremental change: delete the inserted line again.
    client.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}, "text": ""}]})
    assert _codes(client.wait_for(diagnostics_for(uri, 3))) == [("MLF101", 4), ("MLF120", 2), ("MLF120", 5)]

    # codeAction: the fix and the noqa for MLF120 on line 3, and fix-all.
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": first["range"], "context": {"diagnostics": [first]}})["result"]
    titles = [a["title"] for a in actions]
    fix = next(a for a in actions if a["title"].startswith("Fix MLF120"))
    assert fix["kind"] == "quickfix" and fix["isPreferred"] is True
    assert fix["diagnostics"][0]["code"] == "MLF120"
    [edit] = fix["edit"]["changes"][uri]
    fixed = _apply(TRAIN, edit)
    assert fixed.splitlines()[2] == "torch.backends.cudnn.benchmark = False"
    assert fixed.splitlines()[5] == TRAIN.splitlines()[5]  # only the finding the action is for
    noqa = next(a for a in actions if a["title"].startswith("Suppress MLF120"))
    [edit] = noqa["edit"]["changes"][uri]
    assert _apply(TRAIN, edit).splitlines()[2] == "torch.backends.cudnn.benchmark = True  # noqa: MLF120"
    assert not any("MLF101" in t for t in titles)  # not on this line
    fix_all = next(a for a in actions if a["kind"] == "source.fixAll.mlf-lint")
    [edit] = fix_all["edit"]["changes"][uri]
    assert _apply(TRAIN, edit).count("benchmark = False") == 2
    # The MLF101 line has no fix, only its noqa.
    gather = by_line[4]
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": gather["range"],
        "context": {"diagnostics": [gather], "only": ["quickfix"]}})["result"]
    assert [a["title"] for a in actions] == ["Suppress MLF101 on line 5 (# noqa: MLF101)"]

    # hover: the rule's page on the finding, nothing elsewhere.
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": {"line": 2, "character": 5}})["result"]
    assert hover["contents"]["kind"] == "markdown"
    assert hover["contents"]["value"].startswith("# MLF120 cudnn-benchmark")
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": {"line": 0, "character": 3}})["result"] is None

    # Settings: ignore MLF120; a bad code is reported to the user and changes nothing.
    client.send("workspace/didChangeConfiguration", {"settings": {"mlf-lint": {"ignore": ["MLF120"]}}})
    assert _codes(client.wait_for(diagnostics_for(uri, 3))) == [("MLF101", 4)]
    client.send("workspace/didChangeConfiguration", {"settings": {"mlf-lint": {"select": ["NOPE1"]}}})
    shown = client.wait_for(lambda m: m.get("method") == "window/showMessage")
    assert "unknown rule code 'NOPE1'" in shown["params"]["message"]
    assert _codes(client.wait_for(diagnostics_for(uri, 3))) == [("MLF101", 4), ("MLF120", 2), ("MLF120", 5)]

    # didSave: another module now turns deterministic mode on, so torch.gather is fine.
    (project / "determinism.py").write_text(DETERMINISTIC)
    client.send("textDocument/didSave", {"textDocument": {"uri": uri}})
    saved = client.wait_for(diagnostics_for(uri, 3))
    assert _codes(saved) == _cli_findings(project, "train.py") == [("MLF120", 2), ("MLF120", 5)]

    # shutdown, exit: the server leaves with status 0.
    assert client.close() == 0


def test_close_clears_diagnostics_and_other_languages_are_left_alone(project: Path, client: LspClient) -> None:
    uri = (project / "train.py").as_uri()
    client.request("initialize", {"processId": None, "rootUri": project.as_uri(), "capabilities": {}})
    client.send("initialized", {})
    notes = (project / "notes.md").as_uri()
    client.send("textDocument/didOpen", {"textDocument": {"uri": notes, "languageId": "markdown", "version": 1,
                                                          "text": "torch.backends.cudnn.benchmark = True\n"}})
    client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                          "text": TRAIN}})
    first = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")
    assert first["params"]["uri"] == uri  # nothing was published for the Markdown file
    client.send("textDocument/didClose", {"textDocument": {"uri": uri}})
    closed = client.wait_for(diagnostics_for(uri))
    assert closed["params"]["diagnostics"] == []
    assert client.close() == 0


def test_broken_config_is_said_once_and_defaults_apply(project: Path, client: LspClient) -> None:
    (project / ".mlf-lint.toml").write_text("select = [\n")
    uri = (project / "train.py").as_uri()
    client.request("initialize", {"processId": None, "rootUri": project.as_uri(), "capabilities": {}})
    client.send("initialized", {})
    client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                          "text": TRAIN}})
    shown = client.wait_for(lambda m: m.get("method") == "window/showMessage")
    assert ".mlf-lint.toml" in shown["params"]["message"]
    assert _codes(client.wait_for(diagnostics_for(uri, 1))) == [("MLF101", 4), ("MLF120", 2), ("MLF120", 5)]
    assert client.close() == 0


def test_server_without_pygls_says_how_to_install_it(tmp_path: Path) -> None:
    # A Python that cannot import pygls (a module named pygls that fails) gets one line, exit 2.
    (tmp_path / "pygls").mkdir()
    (tmp_path / "pygls" / "__init__.py").write_text("raise ImportError('no pygls here')\n")
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                           "from mlf_lint.cli import main; main(['server'])", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert 'pip install "mlf-lint[server]"' in proc.stderr and "Traceback" not in proc.stderr

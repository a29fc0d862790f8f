"""Editors: python-lsp-server with its flake8 plugin publishes MLF diagnostics.

A minimal LSP client (JSON-RPC over stdio, Content-Length framing) starts ``pylsp``, turns flake8
on (pycodestyle, pyflakes, mccabe off), opens a document and waits for MLF120 on the line of
``torch.backends.cudnn.benchmark = True``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from lsp_client import LspClient

pytest.importorskip("pylsp", reason="python-lsp-server is not installed (pip install python-lsp-server)")

SOURCE = "import torch\n\nmodel = torch.nn.Linear(2, 2)\ntorch.backends.cudnn.benchmark = True\n"
BENCHMARK_LINE = 3  # 0-based, as LSP counts


def test_pylsp_flake8_plugin_reports_mlf120_on_the_assignment_line(tmp_path: Path) -> None:
    flake8 = shutil.which("flake8", path=str(Path(sys.executable).parent)) or shutil.which("flake8")
    if flake8 is None:
        pytest.skip("flake8 is not installed")
    document = tmp_path / "train.py"
    document.write_text(SOURCE)
    client = LspClient([sys.executable, "-m", "pylsp"], tmp_path)
    try:
        init = client.send(
            "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}, request=True
        )
        client.wait_for(lambda m: m.get("id") == init)
        client.send("initialized", {})
        client.send(
            "workspace/didChangeConfiguration",
            {
                "settings": {
                    "pylsp": {
                        "plugins": {
                            "flake8": {"enabled": True, "executable": flake8},
                            "pycodestyle": {"enabled": False},
                            "pyflakes": {"enabled": False},
                            "mccabe": {"enabled": False},
                        }
                    }
                }
            },
        )
        client.send(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": document.as_uri(),
                    "languageId": "python",
                    "version": 1,
                    "text": SOURCE,
                }
            },
        )

        def has_mlf(message: Dict[str, Any]) -> bool:
            return message.get("method") == "textDocument/publishDiagnostics" and any(
                str(d.get("code", "")).startswith("MLF") for d in message["params"]["diagnostics"]
            )

        published = client.wait_for(has_mlf)
        diagnostics = [d for d in published["params"]["diagnostics"] if d.get("code") == "MLF120"]
        assert diagnostics, published
        assert diagnostics[0]["range"]["start"]["line"] == BENCHMARK_LINE
        assert diagnostics[0]["source"] == "flake8"
    finally:
        client.close()

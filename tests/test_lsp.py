"""Editors: python-lsp-server with its flake8 plugin publishes MLF diagnostics.

A minimal LSP client (JSON-RPC over stdio, Content-Length framing) starts ``pylsp``, turns flake8
on (pycodestyle, pyflakes, mccabe off), opens a document and waits for MLF120 on the line of
``torch.backends.cudnn.benchmark = True``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import queue
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

pytest.importorskip("pylsp", reason="python-lsp-server is not installed (pip install python-lsp-server)")

SOURCE = "import torch\n\nmodel = torch.nn.Linear(2, 2)\ntorch.backends.cudnn.benchmark = True\n"
BENCHMARK_LINE = 3  # 0-based, as LSP counts
TIMEOUT = 90.0


class LspClient:
    def __init__(self, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pylsp"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.messages: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            headers: Dict[str, str] = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def send(self, method: str, params: Any, request: bool = False) -> Optional[int]:
        message: Dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return message.get("id")

    def wait_for(self, predicate: Any, timeout: float = TIMEOUT) -> Dict[str, Any]:
        import time

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching message from pylsp in time")
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if predicate(message):
                return message

    def close(self) -> None:
        try:
            request = self.send("shutdown", None, request=True)
            self.wait_for(lambda m: m.get("id") == request, timeout=10)
            self.send("exit", None)
            self.proc.wait(timeout=10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def test_pylsp_flake8_plugin_reports_mlf120_on_the_assignment_line(tmp_path: Path) -> None:
    flake8 = shutil.which("flake8", path=str(Path(sys.executable).parent)) or shutil.which("flake8")
    if flake8 is None:
        pytest.skip("flake8 is not installed")
    document = tmp_path / "train.py"
    document.write_text(SOURCE)
    client = LspClient(tmp_path)
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

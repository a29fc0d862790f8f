"""A minimal LSP client for tests and benchmarks: JSON-RPC over a server's stdio with
Content-Length framing, a reader thread, and waiting for a message that matches."""
from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

TIMEOUT = 90.0
Message = Dict[str, Any]


class LspClient:
    def __init__(self, command: List[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> None:
        self.proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.messages: "queue.Queue[Message]" = queue.Queue()
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
        message: Message = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return message.get("id")

    def request(self, method: str, params: Any, timeout: float = TIMEOUT) -> Message:
        """Send a request and return its response (other messages that arrive meanwhile are dropped)."""
        ident = self.send(method, params, request=True)
        return self.wait_for(lambda m: m.get("id") == ident and "method" not in m, timeout)

    def wait_for(self, predicate: Callable[[Message], bool], timeout: float = TIMEOUT) -> Message:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching message from the server in time")
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if predicate(message):
                return message

    def close(self) -> Optional[int]:
        """shutdown, then exit; the server's exit status (None when it had to be killed). Idempotent."""
        if self.proc.stdin is None or self.proc.stdin.closed:
            return self.proc.returncode
        try:
            self.request("shutdown", None, timeout=10)
            self.send("exit", None)
            return self.proc.wait(timeout=10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


def diagnostics_for(uri: str, version: Optional[int] = None) -> Callable[[Message], bool]:
    """A predicate: publishDiagnostics for ``uri`` (and that document version, when given)."""
    def match(message: Message) -> bool:
        if message.get("method") != "textDocument/publishDiagnostics":
            return False
        params = message["params"]
        return params["uri"] == uri and (version is None or params.get("version") == version)
    return match

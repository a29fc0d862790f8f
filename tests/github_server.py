"""A loopback stand-in for the GitHub REST API, enough for what mlf-lint calls through PyGithub.

Endpoints: GET /user, GET /orgs/{org}, POST /user/repos, POST /orgs/{org}/repos,
GET /repos/{o}/{r}, GET/POST /repos/{o}/{r}/pulls, PATCH /repos/{o}/{r}/pulls/{n}.
A created repository's ``clone_url`` is ``file://`` to a bare repository the server makes, so
pushes land somewhere the test can inspect. Every request is recorded for assertions.
"""
from __future__ import annotations

import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlparse


@dataclass
class Request:
    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    bare_root: Path
    token: str
    login: str = "octo"
    orgs: Tuple[str, ...] = ("acme",)
    requests: List[Request] = field(default_factory=list)
    repos: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    pulls: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)
    url: str = ""
    _server: Optional[ThreadingHTTPServer] = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "FakeGitHub":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parsed = urlparse(self.path)
                request = Request(self.command, parsed.path, parse_qs(parsed.query),
                                  {k.lower(): v for k, v in self.headers.items()},
                                  json.loads(raw) if raw else None)
                fake.requests.append(request)
                status, payload = fake.respond(request)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    # -- helpers for tests -------------------------------------------------------------------------
    def add_repo(self, full_name: str, bare: Optional[Path] = None) -> Dict[str, Any]:
        owner, name = full_name.split("/")
        bare = bare or self._make_bare(owner, name)
        repo = self._repo_json(owner, name, private=False, bare=bare)
        self.repos[full_name] = repo
        self.pulls.setdefault(full_name, [])
        return repo

    def calls(self, method: str, path_pattern: str) -> List[Request]:
        return [r for r in self.requests if r.method == method and re.fullmatch(path_pattern, r.path)]

    # -- the API -----------------------------------------------------------------------------------
    def respond(self, request: Request) -> Tuple[int, Any]:
        if request.headers.get("authorization") != f"token {self.token}":
            return 401, {"message": "Bad credentials"}
        path, method = request.path, request.method
        if method == "GET" and path == "/user":
            return 200, self._user_json(self.login, "User")
        match = re.fullmatch(r"/orgs/([^/]+)", path)
        if method == "GET" and match:
            org = match.group(1)
            if org not in self.orgs:
                return 404, {"message": "Not Found"}
            return 200, self._user_json(org, "Organization")
        if method == "POST" and path == "/user/repos":
            return self._create_repo(self.login, request.body)
        match = re.fullmatch(r"/orgs/([^/]+)/repos", path)
        if method == "POST" and match:
            if match.group(1) not in self.orgs:
                return 404, {"message": "Not Found"}
            return self._create_repo(match.group(1), request.body)
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/pulls(?:/(\d+))?)?", path)
        if match:
            full_name = f"{match.group(1)}/{match.group(2)}"
            if full_name not in self.repos:
                return 404, {"message": "Not Found"}
            if not match.group(3) and method == "GET":
                return 200, self.repos[full_name]
            if match.group(4) is None and method == "GET":
                return 200, self._list_pulls(full_name, request.query)
            if match.group(4) is None and method == "POST":
                return self._create_pull(full_name, request.body)
            if match.group(4) and method == "PATCH":
                return self._edit_pull(full_name, int(match.group(4)), request.body)
        return 404, {"message": f"not implemented: {method} {path}"}

    def _user_json(self, login: str, kind: str) -> Dict[str, Any]:
        segment = "users" if kind == "User" else "orgs"
        return {"login": login, "id": 1, "type": kind, "url": f"{self.url}/{segment}/{login}"}

    def _make_bare(self, owner: str, name: str) -> Path:
        bare = self.bare_root / owner / f"{name}.git"
        bare.mkdir(parents=True)
        subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(bare)], check=True)
        return bare

    def _repo_json(self, owner: str, name: str, private: bool, bare: Path) -> Dict[str, Any]:
        full_name = f"{owner}/{name}"
        return {
            "id": len(self.repos) + 1, "name": name, "full_name": full_name, "private": private,
            "owner": {"login": owner, "id": 1, "type": "User"},
            "url": f"{self.url}/repos/{full_name}", "html_url": f"https://github.example/{full_name}",
            "clone_url": bare.as_uri(), "default_branch": "main",
        }

    def _create_repo(self, owner: str, body: Dict[str, Any]) -> Tuple[int, Any]:
        name = body.get("name", "")
        full_name = f"{owner}/{name}"
        if full_name in self.repos:
            return 422, {"message": "Repository creation failed.",
                         "errors": [{"resource": "Repository", "code": "custom", "field": "name",
                                     "message": "name already exists on this account"}]}
        repo = self._repo_json(owner, name, bool(body.get("private")), self._make_bare(owner, name))
        self.repos[full_name] = repo
        self.pulls[full_name] = []
        return 201, repo

    def _pull_json(self, full_name: str, number: int, body: Dict[str, Any]) -> Dict[str, Any]:
        owner = full_name.split("/")[0]
        head = body["head"].split(":")[-1]
        return {
            "id": number, "number": number, "state": "open", "title": body.get("title", ""),
            "body": body.get("body", ""), "url": f"{self.url}/repos/{full_name}/pulls/{number}",
            "html_url": f"https://github.example/{full_name}/pull/{number}",
            "head": {"ref": head, "label": f"{owner}:{head}"},
            "base": {"ref": body["base"], "label": f"{owner}:{body['base']}"},
        }

    def _list_pulls(self, full_name: str, query: Dict[str, List[str]]) -> List[Dict[str, Any]]:
        state = query.get("state", ["open"])[0]
        base = query.get("base", [None])[0]
        return [p for p in self.pulls[full_name]
                if (state == "all" or p["state"] == state) and (base is None or p["base"]["ref"] == base)]

    def _create_pull(self, full_name: str, body: Dict[str, Any]) -> Tuple[int, Any]:
        bare = Path(urlparse(self.repos[full_name]["clone_url"]).path)
        for branch in (body["head"], body["base"]):
            found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
                                   cwd=bare, capture_output=True)
            if found.returncode != 0:
                return 422, {"message": "Validation Failed",
                             "errors": [{"resource": "PullRequest", "code": "invalid", "field": "head",
                                         "message": f"branch {branch} does not exist"}]}
        pull = self._pull_json(full_name, len(self.pulls[full_name]) + 1, body)
        self.pulls[full_name].append(pull)
        return 201, pull

    def _edit_pull(self, full_name: str, number: int, body: Dict[str, Any]) -> Tuple[int, Any]:
        for pull in self.pulls[full_name]:
            if pull["number"] == number:
                pull.update({k: v for k, v in body.items() if k in ("state", "title", "body")})
                return 200, pull
        return 404, {"message": "Not Found"}

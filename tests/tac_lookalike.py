"""TEST FIXTURE, not a server we ship: a look-alike of the few endpoints of TheAgentCompany's servers that
its evaluator helpers (tac/servers.py) call, answering as the APIs' documentation says, with a little
fixed data. One HTTP server on loopback plays all four (the tests point every *_PORT at it):

* RocketChat REST API v1: POST /api/v1/login (form username/password -> authToken, userId), then with
  X-Auth-Token/X-User-Id: users.list, im.history?roomId=, channels.info?roomName=, channels.history?roomId=
* GitLab REST API v4 with PRIVATE-TOKEN: /projects, /projects/:id/merge_requests, /projects/:id/issues
  (:id a number or a URL-encoded path), /projects/:id/repository/files/:path/raw?ref=
* ownCloud WebDAV with basic auth: PROPFIND /remote.php/webdav/<folder> (Depth 1: 207 multistatus),
  GET of a file; a public share page /s/<token> linking to /s/<token>/download
* Plane API v1 with x-api-key: /api/v1/workspaces/tac/projects/ and, under a project, issues, states,
  states/:id, cycles, cycles/:id/cycle-issues (GET and POST)
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from base64 import b64encode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "lookalike-token"
ROCKETCHAT_USERS = [{"_id": "u-li", "username": "li_ming", "name": "Li Ming", "nameInsensitive": "li ming"},
                    {"_id": "u-sarah", "username": "sarah", "name": "Sarah Lee", "nameInsensitive": "sarah lee"}]
DIRECT = {"u-li": [{"msg": "The report is in Documents", "u": {"username": "theagentcompany"}},  # newest first
                   {"msg": "Where is the report?", "u": {"username": "li_ming"}}],
          "u-sarah": []}
CHANNELS = {"general": "room-general"}
CHANNEL_MESSAGES = {"room-general": [{"msg": "Release 2.0 is OUT, notes attached"}, {"msg": "hello"}]}
GITLAB_PROJECTS = [{"id": 3, "name": "sotopia", "path_with_namespace": "root/sotopia"}]
MERGE_REQUESTS = [{"iid": 1, "title": "  Add medical characters ", "sha": "abc123", "project_id": 3}]
GITLAB_FILES = {("src/app.py", "abc123"): "print('medical')\n"}
OWNCLOUD = {"Documents": {"report.xlsx": b"PK-report-bytes", "notes.txt": b"notes"}}
SHARED = {"abc": b"shared file bytes"}
PLANE_PROJECTS = [{"id": "p-web", "name": "Web"}]
PLANE_ISSUES = [{"id": "i-login", "name": "Fix login", "state": "s-done"}]
PLANE_STATES = [{"id": "s-todo", "name": "Todo", "group": "unstarted"}, {"id": "s-done", "name": "Done", "group": "completed"}]
PLANE_CYCLES = [{"id": "c-1", "name": "Sprint 1"}]
PLANE_CYCLE_ISSUES = {"c-1": [{"id": "i-login", "name": "Fix login"}]}


class Lookalike(BaseHTTPRequestHandler):
    created: list[dict]  # what POSTs made (set per server)

    def log_message(self, *args) -> None:  # quiet: the test's output is about the helpers
        pass

    # --- plumbing ---
    def _send(self, status: int, body: bytes | dict | list, content_type: str = "application/json") -> None:
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _split(self) -> tuple[str, dict[str, str]]:
        raw_path, _, query = self.path.partition("?")
        return raw_path, dict(urllib.parse.parse_qsl(query))

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PROPFIND(self) -> None:
        self._route("PROPFIND")

    def _route(self, method: str) -> None:
        path, query = self._split()
        if path.startswith("/api/v1/workspaces/"):
            return self._plane(method, path)
        if path.startswith("/api/v1/"):
            return self._rocketchat(method, path, query)
        if path.startswith("/api/v4/"):
            return self._gitlab(path, query)
        if path.startswith("/remote.php/webdav/"):
            return self._webdav(method, path)
        if path.startswith("/s/"):
            return self._share(path)
        self._send(404, {"error": "not found"})

    # --- RocketChat ---
    def _rocketchat(self, method: str, path: str, query: dict[str, str]) -> None:
        name = path[len("/api/v1/"):]
        if name == "login" and method == "POST":
            form = dict(urllib.parse.parse_qsl(self._body().decode()))
            if form.get("password") != "theagentcompany" or form.get("username") != "theagentcompany":
                return self._send(401, {"status": "error", "message": "Unauthorized"})
            return self._send(200, {"status": "success", "data": {"authToken": TOKEN, "userId": "admin"}})
        if self.headers.get("X-Auth-Token") != TOKEN:
            return self._send(401, {"status": "error", "message": "You must be logged in to do this."})
        if name == "users.list":
            return self._send(200, {"users": ROCKETCHAT_USERS, "success": True})
        if name == "im.history":
            return self._send(200, {"messages": DIRECT.get(query.get("roomId"), []), "success": True})
        if name == "channels.info":
            room = CHANNELS.get(query.get("roomName", ""))
            return self._send(200, {"channel": {"_id": room}, "success": True} if room else
                              {"success": False, "error": "The required \"roomId\" or \"roomName\" param provided does not match any channel"})
        if name == "channels.history":
            messages = CHANNEL_MESSAGES.get(query.get("roomId", ""))
            if messages is None:
                return self._send(400, {"success": False})
            return self._send(200, {"messages": messages[: int(query.get("count", 50))], "success": True})
        self._send(404, {"success": False})

    # --- GitLab ---
    def _gitlab(self, path: str, query: dict[str, str]) -> None:
        if self.headers.get("PRIVATE-TOKEN") != "root-token":
            return self._send(401, {"message": "401 Unauthorized"})
        parts = path[len("/api/v4/"):].split("/")
        if parts == ["projects"]:
            return self._send(200, GITLAB_PROJECTS)
        if parts[0] == "projects" and len(parts) >= 3:
            ident = urllib.parse.unquote(parts[1])
            project = next((p for p in GITLAB_PROJECTS if ident in (str(p["id"]), p["path_with_namespace"])), None)
            if project is None:
                return self._send(404, {"message": "404 Project Not Found"})
            rest = parts[2:]
            if rest == ["merge_requests"]:
                return self._send(200, MERGE_REQUESTS)
            if rest == ["issues"]:
                return self._send(200, [{"iid": 7, "title": "Crash on start", "state": "opened"}])
            if rest[:2] == ["repository", "files"] and rest[-1] == "raw":
                content = GITLAB_FILES.get((urllib.parse.unquote(rest[2]), query.get("ref")))
                return self._send(200, content.encode(), "text/plain") if content is not None else \
                    self._send(404, {"message": "404 File Not Found"})
        self._send(404, {"message": "404 Not Found"})

    # --- ownCloud ---
    def _webdav(self, method: str, path: str) -> None:
        expected = "Basic " + b64encode(b"theagentcompany:theagentcompany").decode()
        if self.headers.get("Authorization") != expected:
            return self._send(401, b"", "text/plain")
        rel = urllib.parse.unquote(path[len("/remote.php/webdav/"):]).strip("/")
        folder, _, name = rel.partition("/")
        if method == "PROPFIND":
            if name or folder not in OWNCLOUD:
                return self._send(404, b"", "text/plain")
            hrefs = [f"/remote.php/webdav/{folder}/"] + [f"/remote.php/webdav/{folder}/{n}" for n in OWNCLOUD[folder]]
            body = ('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:">' + "".join(
                f"<d:response><d:href>{h}</d:href><d:propstat><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
                "</d:response>" for h in hrefs) + "</d:multistatus>")
            return self._send(207, body.encode(), "application/xml; charset=utf-8")
        data = OWNCLOUD.get(folder, {}).get(name)
        self._send(200, data, "application/octet-stream") if data is not None else self._send(404, b"", "text/plain")

    def _share(self, path: str) -> None:
        token, _, rest = path[len("/s/"):].partition("/")
        if token not in SHARED:
            return self._send(404, b"", "text/plain")
        if rest == "download":
            return self._send(200, SHARED[token], "application/octet-stream")
        host = self.headers.get("Host")
        page = f'<html><a id="download" href="http://{host}/s/{token}/download">Download</a></html>'
        self._send(200, page.encode(), "text/html")

    # --- Plane ---
    def _plane(self, method: str, path: str) -> None:
        if self.headers.get("x-api-key") != "plane_api_83f868352c6f490aba59b869ffdae1cf":
            return self._send(401, {"detail": "Given API token is not valid"})
        parts = [p for p in path[len("/api/v1/workspaces/"):].split("/") if p]
        if parts[:2] != ["tac", "projects"]:
            return self._send(404, {"error": "workspace not found"})
        rest = parts[2:]
        if not rest:
            return self._send(200, {"results": PLANE_PROJECTS})
        if rest[0] not in {p["id"] for p in PLANE_PROJECTS}:
            return self._send(404, {"error": "project not found"})
        rest = rest[1:]
        if rest == ["issues"] and method == "POST":
            issue = {"id": f"i-{len(self.created) + 100}", **json.loads(self._body())}
            self.created.append(issue)
            return self._send(201, issue)
        if rest == ["issues"]:
            return self._send(200, {"results": PLANE_ISSUES})
        if rest == ["states"]:
            return self._send(200, {"results": PLANE_STATES})
        if len(rest) == 2 and rest[0] == "states":
            state = next((s for s in PLANE_STATES if s["id"] == rest[1]), None)
            return self._send(200, state) if state else self._send(404, {"error": "state not found"})
        if rest == ["cycles"]:
            return self._send(200, {"results": PLANE_CYCLES})
        if len(rest) == 3 and rest[0] == "cycles" and rest[2] == "cycle-issues":
            if method == "POST":
                body = json.loads(self._body())
                self.created.append({"cycle": rest[1], **body})
                return self._send(201, body)
            return self._send(200, {"results": PLANE_CYCLE_ISSUES.get(rest[1], [])})
        self._send(404, {"error": "not found"})


class LookalikeServers:
    """The look-alike on 127.0.0.1 (a free port), in a thread; ``env`` points TAC's settings at it."""

    def __enter__(self) -> "LookalikeServers":
        handler = type("Handler", (Lookalike,), {"created": []})
        self.created = handler.created
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def env(self) -> dict[str, str]:
        port = str(self.port)
        return {"SERVER_HOSTNAME": "127.0.0.1", "ROCKETCHAT_PORT": port, "GITLAB_PORT": port,
                "OWNCLOUD_PORT": port, "PLANE_PORT": port}

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

"""MLE-bench's grading server as the agent reaches it, holding no data (runs in a container, stdlib only).

The same routes and answers as MLE-bench's environment/grading_server.py: POST /validate with the
submission as the form field `file` (`curl -X POST -F "file=@submission.csv" URL`) answers
200 {"result": "<validate_submission's message>"}, or 500 {"error": ..., "details": ...}; GET /health
answers {"status": "running"}. MLE-bench keeps the private answers in a root-only folder of the agent's
own container for this; here they never enter a container: each submission travels to the harness over
the exec's stdio, one JSON line out ({"csv": base64}) and one back ({"status", "body"}), and the harness
asks MLE-bench's own validate_submission on the host.
"""

from __future__ import annotations

import argparse
import base64
import email.parser
import email.policy
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 512 * 2**20  # a submission CSV, not a data set
READY = "grading server ready"


class _Handler(BaseHTTPRequestHandler):
    server: "GradingServer"

    def log_message(self, format, *args) -> None:  # stdout is the harness's channel; stderr is the log
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/health":
            self._json(200, {"status": "running"})
        else:
            self._text(404, "Not Found")

    def do_POST(self) -> None:
        if self.path.split("?")[0] != "/validate":
            self._text(404, "Not Found")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._text(411, "Length Required")
            return
        if length > MAX_BODY:
            self._text(413, "Request Entity Too Large")
            return
        upload = _form_file(self.rfile.read(length), self.headers.get("Content-Type", ""), "file")
        if upload is None:  # Flask's answer to request.files["file"] when there is none
            self._text(400, "Bad Request: the submission must be the form field 'file' "
                            "(curl -X POST -F \"file=@submission.csv\" ...)")
            return
        status, body = self.server.ask(upload)
        self._json(status, body)

    def _json(self, status: int, body: dict) -> None:
        self._send(status, "application/json", (json.dumps(body) + "\n").encode())

    def _text(self, status: int, text: str) -> None:
        self._send(status, "text/plain; charset=utf-8", (text + "\n").encode())

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _form_file(body: bytes, content_type: str, field: str) -> bytes | None:
    """The content of the form field `field` of a multipart/form-data body, else None."""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            return part.get_payload(decode=True) or b""
    return None


class GradingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, stdin, stdout):
        super().__init__(address, _Handler)
        self._stdin, self._stdout, self._lock = stdin, stdout, threading.Lock()

    def ask(self, upload: bytes) -> tuple[int, dict]:
        """One question to the harness at a time: the channel is one pair of lines."""
        with self._lock:
            self._stdout.write(json.dumps({"csv": base64.b64encode(upload).decode()}) + "\n")
            self._stdout.flush()
            line = self._stdin.readline()
        try:
            reply = json.loads(line)
            return int(reply["status"]), dict(reply["body"])
        except (ValueError, KeyError, TypeError):
            return 500, {"error": "An unexpected error occurred.", "details": "the harness did not answer"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    server = GradingServer(("0.0.0.0", args.port), sys.stdin, sys.stdout)
    sys.stdout.write(json.dumps({"ready": READY}) + "\n")
    sys.stdout.flush()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

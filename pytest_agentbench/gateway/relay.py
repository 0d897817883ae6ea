"""The gateway's relay: an HTTP server in a container on the item's network, standard library only.

It checks the per-item token, then writes each request as one JSON line to stdout; the host reads
it over the `docker exec` stream that started this process, answers with litellm, and writes the
reply as one JSON line to stdin. The provider key never enters this container: only the host holds it.

    python3 -I relay.py --port 4000        # token in AGENTBENCH_GATEWAY_TOKEN
"""

import argparse
import itertools
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_ENV = "AGENTBENCH_GATEWAY_TOKEN"
MAX_BODY = 32 * 1024 * 1024


class Host:
    """The line channel to the host: requests out on stdout, replies in on stdin, matched by id."""

    def __init__(self):
        self._ids = itertools.count(1)
        self._write = threading.Lock()
        self._waiting = {}  # id -> [event, reply]
        threading.Thread(target=self._read, daemon=True).start()

    def ask(self, request):
        call_id = next(self._ids)
        slot = [threading.Event(), None]
        self._waiting[call_id] = slot
        line = json.dumps(dict(request, id=call_id)) + "\n"
        with self._write:
            sys.stdout.write(line)
            sys.stdout.flush()
        slot[0].wait()
        return slot[1]

    def _read(self):
        for line in sys.stdin:
            reply = json.loads(line)
            slot = self._waiting.pop(reply.get("id"), None)
            if slot is not None:
                slot[1] = reply
                slot[0].set()
        os._exit(0)  # the host hung up: the run is over


def error(status, message, kind):
    return {"status": status, "body": {"error": {"message": message, "type": kind, "code": kind}}}


def serve(port, token):
    host = Host()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self._relay(None)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._reply(error(413, f"request body over {MAX_BODY} bytes", "invalid_request_error"))
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self._reply(error(400, "the request body is not JSON", "invalid_request_error"))
            self._relay(body)

        def _relay(self, body):
            auth = self.headers.get("Authorization", "")
            given = auth[7:] if auth.lower().startswith("bearer ") else self.headers.get("x-api-key", "")
            if given != token:
                return self._reply(error(401, "invalid API key: use the OPENAI_API_KEY this run gave you",
                                         "invalid_api_key"))
            self._reply(host.ask({"method": self.command, "path": self.path.split("?")[0], "body": body}))

        def _reply(self, reply):
            if "chunks" in reply:  # a streamed answer: server-sent events, then [DONE]
                self.send_response(reply.get("status", 200))
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in reply["chunks"]:
                    event = f"event: {chunk['type']}\n" if reply.get("named_events") and "type" in chunk else ""
                    self.wfile.write(f"{event}data: {json.dumps(chunk)}\n\n".encode())
                if not reply.get("named_events"):
                    self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True
                return
            data = json.dumps(reply.get("body", {})).encode()
            self.send_response(reply.get("status", 200))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer.request_queue_size = 256  # the default 5 refuses a burst of concurrent calls
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    print("llm gateway ready", file=sys.stderr, flush=True)
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4000)
    args = parser.parse_args()
    token = os.environ.get(TOKEN_ENV)
    if not token:
        sys.exit(f"{TOKEN_ENV} is not set")
    serve(args.port, token)


if __name__ == "__main__":
    main()

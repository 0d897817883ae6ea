"""The gateway's relay: an HTTP server on the item's network that passes every request to the host.

Runs in a container reached by the name ``llm-gateway``; standard library only (the base image has
Debian's python3 and nothing else, and containers cannot reach PyPI). It holds no key and answers
nothing by itself: each request goes out on stdout as one JSON line, and the host (the pytest worker
that started this process with ``docker exec``) writes the answer back on stdin, as JSON lines
carrying the request's id, so any number of requests are in flight at once over the one stream:

    relay -> host   {"id": 7, "method": "POST", "path": "/v1/chat/completions", "auth": "Bearer ...",
                     "peer": "10.0.3.4", "body": "{...}"}
                    {"id": 7, "cancel": true}          the client went away mid-stream
    host -> relay   {"id": 7, "status": 200, "headers": {...}, "body": "{...}"}     a whole answer, or
                    {"id": 7, "status": 200, "headers": {...}, "stream": true}
                    {"id": 7, "data": "data: {...}\\n\\n"} ...  {"id": 7, "end": true}

A streamed answer reaches the client chunk by chunk (HTTP/1.1 chunked encoding) as the host sends it.

    python3 -I relay.py --port 4000        # prints {"ready": true, "port": 4000} once it listens
"""

import argparse
import itertools
import json
import os
import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 32 * 1024 * 1024  # a request body; a long conversation with images stays far below
ANSWER_TIMEOUT = 3600  # seconds without a word from the host for one request: the host is gone


class Host:
    """The line channel to the host: requests out on stdout, answers in on stdin, matched by id."""

    def __init__(self, out, inp):
        self._out, self._inp = out, inp
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._open = {}  # id -> queue of the host's frames for that request

    def send(self, frame):
        line = json.dumps(frame, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()

    def open(self):
        call_id = next(self._ids)
        self._open[call_id] = queue.Queue()
        return call_id, self._open[call_id]

    def close(self, call_id):
        self._open.pop(call_id, None)

    def read_forever(self):
        for line in self._inp:
            try:
                frame = json.loads(line)
                frames = self._open.get(frame["id"])
            except (ValueError, KeyError, TypeError):
                continue
            if frames is not None:  # else: the client went away; its late frames are dropped
                frames.put(frame)


def error_frame(status, message, code):
    body = {"error": {"message": message, "type": code, "code": code, "param": None}}
    return {"status": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked answers for streams
    # Headers and body are separate writes: with Nagle's algorithm a kept-alive client's delayed ACK
    # would hold the body back 40 ms.
    disable_nagle_algorithm = True
    host = None  # the Host, set per server by serve()

    def do_GET(self):
        self._relay(b"")

    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            return self._answer(error_frame(413, f"the request body must be 0 to {MAX_BODY} bytes, with a "
                                                 f"Content-Length", "request_too_large"))
        self._relay(self.rfile.read(length))

    def _relay(self, body):
        auth = self.headers.get("Authorization") or ""
        if not auth and self.headers.get("x-api-key"):  # Anthropic's clients send the key so
            auth = "Bearer " + self.headers["x-api-key"]
        call_id, frames = self.host.open()
        try:
            self.host.send({"id": call_id, "method": self.command, "path": self.path, "auth": auth,
                            "peer": self.client_address[0], "body": body.decode("utf-8", "replace")})
            try:
                first = frames.get(timeout=ANSWER_TIMEOUT)
            except queue.Empty:
                first = error_frame(504, "the gateway's host did not answer", "gateway_timeout")
            if not first.get("stream"):
                return self._answer(first)
            self._stream(call_id, first, frames)
        finally:
            self.host.close(call_id)

    def _answer(self, frame):
        data = (frame.get("body") or "").encode()
        self.send_response(frame.get("status", 200))
        for name, value in (frame.get("headers") or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, call_id, first, frames):
        self.send_response(first.get("status", 200))
        for name, value in (first.get("headers") or {}).items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while True:
                try:
                    frame = frames.get(timeout=ANSWER_TIMEOUT)
                except queue.Empty:
                    break
                if frame.get("end"):
                    break
                data = (frame.get("data") or "").encode()
                if data:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client went away: the host stops asking the provider
            self.host.send({"id": call_id, "cancel": True})
            self.close_connection = True

    def log_message(self, *args):  # stdout is the host's channel; stderr is kept short
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # 100 clients connecting at once must not be refused


def serve(port, out, inp, address="0.0.0.0"):
    """Serve until `inp` ends (the host hung up)."""
    host = Host(out, inp)
    handler = type("BoundHandler", (Handler,), {"host": host})
    server = Server((address, port), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    host.send({"ready": True, "port": server.server_address[1]})
    try:
        host.read_forever()
    finally:
        server.shutdown()
        server.server_close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Relay model API requests to the host over stdio.")
    parser.add_argument("--port", type=int, default=4000)
    serve(parser.parse_args(argv).port, sys.stdout.buffer, sys.stdin.buffer)
    os._exit(0)  # the host hung up: the item (or the worker) is over; requests in flight go with it


if __name__ == "__main__":
    main()

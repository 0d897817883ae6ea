"""TheAgentCompany's server, as the agent's container sees it: a TCP tunnel to the user's server host.

Runs in a container on the item's (internal) network under the name `the-agent-company.com`, listening
on TAC's ports; standard library only (the base image has Debian's python3 and nothing else). It opens
no connection itself: each connection it accepts goes to the host (the pytest worker that started it
with `docker exec`, tac_servers.py) as JSON lines on stdout, and the host, which reaches SERVER_HOSTNAME
as TAC's own task containers do, answers on stdin:

    tunnel -> host  {"ready": true}                    listening on every port
                    {"id": 3, "open": 3000}            a client connected to port 3000
                    {"id": 3, "data": "<base64>"}      bytes the client sent
                    {"id": 3, "eof": true}             the client closed its side
    host -> tunnel  {"id": 3, "data": "<base64>"}      bytes the server sent
                    {"id": 3, "eof": true}             the server closed its side
                    {"id": 3, "close": true}           the host could not connect, or gave up

    python3 -I tac_tunnel.py --ports 2999,3000,8929
"""

import argparse
import base64
import itertools
import json
import socket
import sys
import threading

CHUNK = 64 * 1024


class Tunnel:
    def __init__(self):
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._clients = {}  # id -> socket
        self._half_closed = set()  # ids one side of which has ended: the other's end closes them

    def send(self, frame):
        line = json.dumps(frame, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()

    def listen(self, port):
        server = socket.create_server(("0.0.0.0", port), backlog=64, reuse_port=False)
        threading.Thread(target=self._accept, args=(server, port), daemon=True).start()

    def _accept(self, server, port):
        while True:
            client, _ = server.accept()
            call_id = next(self._ids)
            self._clients[call_id] = client
            self.send({"id": call_id, "open": port})
            threading.Thread(target=self._pump, args=(call_id, client), daemon=True).start()

    def _pump(self, call_id, client):
        try:
            while True:
                data = client.recv(CHUNK)
                if not data:
                    break
                self.send({"id": call_id, "data": base64.b64encode(data).decode()})
        except OSError:
            pass
        self.send({"id": call_id, "eof": True})
        self._ended(call_id)

    def _ended(self, call_id):
        with self._lock:
            both = call_id in self._half_closed
            self._half_closed.add(call_id)
        if both:
            self._half_closed.discard(call_id)
            client = self._clients.pop(call_id, None)
            if client is not None:
                client.close()

    def from_host(self):
        for line in sys.stdin.buffer:
            try:
                frame = json.loads(line)
            except ValueError:
                continue
            client = self._clients.get(frame.get("id"))
            if client is None:
                continue
            try:
                if "data" in frame:
                    client.sendall(base64.b64decode(frame["data"]))
                elif frame.get("eof"):
                    client.shutdown(socket.SHUT_WR)
                    self._ended(frame["id"])
                elif frame.get("close"):
                    self._clients.pop(frame["id"], None)
                    client.close()
            except OSError:
                self._clients.pop(frame["id"], None)
                client.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", required=True)
    args = parser.parse_args()
    tunnel = Tunnel()
    for port in args.ports.split(","):
        tunnel.listen(int(port))
    tunnel.send({"ready": True})
    tunnel.from_host()  # the host is gone when its stream ends: so is the tunnel


if __name__ == "__main__":
    main()

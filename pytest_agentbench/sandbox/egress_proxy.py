"""The egress proxy: the only way out of an item's network, for tasks that allow the internet.

Runs in its own container, on the item's network (internal: no route anywhere) and on an egress
network of its own. It serves HTTP proxy requests (``CONNECT host:port`` for HTTPS and anything
tunnelled; absolute-URI requests for plain HTTP) and refuses every destination that is not a public
address: the host's own addresses, other containers, private networks, loopback, link-local and
metadata addresses. The name is resolved once and the checked address is the one connected to, so
a name cannot re-resolve to a private address in between.

    python3 egress_proxy.py --port 3128 [--allow-net CIDR ...] [--allow ADDRESS:PORT ...]

``--allow-net``: the item's own network (its services are reachable directly anyway);
``--allow``: one private address and port to let through (a private package mirror; the tests).
Prints ``egress proxy ready`` once it listens. Standard library only: runs in the base image.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import socketserver
import sys
import threading
from urllib.parse import urlsplit

READY = "egress proxy ready"
HEADER_LIMIT = 64 * 1024
CONNECT_TIMEOUT = 15


class Refused(Exception):
    def __init__(self, status: str, why: str):
        super().__init__(why)
        self.status = status


class Policy:
    def __init__(self, allow_nets: list[str], allow: list[str]):
        self.nets = [ipaddress.ip_network(n, strict=False) for n in allow_nets]
        self.exact = set()
        for item in allow:
            host, _, port = item.rpartition(":")
            self.exact.add((ipaddress.ip_address(host.strip("[]")), int(port)))

    def allowed(self, address: str, port: int) -> bool:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:10.0.0.1 is 10.0.0.1
            ip = ip.ipv4_mapped
        if (ip, port) in self.exact or any(ip in net for net in self.nets):
            return True
        return ip.is_global and not ip.is_multicast

    def connect(self, host: str, port: int) -> socket.socket:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as e:
            raise Refused("502 Bad Gateway", f"cannot resolve {host}: {e}") from None
        addresses = [info[4][0] for info in infos]
        permitted = [a for a in addresses if self.allowed(a, port)]
        if not permitted:
            raise Refused("403 Forbidden", f"{host}:{port} ({', '.join(sorted(set(addresses)))}) is not a public "
                                           f"address: the egress proxy only reaches the internet")
        last: OSError | None = None
        for address in permitted:
            try:
                return socket.create_connection((address, port), timeout=CONNECT_TIMEOUT)
            except OSError as e:
                last = e
        raise Refused("502 Bad Gateway", f"cannot connect to {host}:{port}: {last}")


class Handler(socketserver.BaseRequestHandler):
    policy: Policy

    def handle(self) -> None:
        client: socket.socket = self.request
        try:
            head, rest = _read_head(client)
            request_line, _, headers = head.partition(b"\r\n")
            method, target, version = request_line.decode("latin-1").split(" ", 2)
            if method.upper() == "CONNECT":
                host, port = _host_port(target, 443)
                upstream = self.policy.connect(host, port)
                client.sendall(f"{version} 200 Connection established\r\n\r\n".encode())
            else:
                url = urlsplit(target)
                if url.scheme != "http" or not url.hostname:
                    raise Refused("400 Bad Request", f"expected an absolute http:// URL or CONNECT, got {target!r}")
                upstream = self.policy.connect(url.hostname, url.port or 80)
                path = (url.path or "/") + (f"?{url.query}" if url.query else "")
                kept = [h for h in headers.split(b"\r\n")
                        if h and not h.lower().startswith((b"proxy-", b"connection:", b"keep-alive:"))]
                upstream.sendall(f"{method} {path} {version}\r\n".encode() + b"\r\n".join(kept)
                                 + b"\r\nConnection: close\r\n\r\n" + rest)
                rest = b""
            if rest:
                upstream.sendall(rest)
            _relay(client, upstream)
        except Refused as e:
            _answer(client, e.status, str(e))
        except (OSError, ValueError) as e:
            _answer(client, "400 Bad Request", f"bad proxy request: {e}")


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk or len(data) > HEADER_LIMIT:
            raise ValueError("incomplete request head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _host_port(target: str, default: int) -> tuple[str, int]:
    if target.startswith("["):
        host, _, port = target[1:].partition("]:")
        return host, int(port or default)
    host, _, port = target.rpartition(":")
    return (host, int(port)) if host else (target, default)


def _answer(sock: socket.socket, status: str, why: str) -> None:
    body = (why + "\n").encode()
    try:
        sock.sendall(f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                     f"Connection: close\r\n\r\n".encode() + body)
    except OSError:
        pass


def _relay(a: socket.socket, b: socket.socket) -> None:
    a.settimeout(None)
    b.settimeout(None)

    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    other = threading.Thread(target=pump, args=(b, a), daemon=True)
    other.start()
    pump(a, b)
    other.join()
    b.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An HTTP proxy to public addresses only.")
    parser.add_argument("--port", type=int, default=3128)
    parser.add_argument("--allow-net", action="append", default=[], help="a network (CIDR) to let through")
    parser.add_argument("--allow", action="append", default=[], help="one ADDRESS:PORT to let through")
    args = parser.parse_args(argv)
    Handler.policy = Policy(args.allow_net, args.allow)
    with Server(("0.0.0.0", args.port), Handler) as server:
        print(READY, flush=True)
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

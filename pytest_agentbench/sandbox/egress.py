"""Egress for tasks that allow the internet: the host's half of egress_proxy.py.

Every item's network is internal, with no address of the host's on it: from the agent's container
nothing answers but the item's own containers. A task that allows the internet also gets an egress
proxy: a container on the item's network and on an egress network of its own (a plain bridge with a
route out), which reaches public addresses only (egress_proxy.py). The agent is pointed at it by
the usual proxy variables; what does not honour them has no way out.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .base import BuildError, ContainerConfig, Sandbox, SandboxEngine, SandboxSpec
from .images import host_debian_source

PROXY = Path(__file__).with_name("egress_proxy.py")
PROXY_PATH = "/opt/agentbench/egress_proxy.py"
PROXY_HOST, PROXY_PORT = "egress-proxy", 3128
# Private ADDRESS:PORT entries the proxy lets through, comma-separated: a private package mirror, the tests.
ALLOW_ENV = "AGENTBENCH_EGRESS_ALLOW"
READY_TIMEOUT = 30


@dataclass
class Egress:
    proxy: Sandbox
    network: str  # the proxy's way out

    @property
    def agent_env(self) -> dict[str, str]:
        url = f"http://{PROXY_HOST}:{PROXY_PORT}"
        return {"HTTP_PROXY": url, "HTTPS_PROXY": url, "http_proxy": url, "https_proxy": url,
                "NO_PROXY": "localhost,127.0.0.1,::1", "no_proxy": "localhost,127.0.0.1,::1"}


def debian_mirror_addresses() -> list[str]:
    """ADDRESS:PORT of the Debian mirror images are built from: apt-get in the agent's container (root in
    TAC's tasks, whose install tasks are done so) reaches it through the proxy even where it sits at a
    private address (a local mirror), as the images' builds do. Nothing else of the host's is let through."""
    try:
        url = urlsplit(host_debian_source().mirror)
        port = url.port or (443 if url.scheme == "https" else 80)
        infos = socket.getaddrinfo(url.hostname, port, type=socket.SOCK_STREAM) if url.hostname else []
    except (BuildError, OSError):
        return []
    return sorted({f"[{i[4][0]}]:{port}" if ":" in i[4][0] else f"{i[4][0]}:{port}" for i in infos})


def start_egress(engine: SandboxEngine, image: str, item_network: str, name: str,
                 config: ContainerConfig | None = None) -> Egress:
    """The item's egress proxy, ready; the caller discards `proxy` and then `network`."""
    out = engine.create_network(f"{name}-out", internal=False)
    allow = [a.strip() for a in os.environ.get(ALLOW_ENV, "").split(",") if a.strip()]
    command = ["python3", "-I", PROXY_PATH, "--port", str(PROXY_PORT)]
    for net in engine.network_subnets(item_network):  # the item's own services: reachable directly anyway
        command += ["--allow-net", net]
    for address in allow + debian_mirror_addresses():
        command += ["--allow", address]
    spec = SandboxSpec(image=image, name=name, network=out, user="nobody", command=command,
                       extra_networks={item_network: [PROXY_HOST]}, config=config or ContainerConfig())
    try:
        proxy = engine.start(spec, files=[(PROXY, PROXY_PATH, 0, 0o644)])
    except BaseException:
        engine.discard_network(out)
        raise
    if not proxy.wait_for_output("egress proxy ready", READY_TIMEOUT):
        engine.discard(proxy)
        engine.discard_network(out)
        raise RuntimeError(f"the egress proxy {name} did not start within {READY_TIMEOUT} s")
    return Egress(proxy, out)

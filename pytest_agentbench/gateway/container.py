"""The relay's container: one per worker process, joined to each item's network while the item runs.

The container starts once (about a second) on a network of its own; an item's start-up then only
joins it to the item's network under the name `llm-gateway` (a network connect, tens of
milliseconds). It talks to the host only over the `docker exec` stream the host opened
(`Sandbox.exec_dialog`), so nothing needs a host port, a route to the host or a bind mount: the
item's network stays internal, and a Docker engine on another machine works unchanged. It runs as
`nobody`, holds no key and forwards no packets between the networks it is on; the agent's key is a
random per-item token that the host checks, and only from the item's own network.
"""

from __future__ import annotations

import ipaddress
import threading
import uuid
from pathlib import Path

from ..sandbox.base import ContainerConfig, ExecResult, SandboxEngine, SandboxSpec
from .channel import Channel
from .item import ItemGateway
from .router import Router

RELAY = Path(__file__).with_name("relay.py")
RELAY_PATH = "/opt/agentbench/llm_relay.py"
GATEWAY_HOST, GATEWAY_PORT = "llm-gateway", 4000
READY_TIMEOUT = 60
# The relay sits on every running item's network at once; Docker leaves forwarding on in a
# container's namespace, and an agent able to add a route (a privileged one) could then reach
# another item's containers through it.
NO_FORWARDING = {"net.ipv4.ip_forward": "0", "net.ipv6.conf.all.forwarding": "0"}


def agent_env(token: str) -> dict[str, str]:
    """What the agent's container gets: the gateway's address and the item's token, never a provider key."""
    base = f"http://{GATEWAY_HOST}:{GATEWAY_PORT}"
    return {"OPENAI_BASE_URL": f"{base}/v1", "OPENAI_API_BASE": f"{base}/v1", "OPENAI_API_KEY": token,
            "ANTHROPIC_BASE_URL": base, "ANTHROPIC_API_KEY": token}  # Anthropic's clients add /v1/messages


class WorkerGateway:
    """The worker's gateway: its relay container and the host end answering it."""

    def __init__(self, engine: SandboxEngine, image: str, config: ContainerConfig | None = None,
                 name: str | None = None):
        self.engine = engine
        self.router = Router()
        self.channel = Channel(self.router.handle)
        self.name = name or f"agentbench-llm-gateway-{uuid.uuid4().hex[:12]}"
        self.home = engine.create_network(f"{self.name}-home", internal=True)
        self.result: list[ExecResult | BaseException] = []
        try:
            self.sandbox = engine.start(SandboxSpec(image=image, name=self.name, network=self.home, user="nobody",
                                                    config=config or ContainerConfig(), sysctls=NO_FORWARDING),
                                        files=[(RELAY, RELAY_PATH, 0, 0o644)])
        except BaseException:
            engine.discard_network(self.home)
            raise
        self._thread = threading.Thread(target=self._serve, name=f"{self.name}-stream", daemon=True)
        self._thread.start()
        if not self.channel.ready.wait(READY_TIMEOUT) or self.result:
            self.close()
            why = self.result[0] if self.result else f"no word within {READY_TIMEOUT} s"
            raise RuntimeError(f"the LLM gateway's relay ({self.name}) did not start: {why}")

    def _serve(self) -> None:
        try:
            self.result.append(self.sandbox.exec_dialog(
                ["python3", "-I", RELAY_PATH, "--port", str(GATEWAY_PORT)], answer=self.channel.on_line,
                user="nobody", on_start=self.channel.connect))
        except BaseException as e:  # noqa: BLE001 - reported by the start-up check or by the next call
            self.result.append(e)
        self.channel.ready.set()

    def attach(self, item: ItemGateway, network: str) -> dict[str, str]:
        """Serve `item` on its network; returns the agent's environment."""
        if self.result:
            raise RuntimeError(f"the LLM gateway's relay ({self.name}) has stopped: {self.result[0]}")
        self.engine.connect_network(self.sandbox, network, aliases=[GATEWAY_HOST])
        item.networks = [ipaddress.ip_network(n, strict=False) for n in self.engine.network_subnets(network)]
        self.router.add(item)
        return agent_env(item.token)

    def detach(self, item: ItemGateway, network: str) -> None:
        """The item is over: its token stops working, and its network can be removed."""
        self.router.remove(item)
        self.engine.disconnect_network(self.sandbox, network)

    def close(self) -> None:
        self.engine.discard(self.sandbox)
        self.engine.discard_network(self.home)
        self.channel.close()

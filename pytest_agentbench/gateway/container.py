"""Start an item's gateway: the relay in a container on the item's network, answered by the host.

The relay is reached by name (GATEWAY_HOST) on the item's internal network; it talks to the host only
over the `docker exec` stream the host opened, so nothing needs a host port, a route to the host or a
bind mount, and a remote engine works unchanged. The token it checks is random per item."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..sandbox.base import ContainerConfig, ExecResult, Sandbox, SandboxEngine, SandboxSpec
from .forwarder import Forwarder, dialog_answer
from .relay import TOKEN_ENV

RELAY = Path(__file__).with_name("relay.py")
RELAY_PATH = "/opt/agentbench/llm_relay.py"
GATEWAY_HOST, GATEWAY_PORT = "llm-gateway", 4000
READY_TIMEOUT = 30


def new_token() -> str:
    """A per-item key for the agent: worthless outside this item's gateway."""
    return "agentbench-" + secrets.token_urlsafe(24)


@dataclass
class Gateway:
    sandbox: Sandbox
    forwarder: Forwarder
    token: str
    _thread: threading.Thread
    result: list[ExecResult | BaseException] = field(default_factory=list)

    @property
    def agent_env(self) -> dict[str, str]:
        """What the agent's container gets: addresses and the item's token, never a provider key."""
        base = f"http://{GATEWAY_HOST}:{GATEWAY_PORT}"
        return {"OPENAI_BASE_URL": f"{base}/v1", "OPENAI_API_BASE": f"{base}/v1", "OPENAI_API_KEY": self.token,
                "ANTHROPIC_BASE_URL": base, "ANTHROPIC_API_KEY": self.token}


def start_gateway(engine: SandboxEngine, image: str, network: str, name: str, forwarder: Forwarder,
                  config: ContainerConfig | None = None) -> Gateway:
    """The item's gateway, ready to answer; the caller discards `gateway.sandbox` when the item ends."""
    spec = SandboxSpec(image=image, name=name, network=network, aliases=[GATEWAY_HOST], user="nobody",
                       config=config or ContainerConfig())
    sandbox = engine.start(spec, files=[(RELAY, RELAY_PATH, 0, 0o644)])
    token = new_token()
    ready = threading.Event()
    result: list[ExecResult | BaseException] = []

    def run() -> None:
        try:
            result.append(sandbox.exec_dialog(
                ["python3", "-I", RELAY_PATH, "--port", str(GATEWAY_PORT)], answer=dialog_answer(forwarder, ready.set),
                user="nobody", env={TOKEN_ENV: token}))
        except BaseException as e:  # noqa: BLE001 - reported by the ready check or at the item's end
            result.append(e)
        ready.set()

    thread = threading.Thread(target=run, name=f"llm-gateway-{name}", daemon=True)
    thread.start()
    if not ready.wait(READY_TIMEOUT) or result:
        engine.discard(sandbox)
        raise RuntimeError(f"the LLM gateway {name} did not start within {READY_TIMEOUT} s: {result}")
    return Gateway(sandbox, forwarder, token, thread, result)

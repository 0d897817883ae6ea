"""The model gateway in real containers: a client in a container on an internal network (no way out,
no address of the host's) calls `llm-gateway` and gets answers, streamed and not, through the
worker's relay container and litellm on the host, with tests/fake_llm.py as the provider; the tokens
metered are those the provider reported; the provider's key is nowhere in either container."""

from __future__ import annotations

import json
import uuid

import pytest

from pytest_agentbench.gateway.container import GATEWAY_HOST, WorkerGateway
from pytest_agentbench.gateway.item import ItemGateway
from pytest_agentbench.gateway.meter import Meter
from pytest_agentbench.gateway.provider import LiteLLMProvider
from pytest_agentbench.sandbox.base import SandboxSpec
from pytest_agentbench.sandbox.docker import DockerEngine
from support import GATEWAY_CLIENT

pytestmark = pytest.mark.docker

PROVIDER_KEY = "sk-provider-key-only-the-host-holds-98765"

# The agent's side (standard library only, as in the base image); argv[1]: a key that is not its own.
CLIENT = GATEWAY_CLIENT + r'''
import sys
ask = {"model": "openai/fake-model", "messages": [{"role": "user", "content": "hello from the container"}]}
out = {"plain": post("/chat/completions", ask),
       "stream": post("/chat/completions", dict(ask, stream=True)),
       "wrong_key": post("/chat/completions", ask, key=sys.argv[1]),
       "base": base}
print(json.dumps(out))
'''


@pytest.fixture
def engine(docker_client):
    engine = DockerEngine(f"test-gateway-{uuid.uuid4().hex[:8]}")
    yield engine
    engine.drain()
    engine.sweep(engine.run_id)


@pytest.fixture
def worker_gateway(engine, base_image_tag):
    gateway = WorkerGateway(engine, base_image_tag)
    yield gateway
    gateway.close()


def start_item(engine, gateway, image, fake_llm, tmp_path, name):
    network = engine.create_network(f"agentbench-test-{name}-{uuid.uuid4().hex[:8]}", internal=True)
    item = ItemGateway.for_item(name, tmp_path / name, LiteLLMProvider({"api_base": fake_llm.url,
                                                                         "api_key": PROVIDER_KEY}), Meter())
    env = gateway.attach(item, network)
    agent = engine.start(SandboxSpec(image=image, name=f"agentbench-test-agent-{uuid.uuid4().hex[:8]}",
                                     network=network, env=env, user="nobody"))
    return item, network, agent


def test_a_client_in_a_container_gets_answers_through_the_gateway(engine, worker_gateway, base_image_tag,
                                                                  fake_llm, tmp_path):
    fake_llm.set_rules([(r"container", "hello back from the provider")])
    item, network, agent = start_item(engine, worker_gateway, base_image_tag, fake_llm, tmp_path, "one")
    other, _, other_agent = start_item(engine, worker_gateway, base_image_tag, fake_llm, tmp_path, "two")

    # Item one's client, with item two's token as the wrong key: valid, but not on this network.
    run = agent.exec(["python3", "-c", CLIENT, other.token], timeout=120)
    assert run.exit_code == 0, run.output
    out = json.loads(run.output.strip().splitlines()[-1])
    assert out["base"] == f"http://{GATEWAY_HOST}:4000/v1"
    status, body = out["plain"]
    assert status == 200 and json.loads(body)["choices"][0]["message"]["content"] == "hello back from the provider"
    status, body = out["stream"]
    events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: {")]
    assert status == 200 and body.rstrip().endswith("data: [DONE]")
    assert "".join(e["choices"][0]["delta"].get("content") or "" for e in events) == "hello back from the provider"
    status, body = out["wrong_key"]
    assert status == 401 and json.loads(body)["error"]["code"] == "invalid_api_key"

    # The tokens metered are the provider's own figures, streamed or not.
    totals = item.meter.totals()
    assert totals["calls"] == 2 and len(fake_llm.usages) == 2
    assert totals["prompt_tokens"] == sum(u["prompt_tokens"] for u in fake_llm.usages)
    assert totals["completion_tokens"] == sum(u["completion_tokens"] for u in fake_llm.usages)
    assert other.meter.totals()["calls"] == 0

    # The key is in neither the agent's container nor the gateway's: environment, every process's
    # environ, and the files the harness put there.
    for sandbox in (agent, worker_gateway.sandbox):
        probe = sandbox.exec(["sh", "-c", f"env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'; "
                                          f"grep -rl {PROVIDER_KEY} /opt /home /tmp /etc /root 2>/dev/null; true"],
                             user="root", record=False)
        assert "OPENAI_API_KEY=agentbench-" in probe.output or sandbox is worker_gateway.sandbox
        assert PROVIDER_KEY not in probe.output

    # On every item's network at once, the relay routes nothing between them.
    forwarding = worker_gateway.sandbox.exec(["cat", "/proc/sys/net/ipv4/ip_forward",
                                              "/proc/sys/net/ipv6/conf/all/forwarding"], record=False)
    assert forwarding.output.split() == ["0", "0"]

    worker_gateway.detach(item, network)  # the item is over: its token stops working, its network can go
    again = agent.exec(["python3", "-c", CLIENT, "x"], timeout=120)
    assert json.loads(again.output.strip().splitlines()[-1])["plain"][0] != 200
    engine.discard(agent)
    engine.discard(other_agent)

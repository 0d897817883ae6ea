"""The model gateway end to end: a client inside a real container on an internal network calls the
gateway by name and gets answers (streamed and not) from the tests' endpoint via litellm on the host;
the figures the host keeps equal what the endpoint reported; the provider key is nowhere in the
agent's container; a budget stops; a recording replays with the endpoint off.

The agent's container plays the attacker: it looks for the key everywhere it can read, tries a
wrong token, and tries to reach the endpoint on the host directly."""

from __future__ import annotations

import json
import secrets
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for fake_llm

from fake_llm import FakeLLM  # noqa: E402
from pytest_agentbench.gateway.container import start_gateway  # noqa: E402
from pytest_agentbench.gateway.forwarder import Forwarder  # noqa: E402
from pytest_agentbench.gateway.meter import Budget, Meter  # noqa: E402
from pytest_agentbench.gateway.recorder import CallRecorder  # noqa: E402
from pytest_agentbench.gateway.replay import Replayer  # noqa: E402
from pytest_agentbench.sandbox.base import SandboxSpec  # noqa: E402
from pytest_agentbench.sandbox.docker import DockerEngine  # noqa: E402

pytestmark = pytest.mark.docker

# The agent's client: the OpenAI wire format over urllib, from OPENAI_BASE_URL / OPENAI_API_KEY.
CLIENT = r'''
import json, os, sys, urllib.request, urllib.error
base, key = os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"]
def call(path, body=None, token=key):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
out = {}
for i, text in enumerate(sys.argv[1:]):
    out[f"plain{i}"] = call("/chat/completions", {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": text}]})
out["stream"] = call("/chat/completions", {"model": "openai/gpt-4o", "stream": True,
                                            "messages": [{"role": "user", "content": "stream please"}]})
out["models"] = call("/models")
out["wrong_token"] = call("/models", token="sk-guess")
print(json.dumps(out))
'''

# The attacker: every place the key could be, and the host's endpoint by every address it can guess.
ATTACK = r'''
import os, socket, struct, sys, glob
key, port = sys.argv[1], int(sys.argv[2])
found = []
for path in glob.glob("/proc/*/environ"):
    try:
        if key.encode() in open(path, "rb").read():
            found.append(path)
    except OSError:
        pass
for root, dirs, files in os.walk("/"):
    if root.startswith(("/proc", "/sys", "/dev")):
        dirs[:] = []
        continue
    for name in files:
        p = os.path.join(root, name)
        try:
            if os.path.isfile(p) and os.path.getsize(p) < 50_000_000 and key.encode() in open(p, "rb").read():
                found.append(p)
        except OSError:
            pass
print("FOUND", found)
hosts = {"172.17.0.1", "host.docker.internal"}
for row in open("/proc/net/route").read().splitlines()[1:]:
    f = row.split()
    dest = struct.unpack(">I", socket.inet_aton(socket.inet_ntoa(struct.pack("<I", int(f[1], 16)))))[0]
    hosts.add(socket.inet_ntoa(struct.pack(">I", dest + 1)))
for host in sorted(hosts):
    try:
        socket.create_connection((host, port), timeout=3).close()
        print("REACHED", host)
    except OSError:
        print("blocked", host)
'''


@pytest.fixture
def engine(docker_client):
    engine = DockerEngine(f"test-gateway-{uuid.uuid4().hex[:8]}", docker_client)
    yield engine
    engine.sweep(engine.run_id)


@pytest.fixture
def item_net(engine):
    return engine.create_network(f"gw-{uuid.uuid4().hex[:8]}", internal=True)


def run_agent(engine, base_image_tag, net, gateway, script, *args):
    agent = engine.start(SandboxSpec(image=base_image_tag, name=f"agent-{uuid.uuid4().hex[:8]}", network=net,
                                     user="nobody", env=gateway.agent_env))
    try:
        result = agent.exec(["python3", "-c", script, *args], timeout=120, record=False)
        assert result.exit_code == 0, result.output
        return agent, result.output
    except BaseException:
        engine.discard(agent)
        raise


def test_a_client_in_an_internal_network_gets_answers_metered_as_the_endpoint_reported(
        engine, item_net, base_image_tag, tmp_path):
    key = "sk-host-" + secrets.token_hex(16)
    with FakeLLM(rules=[(r"capital", "Paris it is"), (r"stream", "one two three")]) as llm:
        fwd = Forwarder("task-a", Meter(), CallRecorder(tmp_path), models=["openai/gpt-4o"],
                        litellm_args={"api_base": llm.url, "api_key": key})
        gateway = start_gateway(engine, base_image_tag, item_net, f"gw-{uuid.uuid4().hex[:8]}", fwd)
        agent, output = run_agent(engine, base_image_tag, item_net, gateway, CLIENT, "the capital of France")
        out = json.loads(output.strip().splitlines()[-1])

        status, body = out["plain0"]
        assert status == 200 and json.loads(body)["choices"][0]["message"]["content"] == "Paris it is"
        status, body = out["stream"]
        events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: {")]
        assert status == 200 and body.rstrip().endswith("data: [DONE]")
        assert "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"]) \
            == "one two three"
        assert [m["id"] for m in json.loads(out["models"][1])["data"]] == ["openai/gpt-4o"]
        assert out["wrong_token"][0] == 401

        # What the host metered is what the endpoint reported (its usage: words counted).
        import litellm
        summary = fwd.meter.summary()
        reported = [{"prompt": len(" ".join(m["content"] for m in r["messages"]).split())} for r in llm.requests]
        assert summary["calls"] == 2 and len(llm.requests) == 2
        assert summary["prompt_tokens"] == sum(r["prompt"] for r in reported) == 4 + 2
        assert summary["completion_tokens"] == 3 + 3
        assert summary["cost_usd"] == pytest.approx(sum(litellm.cost_per_token(
            model="gpt-4o", prompt_tokens=6, completion_tokens=6)))

        # The agent, turned attacker, finds the key nowhere and cannot reach the endpoint itself.
        attack = agent.exec(["python3", "-c", ATTACK, key, str(llm.port)], timeout=300, record=False)
        assert "FOUND []" in attack.output, attack.output
        assert "REACHED" not in attack.output, attack.output
        attrs = engine.client.api.inspect_container(agent.name)
        assert key not in json.dumps(attrs)
        assert key not in (tmp_path / "llm" / "calls.jsonl").read_text()


def test_a_budget_stops_the_agent_with_an_error_it_reads(engine, item_net, base_image_tag, tmp_path):
    with FakeLLM(default="fine") as llm:
        fwd = Forwarder("task-a", Meter(Budget(calls=1)), CallRecorder(tmp_path),
                        litellm_args={"api_base": llm.url, "api_key": "sk-x"})
        gateway = start_gateway(engine, base_image_tag, item_net, f"gw-{uuid.uuid4().hex[:8]}", fwd)
        _, output = run_agent(engine, base_image_tag, item_net, gateway, CLIENT, "one", "two")
    out = json.loads(output.strip().splitlines()[-1])
    assert out["plain0"][0] == 200
    assert out["plain1"][0] == 429 and "budget exhausted" in json.loads(out["plain1"][1])["error"]["message"]
    assert "--llm-budget-calls" in fwd.meter.summary()["exhausted"]


def test_a_recorded_run_replays_with_the_endpoint_off(engine, item_net, base_image_tag, tmp_path):
    with FakeLLM(rules=[(r"capital", "Paris it is"), (r"stream", "one two three")]) as llm:
        fwd = Forwarder("task-a", Meter(), CallRecorder(tmp_path / "first"),
                        litellm_args={"api_base": llm.url, "api_key": "sk-x"})
        gateway = start_gateway(engine, base_image_tag, item_net, f"gw-{uuid.uuid4().hex[:8]}", fwd)
        _, first = run_agent(engine, base_image_tag, item_net, gateway, CLIENT, "the capital of France")
    # the endpoint is stopped: only the recording can answer; a new item has a network (and gateway) of its own
    item_net = engine.create_network(f"gw-{uuid.uuid4().hex[:8]}", internal=True)
    again = Forwarder("task-a", Meter(), CallRecorder(tmp_path / "again"), replay=Replayer(tmp_path / "first", "task-a"))
    gateway = start_gateway(engine, base_image_tag, item_net, f"gw-{uuid.uuid4().hex[:8]}", again)
    _, second = run_agent(engine, base_image_tag, item_net, gateway, CLIENT, "the capital of France")
    a, b = (json.loads(o.strip().splitlines()[-1]) for o in (first, second))
    assert b["plain0"][0] == 200, b
    assert json.loads(a["plain0"][1])["choices"] == json.loads(b["plain0"][1])["choices"]
    assert a["stream"][1] == b["stream"][1]
    assert again.meter.summary()["prompt_tokens"] == fwd.meter.summary()["prompt_tokens"]
    assert again.replay_miss is None

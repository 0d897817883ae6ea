"""The model gateway's cost: added latency per call, many streams at once, and start-up per item.

    .venv/bin/python bench/bench_gateway.py [--calls 60] [--streams 100]

Against tests/fake_llm.py (the local scripted endpoint) on this machine:
- median latency of a non-streaming chat call, the same stdlib client each time: straight to the
  endpoint from the host; through litellm's SDK alone (no gateway: what a provider that litellm must
  translate adds, a reference); through the gateway's relay in this process (tests/local_gateway.py:
  HTTP, frames, router, the OpenAI-compatible short way of gateway/openai_compatible.py); and from a
  client in a container on an internal item network through the real relay container and `docker
  exec` stream. The gateway's addition is the last minus the first (target: at most 5 ms).
- `--streams` streaming calls at once from one container: how many complete, whole (target: all).
- start-up per item: joining the worker's relay container to the item's network and registering its
  token (`WorkerGateway.attach`), and leaving it (`detach`); the relay container itself starts once
  per worker (target: at most 0.3 s per item).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from fake_llm import FakeLLM  # noqa: E402
from local_gateway import LocalGateway  # noqa: E402
from pytest_agentbench.gateway.container import WorkerGateway  # noqa: E402
from pytest_agentbench.gateway.item import ItemGateway  # noqa: E402
from pytest_agentbench.gateway.meter import Meter  # noqa: E402
from pytest_agentbench.gateway.provider import LiteLLMProvider  # noqa: E402
from pytest_agentbench.sandbox.base import SandboxSpec  # noqa: E402
from pytest_agentbench.sandbox.docker import DockerEngine  # noqa: E402
from pytest_agentbench.sandbox.images import ensure_base_image  # noqa: E402

# The same client everywhere (the base image's python3): sequential calls on one kept-alive
# connection, one latency (ms) each, as JSON; or N streams at once, each on its own connection.
CLIENT = r'''
import http.client, json, sys, threading, time, urllib.parse
base, key, mode, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
url = urllib.parse.urlsplit(base)
def call(text, stream=False, connection=None):
    """One call on `connection` (kept alive between calls, as client libraries do) or a new one."""
    body = {"model": "openai/fake-model", "messages": [{"role": "user", "content": text}], "stream": stream}
    conn = connection or http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    conn.request("POST", url.path + "/chat/completions", json.dumps(body),
                 {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    answer = conn.getresponse()
    text = answer.read().decode()
    if answer.status != 200:
        raise RuntimeError(f"HTTP {answer.status}: {text[:200]}")
    if connection is None:
        conn.close()
    return text
if mode == "latency":
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    for _ in range(5):
        call("warm up", connection=conn)
    times = []
    for i in range(count):
        start = time.perf_counter()
        call(f"question {i}", connection=conn)
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps(times))
else:
    got = {}
    def one(i):
        try:
            text = call(f"stream {i}", stream=True)
            got[i] = "".join(json.loads(l[6:])["choices"][0]["delta"].get("content") or ""
                             for l in text.splitlines() if l.startswith("data: {"))
        except Exception as e:
            got[i] = f"ERROR {e}"
    start = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads: t.start()
    for t in threads: t.join()
    whole = sum(got.get(i) == f"answer to stream {i} " * 3 for i in range(count))
    print(json.dumps({"whole": whole, "seconds": round(time.perf_counter() - start, 3),
                      "errors": sorted({v for v in got.values() if v.startswith("ERROR")})[:3]}))
'''


class Canned:
    """An answerer with no provider behind it: what the gateway's own path costs, without litellm."""

    source = "provider"

    async def complete(self, endpoint: str, body: dict, seq: int) -> dict:
        return {"id": "canned", "object": "chat.completion", "model": body["model"], "created": 0,
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
                "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3}}

    async def stream(self, endpoint: str, body: dict, seq: int):
        yield {}


def median_ms(times: list[float]) -> float:
    return round(statistics.median(times), 2)


def host_client(base: str, key: str, count: int) -> list[float]:
    done = subprocess.run([sys.executable, "-I", "-c", CLIENT, base, key, "latency", str(count)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def litellm_alone(url: str, count: int) -> list[float]:
    import litellm

    async def run() -> list[float]:
        times = []
        for i in range(count + 5):
            start = time.perf_counter()
            await litellm.acompletion(model="openai/fake-model", api_base=url, api_key="k",
                                      messages=[{"role": "user", "content": f"question {i}"}])
            times.append((time.perf_counter() - start) * 1000)
        return times[5:]

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--items", type=int, default=10, help="items attached and detached for the start-up figure")
    args = parser.parse_args()

    llm = FakeLLM(rules=[lambda text: f"answer to {text} " * 3 if text.startswith("stream") else "a short answer"])
    llm.start()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        direct = host_client(llm.url, "k", args.calls)
        figures["direct_ms"] = median_ms(direct)
        figures["litellm_sdk_alone_ms"] = median_ms(litellm_alone(llm.url, args.calls))

        with LocalGateway() as local:
            item = local.add_item(ItemGateway.for_item("bench", Path(tmp) / "local",
                                                       LiteLLMProvider({"api_base": llm.url, "api_key": "k"}), Meter()))
            figures["relay_in_process_ms"] = median_ms(host_client(local.url, item.token, args.calls))
            canned = local.add_item(ItemGateway.for_item("canned", Path(tmp) / "canned", Canned(), Meter()))
            figures["relay_in_process_no_litellm_ms"] = median_ms(host_client(local.url, canned.token, args.calls))

        engine = DockerEngine(f"bench-gateway-{uuid.uuid4().hex[:8]}")
        try:
            image = ensure_base_image(engine, os.environ.get("AGENTBENCH_BASE_IMAGE") or None)
            start = time.perf_counter()
            gateway = WorkerGateway(engine, image)
            figures["relay_container_start_once_per_worker_s"] = round(time.perf_counter() - start, 3)
            attach, detach = [], []
            for i in range(args.items):
                network = engine.create_network(f"bench-net-{uuid.uuid4().hex[:8]}", internal=True)
                probe = ItemGateway.for_item(f"item{i}", Path(tmp) / f"item{i}", LiteLLMProvider(), Meter())
                start = time.perf_counter()
                gateway.attach(probe, network)
                attach.append(time.perf_counter() - start)
                start = time.perf_counter()
                gateway.detach(probe, network)
                detach.append(time.perf_counter() - start)
                engine.discard_network(network)
            figures["item_attach_median_s"] = round(statistics.median(attach), 3)
            figures["item_detach_median_s"] = round(statistics.median(detach), 3)

            network = engine.create_network(f"bench-net-{uuid.uuid4().hex[:8]}", internal=True)
            item = ItemGateway.for_item("bench", Path(tmp) / "docker",
                                        LiteLLMProvider({"api_base": llm.url, "api_key": "k"}), Meter())
            env = gateway.attach(item, network)
            client = engine.start(SandboxSpec(image=image, name=f"bench-client-{uuid.uuid4().hex[:8]}",
                                              network=network, user="nobody"))
            base, key = env["OPENAI_BASE_URL"], env["OPENAI_API_KEY"]
            run = client.exec(["python3", "-I", "-c", CLIENT, base, key, "latency", str(args.calls)], record=False)
            through = json.loads(run.output.strip().splitlines()[-1])
            figures["through_container_gateway_ms"] = median_ms(through)
            figures["added_by_gateway_ms"] = round(figures["through_container_gateway_ms"] - figures["direct_ms"], 2)
            # What litellm would add for a provider it must translate (the endpoint here speaks OpenAI's
            # API, so the gateway passes calls straight on and litellm only routes and prices them).
            figures["litellm_translation_would_add_ms"] = round(figures["litellm_sdk_alone_ms"]
                                                                - figures["direct_ms"], 2)
            canned = ItemGateway.for_item("canned", Path(tmp) / "canned-docker", Canned(), Meter())
            gateway.router.add(canned)
            canned.networks = item.networks
            run = client.exec(["python3", "-I", "-c", CLIENT, base, canned.token, "latency", str(args.calls)],
                              record=False)
            figures["through_container_no_litellm_ms"] = median_ms(json.loads(run.output.strip().splitlines()[-1]))
            # The relay, the exec stream, the host's router, meter and recorder, with no provider at all.
            figures["of_which_relay_path_ms"] = figures["through_container_no_litellm_ms"]
            run = client.exec(["python3", "-I", "-c", CLIENT, base, key, "streams", str(args.streams)], record=False)
            figures["concurrent_streams"] = {"asked": args.streams, **json.loads(run.output.strip().splitlines()[-1])}
            figures["metered_calls"] = item.meter.totals()["calls"]
            gateway.detach(item, network)
            engine.discard(client)
            engine.discard_network(network)
            gateway.close()
        finally:
            engine.drain()
            engine.sweep(engine.run_id)
    llm.stop()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
